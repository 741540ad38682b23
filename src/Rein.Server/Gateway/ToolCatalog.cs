using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Rein.Core.Audit;
using Rein.Core.Gateway;
using Rein.Core.Identity;
using Rein.Core.Policies;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Server.Gateway;

/// <summary>How new tools are trusted: on first use (pinned when first seen) or only once someone pins them.</summary>
public static class PinModes
{
    public const string TrustOnFirstUse = "tofu";

    public const string Explicit = "explicit";
}

/// <summary>A tool's pin state: <c>pinned</c> (offered), <c>changed</c> (its definition differs from the pinned one:
/// withheld until reviewed), <c>pending</c> (never pinned, in explicit mode: withheld).</summary>
public static class PinStates
{
    public const string Pinned = "pinned";

    public const string Changed = "changed";

    public const string Pending = "pending";
}

/// <summary>A tool as the catalog knows it.</summary>
public sealed record CatalogTool(
    string Name,
    string Server,
    string Tool,
    string State,
    string Hash,
    string? PinnedHash,
    string? Description,
    JsonElement? InputSchema,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    DateTimeOffset? PinnedAt,
    string? PinnedBy,
    DateTimeOffset? ChangedAt);

/// <summary>What changed in a tool's definition: the pinned one and the one the server offers now.</summary>
public sealed record ToolDiff(string Name, string State, string? PinnedHash, string Hash, JsonElement? Pinned, JsonElement Current, IReadOnlyList<string> Lines);

/// <summary>The project's gateway settings.</summary>
public sealed record GatewaySettings(string PinMode, DateTimeOffset? UpdatedAt);

/// <summary>The body of <c>PUT /api/v1/tools/settings</c>.</summary>
public sealed record GatewaySettingsRequest(string? PinMode);

/// <summary>The body of <c>POST /api/v1/tools/pin</c>: a server's tools, or one tool, optionally only at a hash the
/// reviewer saw (so a definition that changed again since the review is not pinned unseen).</summary>
public sealed record PinRequest(string? Server, string? Tool, string? Hash);

/// <summary>A fault rule as the API takes and shows it.</summary>
public sealed record FaultRuleBody(string? Id, string? Tool, string? Kind, double? Probability, string? Delay, string? Message, bool? Enabled);

/// <summary>The body of <c>PUT /api/v1/tools/faults</c>: the project's whole rule list.</summary>
public sealed record FaultsRequest(IReadOnlyList<FaultRuleBody>? Rules);

/// <summary>
/// The tools upstreams offer and their pinned definitions (against tool poisoning and "rug pulls"), the project's pin
/// mode and its fault rules. A tool is offered to agents only while its definition hashes to the pinned hash; a change
/// is recorded and audit-logged once, and the tool stays withheld until someone pins the new definition.
/// </summary>
public sealed class ToolCatalog(ReinDatabase database, AuditLog audit, GatewayCache cache, TimeProvider time, ILogger<ToolCatalog> logger)
{
    /// <summary>Largest stored tool definition (description and schema), in bytes; a larger tool is not offered.</summary>
    public const int MaxDefinitionBytes = 256 * 1024;

    /// <summary>Tools one server may offer; the rest are not offered.</summary>
    public const int MaxToolsPerServer = 1000;

    /// <summary>The actor of audit entries the gateway writes on its own (a definition that changed).</summary>
    public const string GatewayActor = "gateway";

    /// <summary>Records what a server offers now and returns the pin state of each tool, keyed by the tool's own name.
    /// Writes only what changed, so listing the same tools again costs one read.</summary>
    internal async Task<IReadOnlyDictionary<string, ToolRow>> ObserveAsync(string projectId, string server, IReadOnlyList<ObservedTool> tools, CancellationToken cancellationToken)
    {
        var key = "tools:" + server;
        var known = await cache.GetAsync(projectId, key, async () => (IReadOnlyDictionary<string, ToolRow>)
            (await database.ReadAsync(c => GatewayStore.ListToolsAsync(c, null, projectId, server), cancellationToken)).ToDictionary(r => r.Tool, StringComparer.Ordinal));
        var stale = tools.Where(t => !known.TryGetValue(t.Name, out var row) || row.Hash != t.Hash).ToList();
        if (stale.Count == 0)
        {
            return known;
        }

        var observed = await ObserveChangesAsync(projectId, server, stale, cancellationToken);
        cache.Set(projectId, key, observed);
        return observed;
    }

