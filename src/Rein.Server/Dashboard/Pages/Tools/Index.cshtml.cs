using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Identity;
using Rein.Server.Gateway;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Dashboard.Pages.Tools;

/// <summary>
/// The tool gateway at a glance: the upstream servers with this replica's view of their health, the catalog with each
/// tool's pin state (a changed definition shown as a diff, pinned from here by an admin), and the recent gateway calls
/// from the decision log.
/// </summary>
public sealed class ToolsModel(GatewayServerService servers, UpstreamPool pool, ToolCatalog catalog, DecisionLog decisions) : PageModel
{
    /// <summary>Recent decisions read to find the gateway's calls among them.</summary>
    public const int RecentDecisions = 200;

    /// <summary>Gateway calls shown.</summary>
    public const int RecentCalls = 20;

    public IReadOnlyList<GatewayServerStatus> Servers { get; private set; } = [];

    public IReadOnlyList<CatalogTool> Tools { get; private set; } = [];

    public IReadOnlyDictionary<string, ToolDiff> Changes { get; private set; } = new Dictionary<string, ToolDiff>();

    public IReadOnlyList<DecisionResponse> Calls { get; private set; } = [];

    public GatewaySettings? Settings { get; private set; }

    public bool MayPin { get; private set; }

    public string? Message { get; private set; }

    public string? Error { get; private set; }

    public async Task OnGetAsync(string? pinned, CancellationToken cancellationToken)
    {
        Message = string.IsNullOrEmpty(pinned) ? null : $"Pinned {pinned}: agents are offered its current definition again.";
        await LoadAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostPinAsync(string? server, string? tool, string? hash, CancellationToken cancellationToken)
    {
        try
        {
            var done = await catalog.PinAsync(HttpContext.Caller(), new PinRequest(server, tool, hash), cancellationToken);
            // Post/redirect/get: a reload must not pin again.
            return Redirect("/tools?pinned=" + Uri.EscapeDataString(string.Join(", ", done.Select(t => t.Name))));
        }
        catch (ReinProblemException e) when (e.Status < 500)
        {
            Error = e.FieldProblem ?? e.Message;
            Response.StatusCode = e.Status;
            await LoadAsync(cancellationToken);
            return Page();
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var caller = HttpContext.Caller();
        MayPin = caller.Role.Grants(Permission.Administer);
        Servers = [.. (await servers.ListAsync(caller, cancellationToken)).Select(s => new GatewayServerStatus(s, pool.Health(caller.ProjectId, s.Name)))];
        Tools = await catalog.ListAsync(caller, null, cancellationToken);
        Settings = await catalog.GetSettingsAsync(caller, cancellationToken);
        var changes = new Dictionary<string, ToolDiff>(StringComparer.Ordinal);
        foreach (var tool in Tools.Where(t => t.State != PinStates.Pinned).Take(50))
        {
            changes[tool.Name] = await catalog.DiffAsync(caller, tool.Name, cancellationToken);
        }

        Changes = changes;
        var recent = await decisions.ListAsync(caller, new DecisionFilter(), null, RecentDecisions, cancellationToken);
        Calls = [.. recent.Items.Where(d => d.Server is not null).Take(RecentCalls)];
    }

    public static string Target(GatewayServer server) =>
        server.Transport == GatewayServerService.Http ? server.Url ?? "" : string.Join(' ', new[] { server.Command ?? "" }.Concat(server.Args));

    public static string ShortHash(string? hash) => hash is null ? "-" : hash.Length > 19 ? hash[..19] + "…" : hash;
}
