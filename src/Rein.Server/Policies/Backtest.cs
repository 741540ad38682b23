using System.Text.Json;
using Rein.Core.Expressions;
using Rein.Core.Identity;
using Rein.Core.Policies;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Server.Policies;

/// <summary>
/// Replays recorded gate requests against a candidate policy version and reports which decisions would change, by
/// rule, tool and effect, with examples. The requests are replayed as the log kept them: after redaction, so a rule
/// reading a redacted argument sees <c>[REDACTED]</c>; with the run's state at the time (steps, counts, cost, tools
/// called). Decisions made by a kill switch are left out: a kill switch decides before any policy.
/// </summary>
/// <remarks>
/// A call that carried an approval token is replayed as what it was, as the gate would decide it with the token: a
/// redeemed approval (or one left unused because the policy denied the call) is allowed unless the candidate denies the
/// call outright (a person's approval never overrides a deny); a token the gate refused stays denied, whatever the
/// version. Replaying them without their token would report every redemption as a change back to require_approval.
/// </remarks>
public sealed class Backtest
{
    public const int DefaultLimit = 10_000;

    /// <summary>Examples of changed decisions in a report.</summary>
    public const int MaxExamples = 20;

    private readonly GateStore _store;
    private readonly PolicyCatalog _catalog;
    private readonly ReinDatabase _database;
    private readonly GateOptions _options;
    private readonly TimeProvider _time;

    internal Backtest(GateStore store, PolicyCatalog catalog, ReinDatabase database, GateOptions options, TimeProvider time)
    {
        _store = store;
        _catalog = catalog;
        _database = database;
        _options = options;
        _time = time;
    }