    private async Task<IReadOnlyDictionary<string, ToolRow>> ObserveChangesAsync(string projectId, string server, List<ObservedTool> stale, CancellationToken cancellationToken) =>
        await database.WriteAsync(async (c, t) =>
        {
            var settings = await GatewayStore.GetSettingsAsync(c, t, projectId);
            var tofu = (settings?.PinMode ?? PinModes.TrustOnFirstUse) == PinModes.TrustOnFirstUse;
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var rows = (await GatewayStore.ListToolsAsync(c, t, projectId, server)).ToDictionary(r => r.Tool, StringComparer.Ordinal);
            foreach (var tool in stale)
            {
                if (rows.TryGetValue(tool.Name, out var row) && row.Hash == tool.Hash)
                {
                    continue;
                }

                if (row is null)
                {
                    row = new ToolRow
                    {
                        ProjectId = projectId,
                        Server = server,
                        Tool = tool.Name,
                        Hash = tool.Hash,
                        Definition = tool.Definition,
                        FirstSeen = now,
                        LastSeen = now,
                    };
                    if (tofu)
                    {
                        (row.PinnedHash, row.PinnedDefinition, row.PinnedAt, row.PinnedBy) = (tool.Hash, tool.Definition, now, GatewayActor);
                    }
                }
                else
                {
                    var before = row.Hash;
                    row.Hash = tool.Hash;
                    row.Definition = tool.Definition;
                    row.LastSeen = now;
                    row.ChangedAt = row.PinnedHash is null || row.PinnedHash == tool.Hash ? null : now;
                    if (row.ChangedAt is not null)
                    {
                        await audit.AppendAsync(c, t, projectId, new AuditEvent(
                            GatewayActor, "gateway.tool.changed", "gateway_tool", ToolNames.Namespace(server, tool.Name), before, tool.Hash,
                            JsonSerializer.Serialize(new { server, tool = tool.Name, pinnedHash = row.PinnedHash, hash = tool.Hash })));
                        Log.GatewayToolChanged(logger, ToolNames.Namespace(server, tool.Name), projectId);
                    }
                }

                await GatewayStore.UpsertToolAsync(c, t, row);
                rows[tool.Name] = row;
            }

            return (IReadOnlyDictionary<string, ToolRow>)rows;
        }, cancellationToken);

    public async Task<IReadOnlyList<CatalogTool>> ListAsync(Caller caller, string? server, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        var name = server is null ? null : GatewayServerService.ValidateName(server);
        var rows = await database.ReadAsync(c => GatewayStore.ListToolsAsync(c, null, caller.ProjectId, name), cancellationToken);
        return [.. rows.Select(ToTool)];
    }

    /// <exception cref="ReinProblemException">400 naming the tool; 404 when the catalog has no such tool.</exception>
    public async Task<ToolDiff> DiffAsync(Caller caller, string? name, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        var (server, tool) = ParseName(name);
        var row = await database.ReadAsync(c => GatewayStore.GetToolAsync(c, null, caller.ProjectId, server, tool), cancellationToken)
            ?? throw NoTool(caller, name!);
        var current = Pretty(row.Definition);
        var pinned = row.PinnedDefinition is null ? "" : Pretty(row.PinnedDefinition);
        var lines = TextDiff.Lines(pinned, current).Select(l => l.Kind switch
        {
            DiffKind.Added => "+ " + l.Text,
            DiffKind.Removed => "- " + l.Text,
            _ => "  " + l.Text,
        }).ToList();
        return new ToolDiff(
            name!, State(row), row.PinnedHash, row.Hash, row.PinnedDefinition is null ? null : Parse(row.PinnedDefinition), Parse(row.Definition), lines);
    }

