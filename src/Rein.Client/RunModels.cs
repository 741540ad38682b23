using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rein.Client;

/// <summary>Token counts summed over a run's spans.</summary>
/// <param name="Input">Input (prompt) tokens.</param>
/// <param name="Output">Output (completion) tokens.</param>
/// <param name="CachedInput">Input tokens served from the provider's cache.</param>
/// <param name="Reasoning">Reasoning tokens.</param>
public sealed record RunTokens(long Input, long Output, long CachedInput, long Reasoning);

/// <summary>One agent task: everything the server knows of one trace.</summary>
/// <param name="Id">The trace id, 32 lowercase hex characters.</param>
/// <param name="ProjectId">The project the run belongs to.</param>
/// <param name="Name">The root span's name; null while the root span has not arrived.</param>
/// <param name="Agent">The agent's name (<c>gen_ai.agent.name</c>, else the service name).</param>
/// <param name="Release">The agent's version or Rein release.</param>
/// <param name="Session">The session (conversation) the run belongs to.</param>
/// <param name="User">The end user the agent acted for.</param>
/// <param name="Status">One of <see cref="RunStatuses.All"/>.</param>
/// <param name="StartedAt">When the agent's earliest span started.</param>
/// <param name="DurationMs">From the agent's earliest span start to its latest span end, in milliseconds; Rein's own
/// spans (gate decisions, approvals, gateway calls) never stretch it.</param>
/// <param name="Spans">How many spans the run has.</param>
/// <param name="Steps">LLM and tool spans.</param>
/// <param name="ToolCalls">Tool spans.</param>
/// <param name="Errors">The agent's spans with status error, and gateway tool calls that failed after the gate allowed
/// them; a denied call is a violation, not an error.</param>
/// <param name="Tokens">Token counts.</param>
/// <param name="Cost">US dollars; null when any span used a model with no price (unknown, not zero).</param>
/// <param name="UnpricedSpans">Spans whose model has no price.</param>
/// <param name="Redactions">Secrets the server redacted from the run's spans.</param>
/// <param name="Violations">Calls the gate denied in the run (0 from servers older than this field).</param>
/// <param name="StartUnixNano">When the run started, in nanoseconds since the Unix epoch (sent as a string; 0 from
/// servers older than this field).</param>
/// <param name="EndUnixNano">When the run ended, in nanoseconds since the Unix epoch (sent as a string).</param>
public sealed record Run(
    string Id,
    string ProjectId,
    string? Name,
    string? Agent,
    string? Release,
    string? Session,
    string? User,
    string Status,
    DateTimeOffset StartedAt,
    double DurationMs,
    int Spans,
    int Steps,
    int ToolCalls,
    int Errors,
    RunTokens Tokens,
    decimal? Cost,
    int UnpricedSpans,
    int Redactions,
    int Violations = 0,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)] long StartUnixNano = 0,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)] long EndUnixNano = 0);

/// <summary>Token counts one span reported; null where it reported none.</summary>
/// <param name="Input">Input tokens.</param>
/// <param name="Output">Output tokens.</param>
/// <param name="CachedInput">Cached input tokens.</param>
/// <param name="Reasoning">Reasoning tokens.</param>
public sealed record SpanTokens(long? Input, long? Output, long? CachedInput, long? Reasoning);

/// <summary>An event recorded on a span.</summary>
/// <param name="Name">The event's name, such as <c>exception</c>.</param>
/// <param name="Time">When it happened.</param>
/// <param name="Attributes">Its attributes as plain JSON values.</param>
public sealed record TraceSpanEvent(string Name, DateTimeOffset Time, IReadOnlyDictionary<string, JsonElement> Attributes);

/// <summary>One span of a run, as the server stores it (after redaction and limits).</summary>
/// <param name="SpanId">16 lowercase hex characters.</param>
/// <param name="ParentSpanId">The parent's span id; null for the root span.</param>
/// <param name="Name">The span's name.</param>
/// <param name="Kind">One of <see cref="SpanKinds.All"/>.</param>
/// <param name="StartedAt">When the span started (to the microsecond).</param>
/// <param name="StartUnixNano">When the span started, in nanoseconds since the Unix epoch (sent as a string).</param>
/// <param name="DurationMs">How long it took, in milliseconds.</param>
/// <param name="Status"><c>unset</c>, <c>ok</c> or <c>error</c>.</param>
/// <param name="StatusMessage">The status description, for errors.</param>
/// <param name="Operation">The GenAI operation (<c>chat</c>, <c>execute_tool</c>, ...).</param>
/// <param name="Provider">The model provider.</param>
/// <param name="Model">The model used.</param>
/// <param name="Agent">The agent's name.</param>
/// <param name="Tool">The tool called.</param>
/// <param name="Session">The session id.</param>
/// <param name="User">The end user id.</param>
/// <param name="Tokens">Token counts.</param>
/// <param name="Cost">US dollars; null when the span used no tokens or its model has no price.</param>
/// <param name="CostUnknown">True when the span used tokens of a model with no price.</param>
/// <param name="Attributes">The span's attributes as plain JSON values (bytes as base64).</param>
/// <param name="Events">The span's events.</param>
/// <param name="Resource">The attributes of the resource (process) that sent the span.</param>
/// <param name="Scope">The instrumentation scope's name.</param>
/// <param name="Redactions">Secrets redacted from this span.</param>
/// <param name="DroppedAttributes">Attributes dropped by the sender or by the server's limits.</param>
/// <param name="DroppedEvents">Events dropped.</param>
/// <param name="TruncatedValues">Values cut at the server's length limit.</param>
/// <param name="EndUnixNano">When the span ended, in nanoseconds since the Unix epoch (sent as a string; 0 from
/// servers older than this field).</param>
public sealed record TraceSpan(
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Kind,
    DateTimeOffset StartedAt,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)] long StartUnixNano,
    double DurationMs,
    string Status,
    string? StatusMessage,
    string? Operation,
    string? Provider,
    string? Model,
    string? Agent,
    string? Tool,
    string? Session,
    string? User,
    SpanTokens Tokens,
    decimal? Cost,
    bool CostUnknown,
    IReadOnlyDictionary<string, JsonElement> Attributes,
    IReadOnlyList<TraceSpanEvent> Events,
    IReadOnlyDictionary<string, JsonElement> Resource,
    string? Scope,
    int Redactions,
    int DroppedAttributes,
    int DroppedEvents,
    int TruncatedValues,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)] long EndUnixNano = 0);

