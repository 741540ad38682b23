using Rein.Client;

namespace Rein.Cli;

/// <summary>Follows a list endpoint's cursor until enough items are in hand or the list ends.</summary>
internal static class Pages
{
    /// <param name="fetch">Fetches the page after a cursor (null for the first), at most that many items.</param>
    /// <param name="wanted">How many items to collect at most.</param>
    /// <param name="pageSize">The most items asked for in one request.</param>
    /// <returns>The items, and whether more were left when <paramref name="wanted"/> was reached.</returns>
    public static async Task<(List<T> Items, bool More)> CollectAsync<T>(Func<string?, int, Task<Page<T>>> fetch, int wanted, int pageSize)
    {
        var found = new List<T>();
        string? cursor = null;
        var more = false;
        while (found.Count < wanted)
        {
            var page = await fetch(cursor, Math.Min(pageSize, wanted - found.Count));
            found.AddRange(page.Items);
            more = page.Next is not null && page.Items.Count > 0 && page.Next != cursor;
            if (!more)
            {
                break;
            }

            cursor = page.Next;
        }

        return (found, more);
    }
}
