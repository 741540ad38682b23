using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Policies;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Dashboard.Pages.Policies;

/// <summary>A row of the diff as the page shows it: a line, or a run of unchanged lines left out.</summary>
public sealed record DiffRow(DiffLine? Line, int Hidden);

/// <summary>
/// The line diff of two versions' sources. Unchanged lines more than <see cref="Context"/> away from a change are
/// folded into one row, the way reviewers read diffs; <c>?all=1</c> shows every line.
/// </summary>
public sealed class PolicyDiffModel(PolicyService policies) : PageModel
{
    /// <summary>Unchanged lines shown around each change, as in a unified diff.</summary>
    public const int Context = 3;

    public PolicyHistory History { get; private set; } = null!;

    public PolicyDiff? Diff { get; private set; }

    public IReadOnlyList<DiffRow> Rows { get; private set; } = [];

    public int Added { get; private set; }

    public int Removed { get; private set; }

    public int? From { get; private set; }

    public int? To { get; private set; }

    public bool All { get; private set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name, string? from, string? to, string? all, CancellationToken cancellationToken)
    {
        var caller = HttpContext.Caller();
        if (!PolicyService.IsValidName(name) || await policies.GetAsync(caller, name, cancellationToken) is not { } history)
        {
            return NotFound();
        }

        History = history;
        All = all is "1" or "true" or "yes";
        From = Version(from);
        To = Version(to);
        if (From is null || To is null)
        {
            Error = $"Choose two versions to compare: {(From is null ? "from" : "to")} is '{Shorten(From is null ? from : to)}', not a version number.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        try
        {
            Diff = await policies.DiffAsync(caller, name, From.Value, To.Value, cancellationToken);
        }
        catch (ReinProblemException e)
        {
            Error = e.Message;
            Response.StatusCode = e.Status;
            return Page();
        }

        Added = Diff.Lines.Count(l => l.Kind == DiffKind.Added);
        Removed = Diff.Lines.Count(l => l.Kind == DiffKind.Removed);
        Rows = All ? [.. Diff.Lines.Select(l => new DiffRow(l, 0))] : Fold(Diff.Lines, Context);
        return Page();
    }

    public string DiffUrl(bool all) => PolicyView.DiffUrl(History.Policy.Name, From ?? 1, To ?? 1) + (all ? "&all=1" : "");

    /// <summary>Keeps every changed line and <paramref name="context"/> unchanged lines on each side of one; each run
    /// of other unchanged lines becomes one row that says how many it hides.</summary>
    public static IReadOnlyList<DiffRow> Fold(IReadOnlyList<DiffLine> lines, int context)
    {
        var keep = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Kind == DiffKind.Same)
            {
                continue;
            }

            for (var j = Math.Max(0, i - context); j <= Math.Min(lines.Count - 1, i + context); j++)
            {
                keep[j] = true;
            }
        }

        var rows = new List<DiffRow>();
        var hidden = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            if (keep[i])
            {
                if (hidden > 0)
                {
                    rows.Add(new DiffRow(null, hidden));
                    hidden = 0;
                }

                rows.Add(new DiffRow(lines[i], 0));
            }
            else
            {
                hidden++;
            }
        }

        if (hidden > 0)
        {
            rows.Add(new DiffRow(null, hidden));
        }

        return rows;
    }

    private static int? Version(string? value) =>
        value is { Length: > 0 and <= 10 } && int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : null;

    private static string Shorten(string? value) => value is null ? "" : value.Length > 20 ? value[..20] + "…" : value;
}
