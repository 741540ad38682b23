namespace Rein.Core.Traces;

/// <summary>What a span does in an agent's run, whatever convention (GenAI, OpenInference) reported it.</summary>
public enum StepKind
{
    Other,
    Agent,
    Llm,
    Tool,
    Retrieval,
    Embedding,
    Memory,
    Chain,
    Guardrail,
    Approval,
}

/// <summary>OTLP status codes (0 unset, 1 ok, 2 error).</summary>
public enum SpanStatus
{
    Unset = 0,
    Ok = 1,
    Error = 2,
}

/// <summary>
/// One attribute. <see cref="Value"/> is one of: <c>null</c>, <see cref="string"/>, <see cref="bool"/>, <see cref="long"/>,
/// <see cref="double"/>, <c>byte[]</c>, <c>IReadOnlyList&lt;object?&gt;</c> (an array of these values) or
/// <c>IReadOnlyList&lt;SpanAttribute&gt;</c> (a key-value list), mirroring OTLP's AnyValue.
/// </summary>
public sealed record SpanAttribute(string Key, object? Value);

public sealed record SpanEvent(string Name, long TimeUnixNano, IReadOnlyList<SpanAttribute> Attributes);

/// <summary>
/// One span as a transport decoded it, before any interpretation: ids as lowercase hex, times in Unix nanoseconds,
/// the resource's attributes alongside (spans of one resource share the same list instance).
/// </summary>
public sealed class RawSpan
{
    /// <summary>32 lowercase hex characters, not all zero.</summary>
    public required string TraceId { get; init; }

    /// <summary>16 lowercase hex characters, not all zero.</summary>
    public required string SpanId { get; init; }

    /// <summary>Null for a root span (OTLP sends empty bytes or an empty string).</summary>
    public string? ParentSpanId { get; init; }

    public required string Name { get; init; }

    /// <summary>OTLP SpanKind number: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer.</summary>
    public int Kind { get; init; }

    public long StartUnixNano { get; init; }

    public long EndUnixNano { get; init; }

    public IReadOnlyList<SpanAttribute> Attributes { get; init; } = [];

    public IReadOnlyList<SpanEvent> Events { get; init; } = [];

    public int DroppedAttributesCount { get; init; }

    public int DroppedEventsCount { get; init; }

    public SpanStatus Status { get; init; }

    public string? StatusMessage { get; init; }

    public IReadOnlyList<SpanAttribute> Resource { get; init; } = [];

    public string? ScopeName { get; init; }

    public string? ScopeVersion { get; init; }

    /// <summary>
    /// Rein wrote this span about something it did in the run (a gate decision, an approval, a gateway tool call).
    /// Set only by Rein's own writers, never read from the wire: an exporter cannot claim it.
    /// </summary>
    public bool FromRein { get; init; }

    /// <summary>
    /// With <see cref="FromRein"/>: the root of a run Rein itself started (a gateway session's own run, for calls that
    /// joined no trace of the agent's). It names the run like an agent's root would; an agent's root in the same trace
    /// still wins. Set only by Rein's own writers.
    /// </summary>
    public bool ReinRunRoot { get; init; }
}

/// <summary>Token counts a span reported; null where it reported none.</summary>
public readonly record struct TokenUsage(long? Input, long? Output, long? CachedInput, long? Reasoning)
{
    public bool IsEmpty => Input is null && Output is null && CachedInput is null && Reasoning is null;
}

/// <summary>
/// A span as Rein stores it: redacted, within limits, and read for what it means to an agent run. Attributes and
/// events are kept (after redaction) so nothing the agent reported is lost to the explorer.
/// </summary>
public sealed class Span
{
    public required string TraceId { get; init; }

    public required string SpanId { get; init; }

    public string? ParentSpanId { get; init; }

    public required string Name { get; init; }

    public StepKind Kind { get; init; }

    public long StartUnixNano { get; init; }

    public long EndUnixNano { get; init; }

    public SpanStatus Status { get; init; }

    public string? StatusMessage { get; init; }

    /// <summary><c>gen_ai.operation.name</c> or the OpenInference span kind, lower case.</summary>
    public string? Operation { get; init; }

    /// <summary><c>gen_ai.provider.name</c>, or the older <c>gen_ai.system</c>.</summary>
    public string? Provider { get; init; }

    /// <summary>The response model when reported, else the request model.</summary>
    public string? Model { get; init; }

    public string? AgentName { get; init; }

    public string? AgentVersion { get; init; }

    public string? SessionId { get; init; }

    public string? UserId { get; init; }

    public string? ToolName { get; init; }

    /// <summary>The resource's <c>service.name</c>.</summary>
    public string? ServiceName { get; init; }

    /// <summary><c>rein.run.outcome</c>: success, failure or escalated.</summary>
    public string? Outcome { get; init; }

    public TokenUsage Tokens { get; init; }

    /// <summary>US dollars; null when the span used tokens of a model with no price, or used no tokens.</summary>
    public decimal? Cost { get; init; }

    /// <summary>True when the span used tokens but its model has no price: its cost is unknown, not zero.</summary>
    public bool CostUnknown { get; init; }

    public IReadOnlyList<SpanAttribute> Attributes { get; init; } = [];

    public IReadOnlyList<SpanEvent> Events { get; init; } = [];

    public IReadOnlyList<SpanAttribute> Resource { get; init; } = [];

    public string? ScopeName { get; init; }

    /// <summary>Secrets replaced by <c>[REDACTED:kind]</c> in this span.</summary>
    public int Redactions { get; init; }

    /// <summary>Attributes dropped: by the sender, over the count limit, or by configuration.</summary>
    public int DroppedAttributes { get; init; }

    public int DroppedEvents { get; init; }

    /// <summary>Values cut at the length limit.</summary>
    public int TruncatedValues { get; init; }

    /// <summary>
    /// Rein wrote this span about something it did in the run (<see cref="RawSpan.FromRein"/>): it tells the run's story
    /// but is never its root, never an error of the agent's, and never moves its times. Known while the span is
    /// ingested; a span read back from storage says false.
    /// </summary>
    public bool FromRein { get; init; }

    /// <summary>The root of a run Rein started (<see cref="RawSpan.ReinRunRoot"/>): the one span of Rein's that may be a
    /// run's root. Known while the span is ingested.</summary>
    public bool ReinRunRoot { get; init; }

    public bool IsRoot => ParentSpanId is null;

    public long DurationNanos => Math.Max(0, EndUnixNano - StartUnixNano);
}
