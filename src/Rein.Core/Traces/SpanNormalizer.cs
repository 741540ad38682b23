using System.Globalization;
using static Rein.Core.Traces.SemanticConventions;

namespace Rein.Core.Traces;

/// <summary>Who sent a span. An agent key binds its spans to its agent (<see cref="BoundAgent"/>): a span claiming
/// another agent is stored under the key's and keeps its claim in <c>rein.agent.claimed</c>. Any other key forwards
/// spans as they claim, and each says so in <c>rein.agent.forwarded_by</c> (the key's id).</summary>
public readonly record struct SpanSender(string? BoundAgent, string? ForwardedBy);

/// <summary>
/// Turns a decoded span into the span Rein stores: configured attributes dropped, content blanked when the project
/// does not capture it, every string redacted, limits enforced, and then read for what it means to an agent run
/// (kind, model, tokens, cost, agent, session). Runs for every ingested span; safe to share between threads.
/// </summary>
public sealed class SpanNormalizer
{
    private readonly Redactor _redactor;
    private readonly PriceTable _prices;
    private readonly TraceLimits _limits;

    // Spans of one resource share its attribute list instance, so the last resource's result is reused.
    private ResourceResult? _lastResource;

    public SpanNormalizer(Redactor redactor, PriceTable prices, TraceLimits limits)
    {
        ArgumentNullException.ThrowIfNull(redactor);
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(limits);
        _redactor = redactor;
        _prices = prices;
        _limits = limits;
    }

    /// <summary>The span as stored. <paramref name="captureContent"/> false blanks prompts, completions, tool
    /// arguments and results while keeping their structure. <paramref name="sender"/> binds the span's agent to the key
    /// that sent it; Rein's own spans (<see cref="RawSpan.FromRein"/>) carry the agent Rein gave them.</summary>
    public Span Normalize(RawSpan raw, bool captureContent, SpanSender sender = default)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var counts = new Counts { DroppedAttributes = Math.Max(0, raw.DroppedAttributesCount) };
        var name = Text(raw.Name, ref counts);
        var statusMessage = raw.StatusMessage is null ? null : Text(raw.StatusMessage, ref counts);
        var attributes = Attributes(raw.Attributes, _limits.MaxAttributesPerSpan, captureContent, inContentEvent: false, ref counts);
        var events = Events(raw.Events, captureContent, ref counts);
        counts.DroppedEvents += Math.Max(0, raw.DroppedEventsCount);
        var resource = Resource(raw.Resource);
        counts.Redactions += resource.Redactions;
        counts.Truncated += resource.Truncated;

        var m = new Meaning();
        m.Read(attributes);
        var tokens = m.Tokens();
        var model = m.ResponseModel ?? m.RequestModel ?? m.LlmModel ?? m.EmbeddingModel;
        var cost = _prices.CostOf(model, tokens);
        var agent = m.AgentName ?? m.OiAgentName ?? resource.Meaning.AgentName ?? resource.Meaning.OiAgentName;
        if (!raw.FromRein)
        {
            (agent, attributes) = Bind(agent, attributes, sender);
        }

