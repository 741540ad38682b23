namespace Rein.Core.Traces;

/// <summary>
/// A value a batch proposes for a run field, with how much to trust it: 3 from the root span, 2 from an agent span,
/// 1 from any other span, 0 from a fallback (the service name standing in for an agent name). The store keeps the
/// highest rank it has seen, the first one among equals.
/// </summary>
public readonly record struct RankedValue(string Value, int Rank);

/// <summary>The root span's summary, when a batch contains it.</summary>
public sealed record RootSpan(string Name, SpanStatus Status, string? StatusMessage);

/// <summary>
/// What one batch of spans adds to one run (a trace). Every field is a sum, a min, a max, a ranked value or a set, so
/// contributions merge in any order with the same result.
/// </summary>
/// <remarks>
/// A run's times are the agent's: from the earliest start to the latest end of the spans the agent sent, its root and
/// every descendant, however late they arrive. Rein's own spans (<see cref="Span.FromRein"/>) never move them, with
/// one exception: a run nobody but Rein has reported yet takes the times of Rein's spans until the agent's first span
/// arrives (<see cref="TimedByAgent"/>).
/// </remarks>
public sealed class RunContribution
{
    public required string TraceId { get; init; }

    /// <summary>Earliest start of the agent's spans in the batch; of Rein's when the batch holds none of the agent's.</summary>
    public long StartUnixNano { get; init; }

    /// <summary>Latest end of the agent's spans in the batch; of Rein's when the batch holds none of the agent's.</summary>
    public long EndUnixNano { get; init; }

    /// <summary>True when the times come from the agent's spans. Agent times replace Rein's stand-in times and are
    /// never moved by them.</summary>
    public bool TimedByAgent { get; init; }

    public int Spans { get; init; }

    /// <summary>Model calls and tool calls: the steps an agent took.</summary>
    public int Steps { get; init; }

    public int ToolCalls { get; init; }

    /// <summary>The agent's spans with status Error, and gateway tool calls that failed although the gate let them
    /// through. Rein's decisions and approvals are never errors.</summary>
    public int Errors { get; init; }

    /// <summary>Calls the gate denied: Rein's decision spans with effect deny.</summary>
    public int Violations { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public long CachedInputTokens { get; init; }

    public long ReasoningTokens { get; init; }

    /// <summary>Sum of the costs that are known; see <see cref="UnpricedSpans"/> for what is missing.</summary>
    public decimal KnownCost { get; init; }

    /// <summary>Spans that used tokens of a model with no price.</summary>
    public int UnpricedSpans { get; init; }

    public int Redactions { get; init; }

    public RankedValue? Agent { get; init; }

    public RankedValue? Release { get; init; }

    public RankedValue? Session { get; init; }

    public RankedValue? User { get; init; }

    /// <summary><c>rein.run.outcome</c> as reported: success, failure or escalated.</summary>
    public RankedValue? Outcome { get; init; }

    public RootSpan? Root { get; init; }

    /// <summary>Distinct tool names called in the batch.</summary>
    public IReadOnlyCollection<string> ToolNames { get; init; } = [];
}

/// <summary>Splits a batch of stored spans into per-run contributions.</summary>
public static class RunContributions
{
    /// <summary>One contribution per trace id, in the order each trace first appears in the batch.</summary>
    public static IReadOnlyList<RunContribution> From(IReadOnlyList<Span> spans)
    {
        ArgumentNullException.ThrowIfNull(spans);
        var builders = new Dictionary<string, Builder>(StringComparer.Ordinal);
        var order = new List<Builder>();
        foreach (var span in spans)
        {
            if (!builders.TryGetValue(span.TraceId, out var builder))
            {
                builder = new Builder(span.TraceId);
                builders.Add(span.TraceId, builder);
                order.Add(builder);
            }

            builder.Add(span);
        }

        var result = new RunContribution[order.Count];
        for (var i = 0; i < order.Count; i++)
        {
            result[i] = order[i].Build();
        }

        return result;
    }

    private sealed class Builder(string traceId)
    {
        private long _start = long.MaxValue;
        private long _end = long.MinValue;
        private long _reinStart = long.MaxValue;
        private long _reinEnd = long.MinValue;
        private int _spans;
        private int _steps;
        private int _toolCalls;
        private int _errors;
        private int _violations;
        private long _input;
        private long _output;
        private long _cached;
        private long _reasoning;
        private decimal _cost;
        private int _unpriced;
        private int _redactions;
        private Candidate _agent;
        private Candidate _release;
        private Candidate _session;
        private Candidate _user;
        private Candidate _outcome;
        private Span? _root;
        private HashSet<string>? _tools;

