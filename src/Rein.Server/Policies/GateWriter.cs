using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rein.Core.Identity;
using Rein.Core.Policies;
using Rein.Core.Traces;
using Rein.Server.Identity;
using Rein.Server.Storage;
using Rein.Server.Traces;

namespace Rein.Server.Policies;

/// <summary>A decision the writer made and recorded, or the reason it could not.</summary>
internal sealed record GateOutcome(GateDecision Decision, DecisionRow? Row);

/// <summary>What one transaction did with its group: an outcome per call, or the refusal of a call that names a run
/// another agent started (no decision is made or recorded for it).</summary>
internal sealed record GateGroupResult(GateOutcome?[] Outcomes, ReinProblemException?[] Refused, Dictionary<(string Project, string Run), RunBudgetState> Runs);

/// <summary>
/// One writer per server decides and records: requests wait on a bounded queue; the writer takes what is waiting (up
/// to <see cref="GateOptions.MaxDecisionsPerTransaction"/>) and, in one transaction, checks each project's gate epoch
/// (reloading its rules when another replica changed them), advances the runs' budget state, decides each action in
/// arrival order, counts rate limits and appends the decisions to the log. A request is answered once its decision is
/// committed, so every answer is in the log, and budgets hold across replicas (the run rows stay locked until commit).
/// </summary>
internal sealed class GateWriter(
    ReinDatabase database,
    PolicyCatalog catalog,
    TraceQueries traces,
    DecisionSpans spans,
    Redactor redactor,
    Approvals.ApprovalRequests approvals,
    Audit.AuditLog audit,
    GateOptions options,
    TimeProvider time,
    ILogger<GateWriter> logger) : IHostedService
{
    /// <summary>A run's rows older than its kept calls are deleted in steps of this many.</summary>
    internal const int TrimEvery = 64;

    internal sealed record Pending(Caller Caller, GateCall Call, GateInput Input, string ArgsHash, long Started, TaskCompletionSource<GateOutcome> Done)
    {
        /// <summary>When the writer took the call, to the clock's precision: the start of the decision's span.</summary>
        public DateTimeOffset Queued { get; init; }
    }

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, GateRules> _rules = new(StringComparer.Ordinal);
    private readonly RunStateCache _runStates = new(options.RunCacheSize);

    private readonly FairShare _share = new(new ShareLimits(
        "decisions waiting", options.QueueCapacity, "Gate:QueueCapacity", options.MaxQueuedPerProject, "Gate:MaxQueuedPerProject", options.MaxQueuedPerKey, "Gate:MaxQueuedPerKey"));

    private Task? _loop;

    public int Queued => _share.InUse;

    /// <exception cref="GateUnavailableException">The queue is full, the server is stopping or the commit timed out.</exception>
    public async Task<GateOutcome> DecideAsync(Pending pending, CancellationToken cancellationToken)
    {
        pending = pending with { Queued = time.GetUtcNow() };
        if (_share.TryAcquire(pending.Caller.ProjectId, pending.Caller.KeyId) is { } refused)
        {
            if (refused.OverShare)
            {
                Log.GateOverShare(logger, pending.Caller.KeyId, pending.Caller.ProjectId, refused.Bound);
                throw new GateUnavailableException(refused.Message, TimeSpan.FromSeconds(1));
            }

            Log.GateQueueFull(logger, _share.InUse, options.QueueCapacity, pending.Caller.ProjectId);
            throw new GateUnavailableException($"the gate's queue is full ({options.QueueCapacity} decisions waiting, Gate:QueueCapacity)", TimeSpan.FromSeconds(1));
        }

        if (!_queue.Writer.TryWrite(pending))
        {
            Release(pending);
            throw new GateUnavailableException("the server is shutting down", TimeSpan.FromSeconds(5));
        }

        try
        {
            return await pending.Done.Task.WaitAsync(options.CommitTimeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new GateUnavailableException($"the decision was not recorded within {options.CommitTimeout.TotalSeconds:0.###}s (Gate:CommitTimeout)", TimeSpan.FromSeconds(1));
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RunAsync()
    {
        var group = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < options.MaxDecisionsPerTransaction && _queue.Reader.TryRead(out var pending))
            {
                group.Add(pending);
            }

            await WriteAsync(group);
            group.ForEach(Release);
        }
    }

    private void Release(Pending pending) => _share.Release(pending.Caller.ProjectId, pending.Caller.KeyId);

    private async Task WriteAsync(List<Pending> group)
    {
        GateGroupResult result;
        try
        {
            result = await database.WriteAsync((c, t) => DecideAllAsync(c, t, group), CancellationToken.None);
        }
        catch (Exception e) when (Storage.StorageFailure.Classify(e) is { } outage)
        {
            // Storage is down (logged once, when the outage began): every call waiting is denied (fail closed), none is
            // decided on its own, and no stack trace is logged per group.
            foreach (var pending in group)
            {
                pending.Done.TrySetException(new GateUnavailableException($"storage is unavailable ({outage.Reason})", outage.RetryAfter));
            }

            return;
        }
        catch (Exception e) when (group.Count > 1)
        {
            // One bad request must not fail the others it shared a transaction with: decide each on its own.
            Log.GateWriteFailed(logger, group.Count, e);
            foreach (var pending in group)
            {
                await WriteAsync([pending]);
            }

            return;
        }
        catch (Exception e)
        {
            Log.GateWriteFailed(logger, group.Count, e);
            group[0].Done.TrySetException(new GateUnavailableException("the decision could not be recorded", TimeSpan.FromSeconds(1)));
            return;
        }

        foreach (var (key, run) in result.Runs)
        {
            _runStates.Put(key, run);
        }

        var decided = new List<Pending>(group.Count);
        var outcomes = new List<GateOutcome>(group.Count);
        for (var i = 0; i < group.Count; i++)
        {
            if (result.Refused[i] is { } refused)
            {
                group[i].Done.TrySetException(refused);
                continue;
            }

            group[i].Done.TrySetResult(result.Outcomes[i]!);
            decided.Add(group[i]);
            outcomes.Add(result.Outcomes[i]!);
        }

        if (options.WriteSpans)
        {
            spans.Write(decided, outcomes);
        }
    }

    private async Task<GateGroupResult> DecideAllAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, List<Pending> group)
    {
        var now = time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var rules = new Dictionary<string, GateRules>(StringComparer.Ordinal);
        var runs = new Dictionary<(string Project, string Run), RunBudgetState>();
        var perRun = new SortedDictionary<(string Project, string Run), (int Steps, string? Parent, string Agent)>();
        var refused = new ReinProblemException?[group.Count];
        for (var i = 0; i < group.Count; i++)
        {
            var p = group[i];
            if (!rules.ContainsKey(p.Caller.ProjectId))
            {
                rules[p.Caller.ProjectId] = await RulesAsync(c, t, p.Caller.ProjectId);
            }

            if (p.Call.RunId is { } runId)
            {
                // A run belongs to the agent that started it; within a group, the first call that names it speaks for
                // the run until the database says who owns it.
                var key = (p.Caller.ProjectId, runId);
                if (!perRun.TryGetValue(key, out var seen))
                {
                    perRun[key] = (1, p.Call.ParentRunId, p.Call.Agent);
                }
                else if (AgentIdentity.Same(seen.Agent, p.Call.Agent))
                {
                    perRun[key] = (seen.Steps + 1, seen.Parent, seen.Agent);
                }
                else
                {
                    refused[i] = AgentIdentity.ForeignRun("run", runId, seen.Agent, p.Call.Agent);
                }
            }
        }

        // In key order, so two replicas locking several runs always lock them in the same order (no deadlock).
        foreach (var (key, (steps, parent, agent)) in perRun)
        {
            if (await GateStore.AdvanceRunAsync(c, t, key.Project, key.Run, parent, agent, steps, nowMs) is not { } row)
            {
                var owner = await GateStore.RunOwnerAsync(c, t, key.Project, key.Run) ?? "another agent";
                for (var i = 0; i < group.Count; i++)
                {
                    if (refused[i] is null && group[i].Caller.ProjectId == key.Project && group[i].Call.RunId == key.Run)
                    {
                        refused[i] = AgentIdentity.ForeignRun("run", key.Run, owner, group[i].Call.Agent);
                    }
                }

                continue;
            }

            var before = row.Steps - steps;
            var state = _runStates.Take(key, before)
                ?? new RunBudgetState(row, before, before == 0 ? [] : await GateStore.LoadCallsAsync(c, t, key.Project, key.Run, options.MaxRecordedCalls), options.MaxRecordedCalls);

            // Marking a run untrusted does not move its steps, so a kept state learns it from the row.
            state.Untrusted = row.Untrusted != 0;
            runs[key] = state;
        }

        var outcomes = new GateOutcome?[group.Count];
        var rows = new List<DecisionRow>(group.Count);
        var costs = new Dictionary<(string, string), decimal?>();
        for (var i = 0; i < group.Count; i++)
        {
            if (refused[i] is not null)
            {
                continue;
            }

            var p = group[i];
            var projectRules = rules[p.Caller.ProjectId];
            RunBudgetState? run = null;
            var input = p.Input;
            if (p.Call.RunId is { } runId)
            {
                var key = (p.Caller.ProjectId, runId);
                run = runs[key];
                decimal? cost = null;
                if (NeedsCost(projectRules, p.Call.Agent) && !costs.TryGetValue(key, out cost))
                {
                    cost = costs[key] = await traces.RunCostAsync(p.Caller.ProjectId, runId, CancellationToken.None);
                }

                input = input with { Run = run.Snapshot(p.Call.Tool, p.ArgsHash, now, cost), Now = now };
            }
            else
            {
                input = input with { Now = now };
            }

            var decided = GateDecider.Decide(projectRules, input, options.UnboundEffect);
            var effect = decided.Effect;
            var reasons = decided.Reasons;
            foreach (var limit in decided.RateLimits)
            {
                var windowMs = Math.Max(1, (long)limit.Window.TotalMilliseconds);
                var counter = string.Create(CultureInfo.InvariantCulture, $"{decided.Policy?.Policy.Name}/{limit.Rule}/{windowMs}/{limit.Key}");
                var count = await GateStore.CountRateAsync(c, t, p.Caller.ProjectId, counter, nowMs - (nowMs % windowMs));
                if (count > limit.Limit)
                {
                    effect = Effect.Deny;
                    reasons = [new DecisionReason("rate_limit." + limit.Rule, string.Create(CultureInfo.InvariantCulture,
                        $"rule '{limit.Rule}' allows {limit.Limit} calls per {Durations.Format(limit.Window)} for key '{limit.Key}'; this is call {count}"))];
                    break;
                }
            }

            var id = DecisionIds.New(now);
            var stored = DecisionInput.Write(p.Call, decided.Redact, redactor);
            ApprovalHint? approval = null;
            if (p.Call.ApprovalToken is { } token && !decided.Killed)
            {
                (effect, reasons) = await RedeemAsync(c, t, p, token, projectRules, effect, reasons, id, nowMs);
            }
            else if (effect == Effect.RequireApproval && decided.Mode == PolicyMode.Enforce)
            {
                approval = await approvals.OpenAsync(c, t, p.Caller, p.Call, p.ArgsHash, decided, id, stored, TraceIdOf(p.Call), now);
            }

            var latencyUs = (long)Stopwatch.GetElapsedTime(p.Started).TotalMicroseconds;
            var decision = Response(id, effect, reasons, decided, approval);
            // Before the call is recorded: the snapshot shares the run's state.
            var row = Row(p, id, nowMs, decision, decided, input.Run, run?.CalledTools ?? [], latencyUs, stored);
            run?.Record(p.Call.Tool, effect, p.ArgsHash);
            rows.Add(row);
            outcomes[i] = new GateOutcome(decision, row);
            if (p.Call.ActingAs)
            {
                // A key that is not the agent's acted for it: said in the same transaction as the decision.
                await audit.AppendAsync(c, t, p.Caller.ProjectId, new Core.Audit.AuditEvent(
                    p.Caller.KeyId, ActAsAction, "decision", id, null, null,
                    JsonSerializer.Serialize(new ActAsDetails(p.Caller.KeyName, p.Caller.Role.ToName(), p.Call.Agent, p.Call.Tool, p.Call.RunId, decision.Effect), DecisionJson.Options)));
            }
        }

        foreach (var byProject in runs.GroupBy(r => r.Key.Project))
        {
            var fresh = new List<(string, RunCall)>();
            foreach (var (key, run) in byProject)
            {
                var calls = run.TakeFresh();
                fresh.AddRange(calls.Select(call => (key.Run, call)));
                // Rows past the kept calls are deleted in steps of TrimEvery, not one by one.
                if (calls.Count > 0)
                {
                    var upTo = TrimBoundary(run.Steps);
                    if (upTo > TrimBoundary(calls[0].Seq - 1))
                    {
                        await GateStore.TrimCallsAsync(c, t, key.Project, key.Run, upTo);
                    }
                }
            }

            await GateStore.AppendCallsAsync(c, t, byProject.Key, fresh);
        }

        await GateStore.InsertDecisionsAsync(c, t, rows);
        return new GateGroupResult(outcomes, refused, runs);
    }

    /// <summary>The audit action of a gate call made by a key acting for an agent (<c>actAs</c>).</summary>
    internal const string ActAsAction = "gate.act_as";

    private sealed record ActAsDetails(string KeyName, string Role, string Agent, string Tool, string? RunId, string Effect);

    /// <summary>
    /// A call that carries an approval token: a token that fails a check denies with why; a valid one turns the
    /// decision into allow and is used up, unless the policy now denies the call outright (a deny rule, a budget or a
    /// rate limit), which a person's approval does not override; the token then stays unused.
    /// </summary>
    private static async Task<(Effect, IReadOnlyList<DecisionReason>)> RedeemAsync(
        System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, Pending p, string token, GateRules rules, Effect effect,
        IReadOnlyList<DecisionReason> reasons, string decisionId, long nowMs)
    {
        var check = await Approvals.ApprovalRequests.CheckTokenAsync(c, t, p.Caller, token, p.Call, p.ArgsHash, rules, nowMs);
        if (check.Failure is { } failure)
        {
            return (Effect.Deny, [failure]);
        }

        var request = check.Request!;
        if (effect == Effect.Deny)
        {
            return (Effect.Deny, [.. reasons, new DecisionReason(Approvals.ApprovalRequests.UnusedTokenRule, $"the approval token of {request.Id} was not used: the policy denies this call")]);
        }

        return await Approvals.ApprovalRequests.UseTokenAsync(c, t, request, decisionId, nowMs)
            ? (Effect.Allow, [Approvals.ApprovalRequests.Allowed(request)])
            : (Effect.Deny, [Approvals.ApprovalRequests.UsedMeanwhile(request)]);
    }

    /// <summary>The last step whose call may be deleted once the run has taken <paramref name="steps"/> steps.</summary>
    private long TrimBoundary(long steps) => Math.Max(0, steps - options.MaxRecordedCalls) / TrimEvery * TrimEvery;

    private static bool NeedsCost(GateRules rules, string agent)
    {
        foreach (var active in rules.Policies)
        {
            if (active.Policy.NeedsRunCost && active.Policy.BindsAgent(agent))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The project's rules, reloaded only when its epoch moved since this replica last read them.</summary>
    private async Task<GateRules> RulesAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, string projectId)
    {
        var epoch = await catalog.ReadEpochAsync(c, t, projectId);
        if (_rules.TryGetValue(projectId, out var cached) && cached.Epoch == epoch)
        {
            return cached;
        }

        var loaded = await catalog.LoadAsync(c, t, projectId);
        _rules[projectId] = loaded;
        Log.GateRulesLoaded(logger, projectId, loaded.Epoch, loaded.Policies.Count, loaded.KillSwitches.Count);
        return loaded;
    }

    private static GateDecision Response(string id, Effect effect, IReadOnlyList<DecisionReason> reasons, Decided decided, ApprovalHint? approval) =>
        new(
            id,
            effect.ToName(),
            [.. reasons.Select(r => new ReasonResponse(r.Rule, r.Message))],
            decided.Redact.Count == 0 && decided.RateLimits.Count == 0
                ? ObligationsResponse.None
                : new ObligationsResponse(decided.Redact, [.. decided.RateLimits.Select(l => new RateLimitResponse(l.Rule, l.Key, l.Limit, Durations.Format(l.Window)))]),
            decided.Policy is { } p ? new PolicyRef(p.Policy.Name, p.Version, p.Policy.Hash) : null,
            decided.Mode?.ToName(),
            approval,
            decided.Shadow)
        {
            EffectValue = effect,
        };

    private static DecisionRow Row(Pending p, string id, long at, GateDecision decision, Decided decided, RunSnapshot run, IReadOnlyCollection<string> called, long latencyUs, string input)
    {
        var call = p.Call;
        var runState = JsonSerializer.Serialize(new RunStateRecord(
            run.Steps, run.ToolCalls.GetValueOrDefault(call.Tool), run.IdenticalCalls, run.CostUsd, (long)run.Duration.TotalMilliseconds, run.Depth,
            [.. called]), DecisionJson.Options);
        return new DecisionRow(
            p.Caller.ProjectId, id, at, call.Agent, call.Release, call.RunId, call.SessionId, call.PrincipalId, call.Tool, call.Server,
            decision.Effect, decision.Mode, decision.Policy?.Name, decision.Policy?.Version, decision.Policy?.Hash,
            JsonSerializer.Serialize(decided.Rules, DecisionJson.Options),
            JsonSerializer.Serialize(decision.Reasons, DecisionJson.Options),
            JsonSerializer.Serialize(decision.Obligations, DecisionJson.Options),
            JsonSerializer.Serialize(decision.Shadow, DecisionJson.Options),
            input,
            runState, latencyUs, TraceIdOf(call), null);
    }

    internal static string? TraceIdOf(GateCall call) =>
        call.TraceId ?? (call.RunId is { Length: 32 } run && TraceParent.IsHex(run) ? run.ToLowerInvariant() : null);
}

/// <summary>What the log keeps of the run's state at a decision, enough to replay it in a backtest.</summary>
internal sealed record RunStateRecord(int Steps, int ToolCalls, int IdenticalCalls, decimal? CostUsd, long DurationMs, int Depth, IReadOnlyList<string> Called);

/// <summary>The gate could not decide (queue full, stopping, storage failing): the answer is deny.</summary>
public sealed class GateUnavailableException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>Decision ids: <c>dec_</c>, 10 characters of milliseconds and 16 random (Crockford base32), so they sort by time.</summary>
internal static class DecisionIds
{
    private const string Prefix = "dec_";

    public static string New(DateTimeOffset at) => SortableIds.New(Prefix, at);

    public static bool IsValid(string? id) => SortableIds.IsValid(Prefix, id);
}

/// <summary>JSON of the decision log's columns: camelCase, compact.</summary>
internal static class DecisionJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}

/// <summary>Durations as policies write them: 90s, 15m, 1h30m.</summary>
internal static class Durations
{
    public static string Format(TimeSpan span)
    {
        if (span.TotalSeconds < 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0}ms");
        }

        var text = "";
        if (span.Days > 0 || span.Hours > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h");
        }

        if (span.Minutes > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m");
        }

        if (span.Seconds > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"{span.Seconds}s");
        }

        return text;
    }
}