    /// <exception cref="ReinProblemException">400 for a missing version or a bad limit; 404 when the version does not exist.</exception>
    public async Task<BacktestResponse> RunAsync(Caller caller, string name, BacktestRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        Permissions.Demand(caller, Permission.Administer);
        var version = request.Version ?? throw ReinProblemException.Invalid("version", "is required: the candidate version to replay");
        if (version < 1)
        {
            throw ReinProblemException.Invalid("version", "must be at least 1");
        }

        var limit = request.Limit ?? Math.Min(DefaultLimit, _options.MaxBacktestDecisions);
        if (limit < 1 || limit > _options.MaxBacktestDecisions)
        {
            throw ReinProblemException.Invalid("limit", $"must be between 1 and {_options.MaxBacktestDecisions} (Gate:MaxBacktestDecisions)");
        }

        var candidate = name.Length <= 128 ? await _catalog.GetVersionAsync(caller.ProjectId, name, version, cancellationToken) : null;
        if (candidate is null)
        {
            throw ReinProblemException.NotFound($"policy {name} has no version {version}");
        }

        var since = request.Since ?? _time.GetUtcNow().AddHours(-24);
        var rows = await _store.SinceAsync(caller.ProjectId, since.ToUnixTimeMilliseconds(), limit + 1, cancellationToken);
        var redeemed = await _database.ReadAsync(
            c => Approvals.ApprovalRequests.RedemptionsSinceAsync(c, caller.ProjectId, since.ToUnixTimeMilliseconds(), limit + 1), cancellationToken);
        var truncated = rows.Count > limit;
        var considered = 0;
        var changed = 0;
        var errors = 0;
        var tokens = 0;
        var byRule = new Dictionary<string, int>(StringComparer.Ordinal);
        var byTool = new Dictionary<string, int>(StringComparer.Ordinal);
        var byChange = new Dictionary<(string, string), int>();
        var examples = new List<BacktestExample>();
        foreach (var row in rows.Take(limit))
        {
            if (!candidate.Policy.BindsAgent(row.Agent) || row.Reasons.Contains("\"rule\":\"kill.", StringComparison.Ordinal))
            {
                continue;
            }

            considered++;
            var decision = PolicyEvaluator.Evaluate(candidate.Policy, Replay(row));
            if (decision.Errored)
            {
                errors++;
            }

            var effect = decision.Effect;
            if (redeemed.Contains(row.Id) || row.Reasons.Contains(UnusedToken, StringComparison.Ordinal))
            {
                tokens++;
                effect = effect == Effect.Deny ? Effect.Deny : Effect.Allow;
            }
            else if (row.Reasons.Contains(RefusedToken, StringComparison.Ordinal))
            {
                tokens++;
                effect = Effect.Deny;
            }

            var after = effect.ToName();
            if (after == row.Effect)
            {
                continue;
            }

            changed++;
            var rule = decision.Reasons.Count > 0 ? decision.Reasons[0].Rule : null;
            byRule[rule ?? "(none)"] = byRule.GetValueOrDefault(rule ?? "(none)") + 1;
            byTool[row.Tool] = byTool.GetValueOrDefault(row.Tool) + 1;
            byChange[(row.Effect, after)] = byChange.GetValueOrDefault((row.Effect, after)) + 1;
            if (examples.Count < MaxExamples)
            {
                examples.Add(new BacktestExample(row.Id, DateTimeOffset.FromUnixTimeMilliseconds(row.At), row.Agent, row.Tool, row.Effect, after, rule));
            }
        }

        return new BacktestResponse(
            name, version, since, considered, changed, errors,
            [.. byRule.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => new BacktestRuleCount(p.Key, p.Value))],
            [.. byTool.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => new BacktestToolCount(p.Key, p.Value))],
            [.. byChange.OrderByDescending(p => p.Value).Select(p => new BacktestChange(p.Key.Item1, p.Key.Item2, p.Value))],
            examples,
            truncated,
            tokens);
    }

    /// <summary>How the log writes the reason of a call whose approval token the gate refused.</summary>
    private const string RefusedToken = "\"rule\":\"" + Approvals.ApprovalRequests.InvalidTokenRule + "\"";

    /// <summary>How the log writes the reason of a call whose valid token was left unused because the policy denied it.</summary>
    private const string UnusedToken = "\"rule\":\"" + Approvals.ApprovalRequests.UnusedTokenRule + "\"";

    private static GateInput Replay(StoredDecision row)
    {
        using var input = JsonDocument.Parse(row.Input);
        var root = input.RootElement;
        var state = JsonSerializer.Deserialize<RunStateRecord>(row.RunState, DecisionJson.Options);
        var principal = root.TryGetProperty("principal", out var p) ? p : default;
        return new GateInput
        {
            Agent = row.Agent,
            Release = row.Release,
            Tool = row.Tool,
            Server = row.Server,
            Args = Member(root, "args"),
            Context = Member(root, "context"),
            PrincipalId = row.PrincipalId,
            PrincipalRoles = principal.ValueKind == JsonValueKind.Object && principal.TryGetProperty("roles", out var roles)
                ? [.. roles.EnumerateArray().Select(r => r.GetString() ?? "")]
                : [],
            PrincipalAttributes = principal.ValueKind == JsonValueKind.Object ? Member(principal, "attributes") : Empty,
            Now = DateTimeOffset.FromUnixTimeMilliseconds(row.At),
            Run = state is null ? RunSnapshot.Empty : new RunSnapshot
            {
                Steps = state.Steps,
                Calls = [.. state.Called.Select(t => new RecordedCall(t, Effect.Allow))],
                ToolCalls = new Dictionary<string, int> { [row.Tool] = state.ToolCalls },
                IdenticalCalls = state.IdenticalCalls,
                CostUsd = state.CostUsd,
                Duration = TimeSpan.FromMilliseconds(state.DurationMs),
                Depth = state.Depth,
            },
        };
    }

    private static readonly IReadOnlyDictionary<string, object?> Empty = new Dictionary<string, object?>();

    private static object? Member(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? Expression.FromJson(value) : Empty;
}