        public void Add(Span span)
        {
            if (span.FromRein)
            {
                _reinStart = Math.Min(_reinStart, span.StartUnixNano);
                _reinEnd = Math.Max(_reinEnd, span.EndUnixNano);
            }
            else
            {
                _start = Math.Min(_start, span.StartUnixNano);
                _end = Math.Max(_end, span.EndUnixNano);
            }

            _spans++;
            if (span.Kind is StepKind.Llm or StepKind.Tool)
            {
                _steps++;
            }

            if (span.Kind == StepKind.Tool)
            {
                _toolCalls++;
                if (span.ToolName is { Length: > 0 } tool)
                {
                    (_tools ??= new HashSet<string>(StringComparer.Ordinal)).Add(tool);
                }
            }

            if (span.FromRein)
            {
                AddRein(span);
            }
            else if (span.Status == SpanStatus.Error)
            {
                _errors++;
            }

            _input += span.Tokens.Input ?? 0;
            _output += span.Tokens.Output ?? 0;
            _cached += span.Tokens.CachedInput ?? 0;
            _reasoning += span.Tokens.Reasoning ?? 0;
            _cost += span.Cost ?? 0;
            if (span.CostUnknown)
            {
                _unpriced++;
            }

            _redactions += span.Redactions;

            // A span of Rein's without a parent (the gate asked with a run id and no trace context) is not the run's
            // root: it would rename the run, and fail it on a denial. The exception is the root of a run Rein started
            // itself (a gateway session's own run), which an agent's root still outranks.
            if (span.IsRoot && (!span.FromRein || span.ReinRunRoot) && (_root is null || Outranks(span, _root)))
            {
                _root = span;
            }

            var rank = span.IsRoot ? 3 : span.Kind == StepKind.Agent ? 2 : 1;
            _agent.Offer(span.AgentName, rank, span);
            if (span.AgentName is null)
            {
                _agent.Offer(span.ServiceName, 0, span);
            }

            _release.Offer(span.AgentVersion, rank, span);
            _session.Offer(span.SessionId, rank, span);
            _user.Offer(span.UserId, rank, span);
            _outcome.Offer(span.Outcome, rank, span);
        }

        public RunContribution Build()
        {
            var timedByAgent = _start != long.MaxValue;
            return new()
            {
                TraceId = traceId,
                StartUnixNano = timedByAgent ? _start : _reinStart,
                EndUnixNano = timedByAgent ? _end : _reinEnd,
                TimedByAgent = timedByAgent,
                Spans = _spans,
                Steps = _steps,
                ToolCalls = _toolCalls,
                Errors = _errors,
                Violations = _violations,
                InputTokens = _input,
                OutputTokens = _output,
                CachedInputTokens = _cached,
                ReasoningTokens = _reasoning,
                KnownCost = _cost,
                UnpricedSpans = _unpriced,
                Redactions = _redactions,
                Agent = _agent.Value,
                Release = _release.Value,
                Session = _session.Value,
                User = _user.Value,
                Outcome = _outcome.Value,
                Root = _root is null ? null : new RootSpan(_root.Name, _root.Status, _root.StatusMessage),
                ToolNames = _tools is null ? [] : [.. _tools],
            };
        }

        /// <summary>A denial is a violation, once: on the gate's span. The gateway's tool span for the same call is not
        /// an error as well; one the gate let through and that then failed is.</summary>
        private void AddRein(Span span)
        {
            if (span.Kind == StepKind.Guardrail)
            {
                if (Text(span, SemanticConventions.DecisionEffect) == "deny")
                {
                    _violations++;
                }
            }
            else if (span.Kind == StepKind.Tool && span.Status == SpanStatus.Error && Text(span, SemanticConventions.GatewayDecisionEffect) != "deny")
            {
                _errors++;
            }
        }

        private static string? Text(Span span, string key)
        {
            foreach (var a in span.Attributes)
            {
                if (a.Key == key)
                {
                    return a.Value as string;
                }
            }

            return null;
        }

        private static bool Outranks(Span span, Span root) =>
            span.ReinRunRoot != root.ReinRunRoot ? !span.ReinRunRoot : Earlier(span, root);

        // Earliest start first; the span id settles ties so the result does not depend on the order spans arrived in.
        internal static bool Earlier(Span a, Span b) =>
            a.StartUnixNano != b.StartUnixNano ? a.StartUnixNano < b.StartUnixNano : string.CompareOrdinal(a.SpanId, b.SpanId) < 0;
    }

    private struct Candidate
    {
        private string? _value;
        private int _rank;
        private Span? _from;

        public readonly RankedValue? Value => _value is null ? null : new RankedValue(_value, _rank);

        public void Offer(string? value, int rank, Span from)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }

            if (_value is null || rank > _rank || (rank == _rank && Builder.Earlier(from, _from!)))
            {
                _value = value;
                _rank = rank;
                _from = from;
            }
        }
    }
}

/// <summary>The status a run shows.</summary>
public static class RunOutcome
{
    public const string Running = "running";
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Escalated = "escalated";

    /// <summary>
    /// An explicit <c>rein.run.outcome</c> wins; otherwise a run is running until its root span arrives, and then
    /// failed if the root span's status is Error, else succeeded.
    /// </summary>
    public static string Resolve(string? outcome, bool rootSeen, SpanStatus rootStatus)
    {
        if (outcome is not null)
        {
            if (outcome.Equals(Success, StringComparison.OrdinalIgnoreCase))
            {
                return Success;
            }

            if (outcome.Equals(Failure, StringComparison.OrdinalIgnoreCase))
            {
                return Failure;
            }

            if (outcome.Equals(Escalated, StringComparison.OrdinalIgnoreCase))
            {
                return Escalated;
            }
        }

        if (!rootSeen)
        {
            return Running;
        }

        return rootStatus == SpanStatus.Error ? Failure : Success;
    }
}
