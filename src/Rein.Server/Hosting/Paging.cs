namespace Rein.Server;

/// <summary>Page-size rules shared by every listing.</summary>
public static class Paging
{
    public const int DefaultLimit = 100;

    /// <summary>The limit to use, or a 400 naming the parameter.</summary>
    public static int Limit(int? requested, int max) =>
        requested switch
        {
            null => Math.Min(DefaultLimit, max),
            < 1 => throw ReinProblemException.Invalid("limit", "must be at least 1"),
            var n when n > max => throw ReinProblemException.Invalid("limit", $"must be at most {max}"),
            var n => n.Value,
        };
}
