using Rein.Core.Traces;

namespace Rein.Server.Traces;

/// <summary>How a run ended: from its root span's status, overridden by <c>rein.run.outcome</c>.</summary>
public enum RunStatus
{
    /// <summary>The root span has not arrived (yet): the run is in progress or its root was lost.</summary>
    Running,
    Success,
    Failure,
    Escalated,
}

/// <summary>One agent task: everything Rein knows of one trace, kept up to date as its spans arrive.</summary>
public sealed record RunSummary
{
    /// <summary>The trace id, 32 lowercase hex characters.</summary>
    public required string Id { get; init; }

    public required string ProjectId { get; init; }

    /// <summary><c>gen_ai.agent.name</c>, falling back to the resource's <c>service.name</c>.</summary>
    public string? Agent { get; init; }

    /// <summary><c>gen_ai.agent.version</c> or <c>rein.release</c>.</summary>
    public string? Release { get; init; }

    public string? Session { get; init; }

    public string? User { get; init; }

    public RunStatus Status { get; init; }

    /// <summary>The root span's name; null while the root has not arrived.</summary>
    public string? Name { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    /// <summary>The earliest start of the agent's spans (of Rein's own while none of the agent's has arrived).</summary>
    public long StartUnixNano { get; init; }

    /// <summary>The latest end of the agent's spans: Rein's own spans, such as a gate decision after the run ended,
    /// never stretch it.</summary>
    public long EndUnixNano { get; init; }

    public double DurationMs => Math.Max(0, EndUnixNano - StartUnixNano) / 1e6;

    public int Spans { get; init; }

    /// <summary>LLM and tool spans.</summary>
    public int Steps { get; init; }

    public int ToolCalls { get; init; }

    /// <summary>The agent's spans with status error, and gateway tool calls that failed although the gate allowed
    /// them. A denied call is a violation, not an error.</summary>
    public int Errors { get; init; }

    /// <summary>Calls the gate denied in the run.</summary>
    public int Violations { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public long CachedInputTokens { get; init; }

    public long ReasoningTokens { get; init; }

    /// <summary>US dollars of the spans whose model has a price.</summary>
    public decimal KnownCost { get; init; }

    /// <summary>Spans that used tokens of a model with no price.</summary>
    public int UnpricedSpans { get; init; }

    /// <summary>The run's cost, or null (unknown) when any of its spans has no price: never a misleading zero.</summary>
    public decimal? Cost => UnpricedSpans > 0 ? null : KnownCost;

    public int Redactions { get; init; }
}

/// <summary>A run and all of its spans, ordered by start time.</summary>
public sealed record RunDetail(RunSummary Run, IReadOnlyList<Span> Spans);

/// <summary>The runs of one session (conversation), oldest first.</summary>
public sealed record SessionDetail(string Id, IReadOnlyList<RunSummary> Runs, bool Truncated);

/// <summary>Filters on the run list; every one is optional and they combine with AND.</summary>
public sealed record RunFilter
{
    public string? Agent { get; init; }

    public string? Release { get; init; }

    public RunStatus? Status { get; init; }

    public string? Session { get; init; }

    public string? User { get; init; }

    /// <summary>Runs that started at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Runs that started before this time.</summary>
    public DateTimeOffset? To { get; init; }

    public decimal? MinCost { get; init; }

    public bool? HasError { get; init; }

    /// <summary>Runs that called this tool.</summary>
    public string? Tool { get; init; }
}

public enum AggregateBucket
{
    Hour,
    Day,
}

/// <summary>One agent's runs in one time bucket.</summary>
public sealed record RunAggregate(
    string Agent,
    DateTimeOffset BucketStart,
    int Runs,
    int FailedRuns,
    int RunsWithErrors,
    double ErrorRate,
    double P50DurationMs,
    double P95DurationMs,
    long InputTokens,
    long OutputTokens,
    decimal KnownCost,
    int UnpricedRuns);

/// <summary>A project's trace settings.</summary>
public sealed record TraceSettings(int RetentionDays, bool CaptureContent);
