using System.Text.Json;
using Rein.Core.Identity;
using Rein.Server.Identity;

namespace Rein.Server.Policies;

/// <summary>The project's decision log, read with the read permission: newest first, filtered, paged by id.</summary>
public sealed class DecisionLog
{
    public const int MaxPageSize = 500;

    private readonly GateStore _store;

    internal DecisionLog(GateStore store) => _store = store;

    public async Task<Page<DecisionResponse>> ListAsync(Caller caller, DecisionFilter filter, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        var rows = await _store.ListAsync(caller.ProjectId, filter, cursor, limit + 1, cancellationToken);
        var items = rows.Take(limit).Select(ToResponse).ToList();
        return new Page<DecisionResponse>(items, rows.Count > limit ? items[^1].Id : null);
    }

    public async Task<DecisionResponse?> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        return await _store.GetAsync(caller.ProjectId, id, cancellationToken) is { } row ? ToResponse(row) : null;
    }

    internal static DecisionResponse ToResponse(StoredDecision d) => new(
        d.Id,
        DateTimeOffset.FromUnixTimeMilliseconds(d.At),
        d.Agent,
        d.Release,
        d.RunId,
        d.SessionId,
        d.PrincipalId,
        d.Tool,
        d.Server,
        d.Effect,
        d.Mode,
        d.PolicyName is { } name ? new PolicyRef(name, (int)(d.PolicyVersion ?? 0), d.PolicyHash ?? "") : null,
        JsonSerializer.Deserialize<List<string>>(d.Rules, DecisionJson.Options) ?? [],
        JsonSerializer.Deserialize<List<ReasonResponse>>(d.Reasons, DecisionJson.Options) ?? [],
        Json(d.Obligations),
        Json(d.Shadow),
        Json(d.Input),
        Json(d.RunState),
        d.LatencyUs,
        d.TraceId,
        d.SpanId);

    private static JsonElement Json(string text)
    {
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