/// <summary>A run with all of its spans, ordered by start time.</summary>
/// <param name="Run">The run.</param>
/// <param name="Spans">Its spans.</param>
public sealed record RunDetails(Run Run, IReadOnlyList<TraceSpan> Spans);

/// <summary>What a session's runs add up to.</summary>
/// <param name="Runs">How many runs are listed.</param>
/// <param name="Errors">Error spans over all the runs.</param>
/// <param name="InputTokens">Input tokens over all the runs.</param>
/// <param name="OutputTokens">Output tokens over all the runs.</param>
/// <param name="Cost">US dollars; null when any run's cost is unknown.</param>
/// <param name="Violations">Calls the gate denied over all the runs.</param>
public sealed record SessionTotals(int Runs, int Errors, long InputTokens, long OutputTokens, decimal? Cost, int Violations = 0);

/// <summary>The runs of one session (conversation), oldest first.</summary>
/// <param name="Id">The session id.</param>
/// <param name="Runs">Its runs, oldest first.</param>
/// <param name="Truncated">True when the session has more runs than the server lists.</param>
/// <param name="Totals">What the listed runs add up to.</param>
public sealed record SessionDetails(string Id, IReadOnlyList<Run> Runs, bool Truncated, SessionTotals Totals);

/// <summary>Filters on the run list; every one is optional and they combine with AND.</summary>
public sealed record RunQuery
{
    /// <summary>Only this agent's runs.</summary>
    public string? Agent { get; init; }

    /// <summary>Only runs of this release.</summary>
    public string? Release { get; init; }

    /// <summary>Only runs with this status, one of <see cref="RunStatuses.All"/>.</summary>
    public string? Status { get; init; }

    /// <summary>Only runs of this session.</summary>
    public string? Session { get; init; }

    /// <summary>Only runs for this end user.</summary>
    public string? User { get; init; }

    /// <summary>Only runs that started at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only runs that started before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Only runs that cost at least this many US dollars.</summary>
    public decimal? MinCost { get; init; }

    /// <summary>True for runs with at least one error span, false for runs with none.</summary>
    public bool? HasError { get; init; }

    /// <summary>Only runs that called this tool.</summary>
    public string? Tool { get; init; }
}

/// <summary>One agent's runs in one time bucket.</summary>
/// <param name="Agent">The agent.</param>
/// <param name="BucketStart">The start of the hour or day.</param>
/// <param name="Runs">Runs that started in the bucket.</param>
/// <param name="FailedRuns">Runs with status failure.</param>
/// <param name="RunsWithErrors">Runs with at least one error span.</param>
/// <param name="ErrorRate">Failed runs over runs, from 0 to 1.</param>
/// <param name="P50DurationMs">Median run duration.</param>
/// <param name="P95DurationMs">95th percentile of run duration.</param>
/// <param name="InputTokens">Input tokens.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="Cost">US dollars of the priced runs.</param>
/// <param name="UnpricedRuns">Runs left out of <paramref name="Cost"/> because a model had no price.</param>
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
    decimal Cost,
    int UnpricedRuns);

/// <summary>Runs per agent and time bucket.</summary>
/// <param name="Bucket"><c>hour</c> or <c>day</c>.</param>
/// <param name="Items">One item per agent and bucket that had runs.</param>
public sealed record RunAggregates(string Bucket, IReadOnlyList<RunAggregate> Items);

/// <summary>A project's trace settings.</summary>
/// <param name="RetentionDays">How many days runs are kept.</param>
/// <param name="CaptureContent">Whether prompt and completion content is stored.</param>
public sealed record TraceSettings(int RetentionDays, bool CaptureContent);

/// <summary>The statuses a run can have.</summary>
public static class RunStatuses
{
    /// <summary>The root span has not arrived (yet).</summary>
    public const string Running = "running";

    /// <summary>The run succeeded.</summary>
    public const string Success = "success";

    /// <summary>The run failed.</summary>
    public const string Failure = "failure";

    /// <summary>The run was handed to a person.</summary>
    public const string Escalated = "escalated";

    /// <summary>Every status.</summary>
    public static IReadOnlyList<string> All { get; } = [Running, Success, Failure, Escalated];
}

/// <summary>What a span does in a run.</summary>
public static class SpanKinds
{
    /// <summary>Every kind: <c>agent</c>, <c>llm</c>, <c>tool</c>, <c>retrieval</c>, <c>embedding</c>, <c>memory</c>,
    /// <c>chain</c>, <c>guardrail</c>, <c>approval</c> and <c>other</c>.</summary>
    public static IReadOnlyList<string> All { get; } = ["agent", "llm", "tool", "retrieval", "embedding", "memory", "chain", "guardrail", "approval", "other"];
}

/// <summary>Time buckets for <see cref="RunsClient.AggregateAsync"/>.</summary>
public static class AggregateBuckets
{
    /// <summary>One bucket per hour.</summary>
    public const string Hour = "hour";

    /// <summary>One bucket per day (UTC).</summary>
    public const string Day = "day";
}