    /// <summary>Pins the current definitions of a server's tools (or of one tool): they are offered again.</summary>
    /// <exception cref="ReinProblemException">400 naming the field; 404 without such tools; 409 when the definition is
    /// no longer the one at <see cref="PinRequest.Hash"/>.</exception>
    public async Task<IReadOnlyList<CatalogTool>> PinAsync(Caller caller, PinRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Permissions.Demand(caller, Permission.Administer);
        var server = GatewayServerService.ValidateName(request.Server);
        if (request.Tool is { } toolName && (toolName.Length is 0 or > ToolNames.MaxToolLength))
        {
            throw ReinProblemException.Invalid("tool", $"must be 1 to {ToolNames.MaxToolLength} characters: the tool's name without the server");
        }

        if (request.Hash is not null && request.Tool is null)
        {
            throw ReinProblemException.Invalid("hash", "pins one tool at the definition you reviewed; name the tool too");
        }

        var pinned = await database.WriteAsync(async (c, t) =>
        {
            var rows = (await GatewayStore.ListToolsAsync(c, t, caller.ProjectId, server)).Where(r => request.Tool is null || r.Tool == request.Tool).ToList();
            if (rows.Count == 0)
            {
                throw NoTool(caller, request.Tool is null ? server + ".*" : ToolNames.Namespace(server, request.Tool));
            }

            if (request.Hash is { } hash && rows[0].Hash != hash)
            {
                throw ReinProblemException.Conflict(
                    $"{ToolNames.Namespace(server, rows[0].Tool)} is now at {rows[0].Hash}, not {hash}: its definition changed since you looked; review it again (rein tools diff)");
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var row in rows.Where(r => r.PinnedHash != r.Hash))
            {
                var before = row.PinnedHash;
                (row.PinnedHash, row.PinnedDefinition, row.PinnedAt, row.PinnedBy, row.ChangedAt) = (row.Hash, row.Definition, now, caller.KeyId, null);
                await GatewayStore.UpsertToolAsync(c, t, row);
                await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                    caller.KeyId, "gateway.tool.pin", "gateway_tool", ToolNames.Namespace(server, row.Tool), before, row.Hash,
                    JsonSerializer.Serialize(new { server, tool = row.Tool, hash = row.Hash })));
            }

            return rows;
        }, cancellationToken);
        cache.Invalidate(caller.ProjectId);
        Log.GatewayToolsPinned(logger, pinned.Count, server, caller.ProjectId, caller.KeyId);
        return [.. pinned.Select(ToTool)];
    }

    public async Task<GatewaySettings> GetSettingsAsync(Caller caller, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        var row = await database.ReadAsync(c => GatewayStore.GetSettingsAsync(c, null, caller.ProjectId), cancellationToken);
        return new GatewaySettings(row?.PinMode ?? PinModes.TrustOnFirstUse, row is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt));
    }

    /// <exception cref="ReinProblemException">400 naming the field.</exception>
    public async Task<GatewaySettings> SetSettingsAsync(Caller caller, GatewaySettingsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Permissions.Demand(caller, Permission.Administer);
        if (request.PinMode is not (PinModes.TrustOnFirstUse or PinModes.Explicit))
        {
            throw ReinProblemException.Invalid("pinMode", $"'{GatewayServerService.Shorten(request.PinMode ?? "")}' is not a pin mode; use tofu (pin tools when first seen) or explicit (only tools someone pinned)");
        }

        var settings = await database.WriteAsync(async (c, t) =>
        {
            var row = await GatewayStore.GetSettingsAsync(c, t, caller.ProjectId) ?? new SettingsRow { ProjectId = caller.ProjectId };
            var before = row.PinMode;
            row.PinMode = request.PinMode;
            row.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
            await GatewayStore.UpsertSettingsAsync(c, t, row);
            await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId, "gateway.settings.set", "gateway_settings", caller.ProjectId, null, null, JsonSerializer.Serialize(new { pinMode = row.PinMode, before })));
            return new GatewaySettings(row.PinMode, DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt));
        }, cancellationToken);
        cache.Invalidate(caller.ProjectId);
        return settings;
    }

    public async Task<IReadOnlyList<FaultRuleBody>> GetFaultsAsync(Caller caller, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        return [.. (await FaultsAsync(caller.ProjectId, cancellationToken)).Select(ToBody)];
    }

    /// <summary>Replaces the project's fault rules (an empty list switches fault injection off).</summary>
    /// <exception cref="ReinProblemException">400 naming the rule and field.</exception>
    public async Task<IReadOnlyList<FaultRuleBody>> SetFaultsAsync(Caller caller, FaultsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Permissions.Demand(caller, Permission.Administer);
        var bodies = request.Rules ?? throw ReinProblemException.Invalid("rules", "is required: the list of fault rules ([] switches faults off)");
        if (bodies.Count > FaultRule.MaxRules)
        {
            throw ReinProblemException.Invalid("rules", $"has {bodies.Count} rules; at most {FaultRule.MaxRules}");
        }

        var rules = new List<FaultRule>();
        for (var i = 0; i < bodies.Count; i++)
        {
            rules.Add(ToRule(bodies[i], i, rules));
        }

        await database.WriteAsync(async (c, t) =>
        {
            var row = await GatewayStore.GetSettingsAsync(c, t, caller.ProjectId) ?? new SettingsRow { ProjectId = caller.ProjectId, PinMode = PinModes.TrustOnFirstUse };
            row.Faults = JsonSerializer.Serialize(rules.Select(ToBody), GatewayJson.Options);
            row.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
            await GatewayStore.UpsertSettingsAsync(c, t, row);
            await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId, "gateway.faults.set", "gateway_settings", caller.ProjectId, null, null,
                JsonSerializer.Serialize(new { rules = rules.Count, enabled = rules.Count(r => r.Enabled) })));
        }, cancellationToken);
        cache.Invalidate(caller.ProjectId);
        Log.GatewayFaultsSet(logger, rules.Count, caller.ProjectId, caller.KeyId);
        return [.. rules.Select(ToBody)];
    }

    /// <summary>The project's fault rules as calls use them (kept for <see cref="GatewayCache.Ttl"/>).</summary>
    internal Task<IReadOnlyList<FaultRule>> CachedFaultsAsync(string projectId, CancellationToken cancellationToken) =>
        cache.GetAsync(projectId, "faults", () => FaultsAsync(projectId, cancellationToken));

    internal async Task<IReadOnlyList<FaultRule>> FaultsAsync(string projectId, CancellationToken cancellationToken)
    {
        var row = await database.ReadAsync(c => GatewayStore.GetSettingsAsync(c, null, projectId), cancellationToken);
        if (row is null)
        {
            return [];
        }

        var bodies = JsonSerializer.Deserialize<List<FaultRuleBody>>(row.Faults, GatewayJson.Options) ?? [];
        var rules = new List<FaultRule>();
        for (var i = 0; i < bodies.Count; i++)
        {
            rules.Add(ToRule(bodies[i], i, rules));
        }

        return rules;
    }

    private static FaultRule ToRule(FaultRuleBody body, int index, List<FaultRule> earlier)
    {
        var at = $"rules[{index}]";
        if (body.Tool is null)
        {
            throw ReinProblemException.Invalid($"{at}.tool", "is required: a glob over namespaced tool names, such as everything.* or fs.write_file");
        }

        if (!Enum.TryParse<FaultKind>(body.Kind, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(body.Kind, out _))
        {
            throw ReinProblemException.Invalid($"{at}.kind", $"'{GatewayServerService.Shorten(body.Kind ?? "")}' is not a fault; use error, delay, timeout or corrupt");
        }

        var delay = TimeSpan.Zero;
        if (body.Delay is { } text && !Durations.TryParse(text, out delay))
        {
            throw ReinProblemException.Invalid($"{at}.delay", $"'{GatewayServerService.Shorten(text)}' is not a duration, such as 500ms or 2s");
        }

        var id = body.Id ?? $"f{index + 1}";
        if (id.Length is 0 or > 64 || !id.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))
        {
            throw ReinProblemException.Invalid($"{at}.id", "must be 1 to 64 letters, digits, - and _");
        }

        if (earlier.Any(r => r.Id == id))
        {
            throw ReinProblemException.Invalid($"{at}.id", $"'{id}' is already the id of an earlier rule");
        }

        var rule = new FaultRule(id, body.Tool, kind, body.Probability ?? 1, delay, body.Message, body.Enabled ?? true);
        return rule.Problem() is { } problem ? throw ReinProblemException.Invalid($"{at}.{problem[..problem.IndexOf(':', StringComparison.Ordinal)]}", problem) : rule;
    }

    private static FaultRuleBody ToBody(FaultRule rule) => new(
        rule.Id, rule.Tool, rule.Kind.ToString().ToLowerInvariant(), rule.Probability,
        rule.Kind == FaultKind.Delay ? Policies.Durations.Format(rule.Delay) : null, rule.Message, rule.Enabled);

    internal static (string Server, string Tool) ParseName(string? name) =>
        ToolNames.TryParse(name, out var server, out var tool)
            ? (server, tool)
            : throw ReinProblemException.Invalid("name", $"'{GatewayServerService.Shorten(name ?? "")}' is not a namespaced tool name such as everything.echo (server, a dot, the tool)");

    internal static string State(ToolRow row) =>
        row.PinnedHash is null ? PinStates.Pending : row.PinnedHash == row.Hash ? PinStates.Pinned : PinStates.Changed;

    private static CatalogTool ToTool(ToolRow row)
    {
        var definition = JsonNode.Parse(row.Definition)!.AsObject();
        return new CatalogTool(
            ToolNames.Namespace(row.Server, row.Tool),
            row.Server,
            row.Tool,
            State(row),
            row.Hash,
            row.PinnedHash,
            definition["description"]?.GetValue<string>(),
            definition["inputSchema"] is { } schema ? Parse(schema.ToJsonString()) : null,
            DateTimeOffset.FromUnixTimeMilliseconds(row.FirstSeen),
            DateTimeOffset.FromUnixTimeMilliseconds(row.LastSeen),
            row.PinnedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null,
            row.PinnedBy,
            row.ChangedAt is { } changed ? DateTimeOffset.FromUnixTimeMilliseconds(changed) : null);
    }

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static string Pretty(string json) => JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static ReinProblemException NoTool(Caller caller, string name) =>
        ReinProblemException.NotFound($"project {caller.ProjectId} has no tool {GatewayServerService.Shorten(name)} in its catalog (tools appear once their server has been listed)");
}

/// <summary>A tool as an upstream offers it, with its definition's hash and canonical JSON.</summary>
internal sealed record ObservedTool(string Name, string Hash, string Definition);