        return new Span
        {
            TraceId = raw.TraceId,
            SpanId = raw.SpanId,
            ParentSpanId = string.IsNullOrEmpty(raw.ParentSpanId) ? null : raw.ParentSpanId,
            Name = name,
            Kind = m.Kind(),
            StartUnixNano = raw.StartUnixNano,
            EndUnixNano = raw.EndUnixNano,
            Status = raw.Status,
            StatusMessage = statusMessage,
            Operation = Lower(m.Operation ?? m.OpenInferenceKind),
            Provider = m.ProviderName ?? m.System ?? m.LlmProvider ?? m.LlmSystem,
            Model = model,
            AgentName = agent,
            AgentVersion = m.AgentVersion ?? m.Release ?? resource.Meaning.AgentVersion ?? resource.Meaning.Release,
            SessionId = m.ConversationId ?? m.SessionId ?? resource.Meaning.ConversationId ?? resource.Meaning.SessionId,
            UserId = m.UserId ?? m.EndUserId ?? resource.Meaning.UserId ?? resource.Meaning.EndUserId,
            ToolName = m.ToolName ?? m.OiToolName,
            ServiceName = resource.Meaning.ServiceName,
            Outcome = m.Outcome,
            Tokens = tokens,
            Cost = cost,
            CostUnknown = cost is null && (tokens.Input is not null || tokens.Output is not null),
            Attributes = attributes,
            Events = events,
            Resource = resource.Attributes,
            ScopeName = raw.ScopeName,
            Redactions = counts.Redactions,
            DroppedAttributes = counts.DroppedAttributes,
            DroppedEvents = counts.DroppedEvents,
            TruncatedValues = counts.Truncated,
            FromRein = raw.FromRein,
            ReinRunRoot = raw.FromRein && raw.ReinRunRoot,
        };
    }

    private static string? Lower(string? s) => s?.ToLowerInvariant();

    /// <summary>The span's agent as its sender may state it, and its attributes with the sender's marks (any copy of
    /// those marks the span itself carried is dropped: only Rein sets them).</summary>
    private static (string? Agent, IReadOnlyList<SpanAttribute> Attributes) Bind(string? claimed, IReadOnlyList<SpanAttribute> attributes, SpanSender sender)
    {
        string? mark = null, value = null;
        var agent = claimed;
        if (sender.BoundAgent is { } bound)
        {
            // Agent names compare exactly, case included (docs/concepts.md, "Agents and their keys").
            if (claimed is not null && !string.Equals(claimed, bound, StringComparison.Ordinal))
            {
                (mark, value) = (AgentClaimed, claimed);
            }

            agent = bound;
        }
        else if (sender.ForwardedBy is { } key)
        {
            (mark, value) = (ForwardedBy, key);
        }

        var carried = false;
        for (var i = 0; i < attributes.Count && !carried; i++)
        {
            carried = attributes[i].Key is AgentClaimed or ForwardedBy;
        }

        if (mark is null && !carried)
        {
            return (agent, attributes);
        }

        var result = new List<SpanAttribute>(attributes.Count + 1);
        foreach (var a in attributes)
        {
            if (a.Key is not (AgentClaimed or ForwardedBy))
            {
                result.Add(a);
            }
        }

        if (mark is not null)
        {
            result.Add(new SpanAttribute(mark, value));
        }

        return (agent, result);
    }

    private ResourceResult Resource(IReadOnlyList<SpanAttribute> raw)
    {
        var last = _lastResource;
        if (last is not null && ReferenceEquals(last.Raw, raw))
        {
            return last;
        }

        var counts = default(Counts);
        var attributes = Attributes(raw, int.MaxValue, captureContent: true, inContentEvent: false, ref counts);
        var meaning = new Meaning();
        meaning.Read(attributes);
        var result = new ResourceResult(raw, attributes, meaning, counts.Redactions, counts.Truncated);
        _lastResource = result;
        return result;
    }

    private IReadOnlyList<SpanEvent> Events(IReadOnlyList<SpanEvent> raw, bool captureContent, ref Counts counts)
    {
        if (raw.Count == 0)
        {
            return raw;
        }

        var kept = Math.Min(raw.Count, Math.Max(0, _limits.MaxEventsPerSpan));
        counts.DroppedEvents += raw.Count - kept;
        var result = new SpanEvent[kept];
        for (var i = 0; i < kept; i++)
        {
            var e = raw[i];
            var name = Text(e.Name, ref counts);
            var contentEvent = !captureContent && ContentCapture.IsContentEvent(e.Name);
            var attributes = Attributes(e.Attributes, _limits.MaxAttributesPerEvent, captureContent, contentEvent, ref counts);
            result[i] = ReferenceEquals(name, e.Name) && ReferenceEquals(attributes, e.Attributes) ? e : new SpanEvent(name, e.TimeUnixNano, attributes);
        }

        return result;
    }

    // Returns the input list itself when nothing in it changed, so a clean span allocates no copies.
    private IReadOnlyList<SpanAttribute> Attributes(IReadOnlyList<SpanAttribute> raw, int max, bool captureContent, bool inContentEvent, ref Counts counts)
    {
        if (raw.Count == 0)
        {
            return raw;
        }

        SpanAttribute[]? result = null;
        var kept = 0;
        for (var i = 0; i < raw.Count; i++)
        {
            var a = raw[i];
            if (kept >= max || _redactor.ShouldDrop(a.Key))
            {
                counts.DroppedAttributes++;
                result ??= Copy(raw, i);
                continue;
            }

            var value = !captureContent && ContentCapture.IsContent(a.Key, inContentEvent) ? ContentCapture.Uncapture(a.Value) : a.Value;
            value = Value(a.Key, value, ref counts);
            if (!ReferenceEquals(value, a.Value))
            {
                result ??= Copy(raw, i);
                a = new SpanAttribute(a.Key, value);
            }

            if (result is not null)
            {
                result[kept] = a;
            }

            kept++;
        }

        if (result is null)
        {
            return raw;
        }

        return kept == result.Length ? result : result[..kept];
    }

    private static SpanAttribute[] Copy(IReadOnlyList<SpanAttribute> raw, int count)
    {
        var copy = new SpanAttribute[raw.Count];
        for (var i = 0; i < count; i++)
        {
            copy[i] = raw[i];
        }

        return copy;
    }

    // The attribute's key goes with its value: a value under a secret's name (db.password, http.request.header.authorization)
    // is redacted whole.
    private object? Value(string key, object? value, ref Counts counts)
    {
        switch (value)
        {
            case string s:
                return Text(key, s, ref counts);
            case byte[] bytes when bytes.Length > _limits.MaxAttributeValueLength:
                counts.Truncated++;
                return bytes[..Math.Max(0, _limits.MaxAttributeValueLength)];
            case IReadOnlyList<SpanAttribute> pairs:
                return Pairs(pairs, ref counts);
            case IReadOnlyList<object?> items:
                return Items(key, items, ref counts);
            default:
                return value;
        }
    }

    private IReadOnlyList<SpanAttribute> Pairs(IReadOnlyList<SpanAttribute> pairs, ref Counts counts)
    {
        SpanAttribute[]? copy = null;
        for (var i = 0; i < pairs.Count; i++)
        {
            var v = Value(pairs[i].Key, pairs[i].Value, ref counts);
            if (!ReferenceEquals(v, pairs[i].Value))
            {
                copy ??= [.. pairs];
                copy[i] = new SpanAttribute(pairs[i].Key, v);
            }
        }

        return copy ?? pairs;
    }

    private IReadOnlyList<object?> Items(string key, IReadOnlyList<object?> items, ref Counts counts)
    {
        object?[]? copy = null;
        for (var i = 0; i < items.Count; i++)
        {
            var v = Value(key, items[i], ref counts);
            if (!ReferenceEquals(v, items[i]))
            {
                copy ??= [.. items];
                copy[i] = v;
            }
        }

        return copy ?? items;
    }

    private string Text(string text, ref Counts counts) => Text(null, text, ref counts);

    private string Text(string? key, string text, ref Counts counts)
    {
        var redacted = key is null ? _redactor.Redact(text, ref counts.Redactions) : _redactor.RedactValue(key, text, ref counts.Redactions);
        var max = _limits.MaxAttributeValueLength;
        if (redacted.Length <= max)
        {
            return redacted;
        }

        counts.Truncated++;
        return Truncate(redacted, max);
    }

    /// <summary>The first characters of a value and a marker saying how many were cut, within <paramref name="max"/>
    /// characters in all.</summary>
    internal static string Truncate(string text, int max)
    {
        var keep = Math.Max(0, max - Marker(text.Length).Length);
        keep = Math.Max(0, max - Marker(text.Length - keep).Length);

        // Never split a surrogate pair.
        if (keep > 0 && char.IsHighSurrogate(text[keep - 1]))
        {
            keep--;
        }

        return string.Concat(text.AsSpan(0, keep), Marker(text.Length - keep));
    }

    private static string Marker(int cut) => string.Create(CultureInfo.InvariantCulture, $"…[truncated {cut} chars]");

    private struct Counts
    {
        public int Redactions;
        public int Truncated;
        public int DroppedAttributes;
        public int DroppedEvents;
    }

    private sealed record ResourceResult(IReadOnlyList<SpanAttribute> Raw, IReadOnlyList<SpanAttribute> Attributes, Meaning Meaning, int Redactions, int Truncated);

    /// <summary>The attributes that say what a span means, gathered in one pass over its attributes.</summary>
    private sealed class Meaning
    {
        public string? Operation;
        public string? OpenInferenceKind;
        public string? ProviderName;
        public string? System;
        public string? LlmProvider;
        public string? LlmSystem;
        public string? ResponseModel;
        public string? RequestModel;
        public string? LlmModel;
        public string? EmbeddingModel;
        public string? AgentName;
        public string? OiAgentName;
        public string? AgentVersion;
        public string? Release;
        public string? ConversationId;
        public string? SessionId;
        public string? UserId;
        public string? EndUserId;
        public string? ToolName;
        public string? OiToolName;
        public string? ServiceName;
        public string? Outcome;
        public bool Decision;
        public bool Approval;
        private long? _input;
        private long? _prompt;
        private long? _oiPrompt;
        private long? _output;
        private long? _completion;
        private long? _oiCompletion;
        private long? _cached;
        private long? _cachedOld;
        private long? _oiCached;
        private long? _reasoning;
        private long? _reasoningOld;
        private long? _oiReasoning;

        public void Read(IReadOnlyList<SpanAttribute> attributes)
        {
            for (var i = 0; i < attributes.Count; i++)
            {
                var a = attributes[i];
                switch (a.Key)
                {
                    case OperationName: Operation = Str(a.Value); break;
                    case SpanKind: OpenInferenceKind = Str(a.Value); break;
                    case SemanticConventions.ProviderName: ProviderName = Str(a.Value); break;
                    case SemanticConventions.System: System = Str(a.Value); break;
                    case SemanticConventions.LlmProvider: LlmProvider = Str(a.Value); break;
                    case SemanticConventions.LlmSystem: LlmSystem = Str(a.Value); break;
                    case SemanticConventions.ResponseModel: ResponseModel = Str(a.Value); break;
                    case SemanticConventions.RequestModel: RequestModel = Str(a.Value); break;
                    case LlmModelName: LlmModel = Str(a.Value); break;
                    case EmbeddingModelName: EmbeddingModel = Str(a.Value); break;
                    case SemanticConventions.AgentName: AgentName = Str(a.Value); break;
                    case SemanticConventions.OiAgentName: OiAgentName = Str(a.Value); break;
                    case SemanticConventions.AgentVersion: AgentVersion = Str(a.Value); break;
                    case SemanticConventions.Release: Release = Str(a.Value); break;
                    case SemanticConventions.ConversationId: ConversationId = Str(a.Value); break;
                    case SemanticConventions.SessionId: SessionId = Str(a.Value); break;
                    case SemanticConventions.UserId: UserId = Str(a.Value); break;
                    case SemanticConventions.EndUserId: EndUserId = Str(a.Value); break;
                    case SemanticConventions.ToolName: ToolName = Str(a.Value); break;
                    case SemanticConventions.OiToolName: OiToolName = Str(a.Value); break;
                    case SemanticConventions.ServiceName: ServiceName = Str(a.Value); break;
                    case SemanticConventions.RunOutcome: Outcome = OutcomeOf(a.Value); break;
                    case DecisionEffect: Decision = true; break;
                    case InputTokens: _input = Count(a.Value); break;
                    case PromptTokens: _prompt = Count(a.Value); break;
                    case TokenCountPrompt: _oiPrompt = Count(a.Value); break;
                    case OutputTokens: _output = Count(a.Value); break;
                    case CompletionTokens: _completion = Count(a.Value); break;
                    case TokenCountCompletion: _oiCompletion = Count(a.Value); break;
                    case CacheReadInputTokens: _cached = Count(a.Value); break;
                    case CacheReadInputTokensOld or InputTokensCached or CachedTokens: _cachedOld ??= Count(a.Value); break;
                    case TokenCountCacheRead: _oiCached = Count(a.Value); break;
                    case ReasoningOutputTokens: _reasoning = Count(a.Value); break;
                    case OutputTokensReasoning: _reasoningOld = Count(a.Value); break;
                    case TokenCountReasoning: _oiReasoning = Count(a.Value); break;
                    default:
                        if (a.Key.StartsWith(ApprovalPrefix, StringComparison.Ordinal))
                        {
                            Approval = true;
                        }

                        break;
                }
            }
        }

        public TokenUsage Tokens() => new(
            _input ?? _prompt ?? _oiPrompt,
            _output ?? _completion ?? _oiCompletion,
            _cached ?? _cachedOld ?? _oiCached,
            _reasoning ?? _reasoningOld ?? _oiReasoning);

        public StepKind Kind()
        {
            // Rein's own spans say exactly what they are; a policy decision or an approval may also carry GenAI
            // attributes of the call it gated.
            if (Decision)
            {
                return StepKind.Guardrail;
            }

            if (Approval)
            {
                return StepKind.Approval;
            }

            var fromOperation = Operation?.ToLowerInvariant() switch
            {
                "chat" or "generate_content" or "text_completion" => StepKind.Llm,
                "embeddings" => StepKind.Embedding,
                "retrieval" => StepKind.Retrieval,
                "execute_tool" => StepKind.Tool,
                "invoke_agent" or "create_agent" => StepKind.Agent,
                "invoke_workflow" => StepKind.Chain,

                // Memory operations are proposed (search_memory, update_memory, delete_memory, …) but not yet in
                // the registry; any operation naming memory is one.
                { } op when op.Contains("memory", StringComparison.Ordinal) => StepKind.Memory,
                _ => (StepKind?)null,
            };
            if (fromOperation is { } kind)
            {
                return kind;
            }

            var fromOpenInference = OpenInferenceKind?.ToUpperInvariant() switch
            {
                "LLM" => StepKind.Llm,
                "TOOL" => StepKind.Tool,
                "AGENT" => StepKind.Agent,
                "CHAIN" => StepKind.Chain,
                "RETRIEVER" or "RERANKER" => StepKind.Retrieval,
                "EMBEDDING" => StepKind.Embedding,
                "GUARDRAIL" => StepKind.Guardrail,
                "EVALUATOR" => StepKind.Other,
                _ => (StepKind?)null,
            };
            if (fromOpenInference is { } oiKind)
            {
                return oiKind;
            }

            // Instrumentations older than gen_ai.operation.name marked model calls with gen_ai.system and the model.
            return Operation is null && (System is not null || RequestModel is not null) ? StepKind.Llm : StepKind.Other;
        }

        private static string? Str(object? value) => value switch
        {
            string { Length: > 0 } s => s,
            long or double or bool => Convert.ToString(value, CultureInfo.InvariantCulture),
            _ => null,
        };

        private static string? OutcomeOf(object? value) => value is string s
            ? s.Equals("success", StringComparison.OrdinalIgnoreCase) ? "success"
            : s.Equals("failure", StringComparison.OrdinalIgnoreCase) ? "failure"
            : s.Equals("escalated", StringComparison.OrdinalIgnoreCase) ? "escalated"
            : null
            : null;

        // Token counts arrive as ints, as doubles from JavaScript SDKs, and as strings from some gateways.
        private static long? Count(object? value) => value switch
        {
            long l when l >= 0 => l,
            int i when i >= 0 => i,
            double d when d >= 0 && d < long.MaxValue && !double.IsNaN(d) => (long)Math.Round(d),
            string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l >= 0 => l,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && d < long.MaxValue => (long)Math.Round(d),
            _ => null,
        };
    }
}
