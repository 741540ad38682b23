using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rein.Core.Audit;
using Rein.Core.Identity;
using Rein.Core.Traces;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Server.Traces;

/// <summary>Reading runs, sessions and aggregates: what the API, the CLI (through the API) and the dashboard show;
/// and each project's trace settings.</summary>
public sealed class TraceQueries
{
    public const int MaxPageSize = 500;

    /// <summary>Runs a session page lists at most; a longer session says it was cut.</summary>
    public const int MaxSessionRuns = 1000;

    /// <summary>Runs one aggregate request reads at most; a wider window is refused with a message to narrow it.</summary>
    public const int MaxAggregateRuns = 200_000;

    private readonly TraceStore _store;
    private readonly ReinDatabase _database;
    private readonly AuditLog _audit;
    private readonly TracesOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TraceQueries> _logger;

    internal TraceQueries(TraceStore store, ReinDatabase database, AuditLog audit, TracesOptions options, TimeProvider time, ILogger<TraceQueries> logger)
    {
        _store = store;
        _database = database;
        _audit = audit;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Newest first; <paramref name="cursor"/> is the <c>Next</c> of the previous page.</summary>
    /// <exception cref="ReinProblemException">The cursor is not one this server gave out.</exception>
    public async Task<Page<RunSummary>> ListRunsAsync(Caller caller, RunFilter filter, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(filter);
        Permissions.Demand(caller, Permission.Read);
        (long, string)? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            after = TraceStore.ParseCursor(cursor) ?? throw ReinProblemException.Invalid("cursor", "is not a cursor this server gave out");
        }

        var runs = await _store.ListRunsAsync(caller.ProjectId, filter, after, limit + 1, cancellationToken);
        var more = runs.Count > limit;
        if (more)
        {
            runs.RemoveAt(runs.Count - 1);
        }

        return new Page<RunSummary>(runs, more ? TraceStore.FormatCursor(runs[^1]) : null);
    }

    /// <summary>The run with its spans, or null when the caller's project has no such run. The id may be in either case
    /// (ids are stored in lower case; one pasted from a tool that prints upper case is the same trace); anything that is
    /// not 32 hex characters is no run.</summary>
    public async Task<RunDetail?> GetRunAsync(Caller caller, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        if (HexId(runId, 32) is not { } id)
        {
            return null;
        }

        runId = id;
        var run = await _store.GetRunAsync(caller.ProjectId, runId, cancellationToken);
        if (run is null)
        {
            return null;
        }

        var spans = await _store.GetSpansAsync(caller.ProjectId, runId, _options.MaxSpansPerTrace, cancellationToken);
        return new RunDetail(run, spans);
    }

    /// <summary>One span of a run with the run's summary, without reading the run's other spans; null when either is absent.</summary>
    public async Task<(RunSummary Run, Span Span)?> GetSpanAsync(Caller caller, string runId, string spanId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        if (HexId(runId, 32) is not { } trace || HexId(spanId, 16) is not { } span)
        {
            return null;
        }

        var run = await _store.GetRunAsync(caller.ProjectId, trace, cancellationToken);
        var found = run is null ? null : await _store.GetSpanAsync(caller.ProjectId, trace, span, cancellationToken);
        return found is null ? null : (run!, found);
    }

    public async Task<SessionDetail?> GetSessionAsync(Caller caller, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        if (string.IsNullOrEmpty(sessionId))
        {
            return null;
        }

        var runs = await _store.SessionRunsAsync(caller.ProjectId, sessionId, MaxSessionRuns + 1, cancellationToken);
        if (runs.Count == 0)
        {
            return null;
        }

        var truncated = runs.Count > MaxSessionRuns;
        return new SessionDetail(sessionId, truncated ? runs[..MaxSessionRuns] : runs, truncated);
    }

    /// <summary>Per agent and hour or day: counts, error rate, duration percentiles, tokens and cost.</summary>
    /// <exception cref="ReinProblemException">The window is empty, reversed, or holds more runs than one request reads.</exception>
    public async Task<IReadOnlyList<RunAggregate>> AggregateAsync(Caller caller, AggregateBucket bucket, DateTimeOffset from, DateTimeOffset to, string? agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        if (to <= from)
        {
            throw ReinProblemException.Invalid("to", "must be after from");
        }

        var runs = await _store.RunsBetweenAsync(caller.ProjectId, TraceStore.ToUnixNanos(from), TraceStore.ToUnixNanos(to), agent, MaxAggregateRuns + 1, cancellationToken);
        if (runs.Count > MaxAggregateRuns)
        {
            throw ReinProblemException.Invalid("from", $"the window holds more than {MaxAggregateRuns} runs; narrow it or filter by agent");
        }

        var size = bucket == AggregateBucket.Hour ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);
        return [.. runs
            .GroupBy(r => (Agent: r.Agent ?? "", Start: new DateTimeOffset(r.StartedAt.UtcTicks - (r.StartedAt.UtcTicks % size.Ticks), TimeSpan.Zero)))
            .OrderBy(g => g.Key.Start).ThenBy(g => g.Key.Agent, StringComparer.Ordinal)
            .Select(g =>
            {
                var durations = g.Select(r => r.DurationMs).Order().ToArray();
                var failed = g.Count(r => r.Status == RunStatus.Failure);
                return new RunAggregate(
                    g.Key.Agent, g.Key.Start, durations.Length, failed, g.Count(r => r.Errors > 0),
                    (double)failed / durations.Length, Percentile(durations, 0.50), Percentile(durations, 0.95),
                    g.Sum(r => r.InputTokens), g.Sum(r => r.OutputTokens), g.Sum(r => r.KnownCost), g.Count(r => r.UnpricedSpans > 0));
            })];
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    public async Task<TraceSettings> GetSettingsAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        return await EffectiveSettingsAsync(caller.ProjectId, cancellationToken);
    }

    /// <summary>What a run has cost so far by its priced spans, for the gate's cost budget; null when no such run.</summary>
    internal async Task<decimal?> RunCostAsync(string projectId, string runId, CancellationToken cancellationToken) =>
        HexId(runId, 32) is { } id && await _store.GetRunAsync(projectId, id, cancellationToken) is { } run ? run.KnownCost : null;

    /// <summary>The agent a stored run is under (its trace's agent), for the gate to refuse another agent's calls in it;
    /// null when the project has no such run or the run names no agent.</summary>
    internal async Task<string?> RunAgentAsync(string projectId, string traceId, CancellationToken cancellationToken) =>
        HexId(traceId, 32) is { } id && await _store.GetRunAsync(projectId, id, cancellationToken) is { } run ? run.Agent : null;

    /// <summary>A run's summary and its <paramref name="limit"/> most recent spans, for the evidence of an approval
    /// request (read on behalf of the project, whatever the caller's role); null when the project has no such run.</summary>
    internal async Task<(RunSummary Run, IReadOnlyList<Span> Spans)?> RecentAsync(string projectId, string runId, int limit, CancellationToken cancellationToken)
    {
        if (HexId(runId, 32) is not { } id || await _store.GetRunAsync(projectId, id, cancellationToken) is not { } run)
        {
            return null;
        }

        return (run, await _store.GetRecentSpansAsync(projectId, id, limit, cancellationToken));
    }

    internal async Task<TraceSettings> EffectiveSettingsAsync(string projectId, CancellationToken cancellationToken) =>
        await _store.GetSettingsAsync(projectId, cancellationToken) ?? new TraceSettings(_options.RetentionDays, _options.CaptureContent);

    /// <exception cref="ReinProblemException">Retention is out of range.</exception>
    public async Task<TraceSettings> SetSettingsAsync(Caller caller, TraceSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(settings);
        Permissions.Demand(caller, Permission.Administer);
        if (settings.RetentionDays is < 1 or > TracesOptions.MaxRetentionDays)
        {
            throw ReinProblemException.Invalid("retentionDays", $"must be between 1 and {TracesOptions.MaxRetentionDays}");
        }

        var before = await EffectiveSettingsAsync(caller.ProjectId, cancellationToken);
        await _database.WriteAsync(async (c, t) =>
        {
            await TraceStore.SetSettingsAsync(c, t, caller.ProjectId, settings, caller.KeyId, _time.GetUtcNow().ToUnixTimeMilliseconds());
            await _audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId, "traces.settings", "trace-settings", caller.ProjectId, Digest(before), Digest(settings),
                JsonSerializer.Serialize(new { retentionDays = settings.RetentionDays, captureContent = settings.CaptureContent })));
        }, cancellationToken);
        Log.TraceSettingsChanged(_logger, caller.ProjectId, caller.KeyId, settings.RetentionDays, settings.CaptureContent);
        return settings;
    }

    private static string Digest(TraceSettings s) => AuditChain.DigestOf(
        ("retentionDays", s.RetentionDays.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("captureContent", s.CaptureContent ? "true" : "false"));

    /// <summary>The id in lower case (the only shape stored ids have), or null when it is not that many hex characters.</summary>
    private static string? HexId(string? id, int length) =>
        id?.Length == length && id.AsSpan().IndexOfAnyExcept(Hex) < 0 ? id.ToLowerInvariant() : null;

    private static readonly System.Buffers.SearchValues<char> Hex = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");
}
