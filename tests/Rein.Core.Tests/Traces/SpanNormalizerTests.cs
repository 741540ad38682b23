using System.Text.Json;
using Rein.Core.Traces;

namespace Rein.Core.Tests.Traces;

public sealed class SpanNormalizerTests
{
    private static readonly string OpenAiKey = "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_AbCdEfGh";

    private static readonly SpanNormalizer Normalizer = new(Redactor.Default, PriceTable.Default, new TraceLimits());

    internal static RawSpan Raw(params SpanAttribute[] attributes) => With(attributes);

    internal static RawSpan With(
        SpanAttribute[] attributes,
        IReadOnlyList<SpanAttribute>? resource = null,
        IReadOnlyList<SpanEvent>? events = null,
        string name = "chat gpt-4o",
        string? statusMessage = null,
        string? parentSpanId = null,
        int droppedAttributes = 0,
        int droppedEvents = 0) => new()
        {
            TraceId = "0af7651916cd43dd8448eb211c80319c",
            SpanId = "b7ad6b7169203331",
            ParentSpanId = parentSpanId,
            Name = name,
            StartUnixNano = 1_000,
            EndUnixNano = 2_000,
            Attributes = attributes,
            Resource = resource ?? [],
            Events = events ?? [],
            StatusMessage = statusMessage,
            DroppedAttributesCount = droppedAttributes,
            DroppedEventsCount = droppedEvents,
        };

    private static SpanAttribute A(string key, object? value) => new(key, value);

    private static object? Value(Span span, string key) => span.Attributes.Single(a => a.Key == key).Value;

    [Fact]
    public void Normalize_CurrentGenAiChatSpan_ReadsWhatItMeans()
    {
        var span = Normalizer.Normalize(With(
        [
            A("gen_ai.operation.name", "chat"),
            A("gen_ai.provider.name", "openai"),
            A("gen_ai.request.model", "gpt-4o"),
            A("gen_ai.response.model", "gpt-4o-2024-08-06"),
            A("gen_ai.usage.input_tokens", 1000L),
            A("gen_ai.usage.output_tokens", 500L),
            A("gen_ai.usage.cache_read.input_tokens", 200L),
            A("gen_ai.usage.reasoning.output_tokens", 100L),
            A("gen_ai.agent.name", "support-bot"),
            A("gen_ai.agent.version", "1.4.0"),
            A("gen_ai.conversation.id", "conv-1"),
            A("user.id", "u-7"),
            A("rein.run.outcome", "Escalated"),
        ],
        resource: [A("service.name", "support-svc")]), captureContent: true);

        Assert.Equal(StepKind.Llm, span.Kind);
        Assert.Equal("chat", span.Operation);
        Assert.Equal("openai", span.Provider);
        Assert.Equal("gpt-4o-2024-08-06", span.Model);
        Assert.Equal(new TokenUsage(1000, 500, 200, 100), span.Tokens);

        // gpt-4o list price: 800 uncached × $2.50 + 200 cached × $1.25 + 500 output × $10, per million.
        Assert.Equal(0.00725m, span.Cost);
        Assert.False(span.CostUnknown);
        Assert.Equal("support-bot", span.AgentName);
        Assert.Equal("1.4.0", span.AgentVersion);
        Assert.Equal("conv-1", span.SessionId);
        Assert.Equal("u-7", span.UserId);
        Assert.Equal("support-svc", span.ServiceName);
        Assert.Equal("escalated", span.Outcome);
        Assert.True(span.IsRoot);
    }

    [Fact]
    public void Normalize_OlderGenAiSpanWithoutOperation_IsAnLlmCallWithPromptAndCompletionTokens()
    {
        var span = Normalizer.Normalize(Raw(
            A("gen_ai.system", "anthropic"),
            A("gen_ai.request.model", "claude-3-5-sonnet-20241022"),
            A("gen_ai.usage.prompt_tokens", 2000L),
            A("gen_ai.usage.completion_tokens", 100L)), captureContent: true);

        Assert.Equal(StepKind.Llm, span.Kind);
        Assert.Null(span.Operation);
        Assert.Equal("anthropic", span.Provider);
        Assert.Equal(new TokenUsage(2000, 100, null, null), span.Tokens);
        Assert.Equal((2000 * 3m + 100 * 15m) / 1_000_000m, span.Cost);
    }

    [Fact]
    public void Normalize_OpenInferenceLlmSpan_ReadsItsNames()
    {
        var span = Normalizer.Normalize(Raw(
            A("openinference.span.kind", "LLM"),
            A("llm.provider", "openai"),
            A("llm.model_name", "gpt-4.1-mini"),
            A("llm.token_count.prompt", 300.0),
            A("llm.token_count.completion", "40"),
            A("llm.token_count.prompt_details.cache_read", 100L),
            A("llm.token_count.completion_details.reasoning", 8L),
            A("session.id", "s-1"),
            A("agent.name", "planner")), captureContent: true);

        Assert.Equal(StepKind.Llm, span.Kind);
        Assert.Equal("llm", span.Operation);
        Assert.Equal("openai", span.Provider);
        Assert.Equal("gpt-4.1-mini", span.Model);
        Assert.Equal(new TokenUsage(300, 40, 100, 8), span.Tokens);
        Assert.Equal("s-1", span.SessionId);
        Assert.Equal("planner", span.AgentName);
    }

    [Theory]
    [InlineData("chat", StepKind.Llm)]
    [InlineData("generate_content", StepKind.Llm)]
    [InlineData("text_completion", StepKind.Llm)]
    [InlineData("embeddings", StepKind.Embedding)]
    [InlineData("retrieval", StepKind.Retrieval)]
    [InlineData("execute_tool", StepKind.Tool)]
    [InlineData("invoke_agent", StepKind.Agent)]
    [InlineData("create_agent", StepKind.Agent)]
    [InlineData("invoke_workflow", StepKind.Chain)]
    [InlineData("search_memory", StepKind.Memory)]
    [InlineData("update_memory", StepKind.Memory)]
    [InlineData("something_custom", StepKind.Other)]
    public void Normalize_OperationName_GivesTheKind(string operation, StepKind expected)
    {
        Assert.Equal(expected, Normalizer.Normalize(Raw(A("gen_ai.operation.name", operation)), true).Kind);
    }

    [Theory]
    [InlineData("LLM", StepKind.Llm)]
    [InlineData("TOOL", StepKind.Tool)]
    [InlineData("AGENT", StepKind.Agent)]
    [InlineData("CHAIN", StepKind.Chain)]
    [InlineData("RETRIEVER", StepKind.Retrieval)]
    [InlineData("RERANKER", StepKind.Retrieval)]
    [InlineData("EMBEDDING", StepKind.Embedding)]
    [InlineData("GUARDRAIL", StepKind.Guardrail)]
    [InlineData("EVALUATOR", StepKind.Other)]
    [InlineData("tool", StepKind.Tool)]
    public void Normalize_OpenInferenceKind_GivesTheKind(string kind, StepKind expected)
    {
        Assert.Equal(expected, Normalizer.Normalize(Raw(A("openinference.span.kind", kind)), true).Kind);
    }

    [Fact]
    public void Normalize_ReinAttributes_WinOverGenAiOperation()
    {
        Assert.Equal(StepKind.Guardrail, Normalizer.Normalize(Raw(A("gen_ai.operation.name", "execute_tool"), A("rein.decision.effect", "deny")), true).Kind);
        Assert.Equal(StepKind.Approval, Normalizer.Normalize(Raw(A("gen_ai.operation.name", "execute_tool"), A("rein.approval.id", "ap_1")), true).Kind);
    }

    [Fact]
    public void Normalize_NoConventionAttributes_IsOther()
    {
        var span = Normalizer.Normalize(Raw(A("http.request.method", "GET")), true);

        Assert.Equal(StepKind.Other, span.Kind);
        Assert.True(span.Tokens.IsEmpty);
        Assert.Null(span.Cost);
        Assert.False(span.CostUnknown);
    }

    [Theory]
    [InlineData(12L, 12L)]
    [InlineData(12.0, 12L)]
    [InlineData("12", 12L)]
    [InlineData("12.0", 12L)]
    [InlineData("twelve", null)]
    [InlineData(-3L, null)]
    [InlineData(true, null)]
    public void Normalize_TokenCountOfAnyNumericShape_IsRead(object value, long? expected)
    {
        Assert.Equal(expected, Normalizer.Normalize(Raw(A("gen_ai.usage.input_tokens", value)), true).Tokens.Input);
    }

    [Fact]
    public void Normalize_TokensOfAnUnpricedModel_MarkTheCostUnknown()
    {
        var span = Normalizer.Normalize(Raw(
            A("gen_ai.operation.name", "chat"),
            A("gen_ai.request.model", "acme-local-7b"),
            A("gen_ai.usage.input_tokens", 10L)), true);

        Assert.Null(span.Cost);
        Assert.True(span.CostUnknown);
    }

    [Fact]
    public void Normalize_ResourceAttributes_AreAFallbackThatSpanAttributesOverride()
    {
        var resource = new[] { A("service.name", "svc"), A("session.id", "from-resource"), A("gen_ai.agent.name", "resource-agent"), A("rein.release", "r-9") };

        var fallback = Normalizer.Normalize(With([], resource: resource), true);
        var overridden = Normalizer.Normalize(With([A("session.id", "from-span"), A("gen_ai.agent.name", "span-agent")], resource: resource), true);

        Assert.Equal("from-resource", fallback.SessionId);
        Assert.Equal("resource-agent", fallback.AgentName);
        Assert.Equal("r-9", fallback.AgentVersion);
        Assert.Equal("from-span", overridden.SessionId);
        Assert.Equal("span-agent", overridden.AgentName);
    }

    [Theory]
    [InlineData("SUCCESS", "success")]
    [InlineData("failure", "failure")]
    [InlineData("escalated", "escalated")]
    [InlineData("done", null)]
    public void Normalize_RunOutcome_IsOneOfThreeOrNull(string value, string? expected)
    {
        Assert.Equal(expected, Normalizer.Normalize(Raw(A("rein.run.outcome", value)), true).Outcome);
    }

    [Fact]
    public void Normalize_SecretsAnywhere_AreRedactedAndCounted()
    {
        var raw = With(
            [A("http.url", $"https://api.example.com/?key={OpenAiKey}"), A("nested", new object?[] { "clean", new SpanAttribute[] { A("token", OpenAiKey) } })],
            name: $"call {OpenAiKey}",
            statusMessage: $"401 for {OpenAiKey}",
            events: [new SpanEvent($"retry {OpenAiKey}", 1_500, [A("detail", OpenAiKey)])],
            resource: [A("service.name", "svc"), A("deploy.token", OpenAiKey)]);

        var span = Normalizer.Normalize(raw, captureContent: true);

        Assert.Equal(7, span.Redactions);
        var all = JsonSerializer.Serialize(new { span.Name, span.StatusMessage, span.Attributes, span.Events, span.Resource });
        Assert.DoesNotContain(OpenAiKey, all, StringComparison.Ordinal);
        Assert.Equal("call [REDACTED:openai_key]", span.Name);
        var nested = (IReadOnlyList<object?>)Value(span, "nested")!;
        Assert.Equal("clean", nested[0]);
        Assert.Equal("[REDACTED:openai_key]", ((IReadOnlyList<SpanAttribute>)nested[1]!)[0].Value);
    }

    [Fact]
    public void Normalize_CleanSpan_KeepsTheSameAttributeList()
    {
        var raw = Raw(A("gen_ai.operation.name", "chat"), A("gen_ai.input.messages", "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]"));

        var span = Normalizer.Normalize(raw, captureContent: true);

        Assert.Same(raw.Attributes, span.Attributes);
        Assert.Equal(0, span.Redactions);
    }

    [Fact]
    public void Normalize_ConfiguredDrops_AreRemovedAndCountedWithTheSendersDrops()
    {
        var normalizer = new SpanNormalizer(new Redactor(new RedactionRules { DropAttributes = ["http.request.header.*", "user.email"] }), PriceTable.Default, new TraceLimits());
        var raw = With([A("http.request.header.authorization", "Basic x"), A("http.request.method", "POST"), A("user.email", "a@b.c")], droppedAttributes: 3);

        var span = normalizer.Normalize(raw, true);

        Assert.Equal(["http.request.method"], span.Attributes.Select(a => a.Key));
        Assert.Equal(5, span.DroppedAttributes);
    }

    [Fact]
    public void Normalize_MaxAttributesPerSpan_KeepsTheFirstAndCountsTheRest()
    {
        var normalizer = new SpanNormalizer(Redactor.Default, PriceTable.Default, new TraceLimits { MaxAttributesPerSpan = 3 });
        var raw = Raw([.. Enumerable.Range(0, 10).Select(i => A($"k{i}", (long)i))]);

        var span = normalizer.Normalize(raw, true);

        Assert.Equal(["k0", "k1", "k2"], span.Attributes.Select(a => a.Key));
        Assert.Equal(7, span.DroppedAttributes);
    }

    [Fact]
    public void Normalize_MaxAttributeValueLength_CutsWithAMarkerWithinTheLimit()
    {
        var normalizer = new SpanNormalizer(Redactor.Default, PriceTable.Default, new TraceLimits { MaxAttributeValueLength = 100 });
        var text = new string('x', 1000);

        var span = normalizer.Normalize(Raw(A("long", text), A("short", "ok"), A("list", new object?[] { text, "ok" })), true);

        var cut = (string)Value(span, "long")!;
        Assert.Equal(100, cut.Length);
        var kept = cut.IndexOf('…', StringComparison.Ordinal);
        Assert.Equal(new string('x', kept), cut[..kept]);
        Assert.Equal($"…[truncated {1000 - kept} chars]", cut[kept..]);
        Assert.Equal("ok", Value(span, "short"));
        Assert.Equal(cut, ((IReadOnlyList<object?>)Value(span, "list")!)[0]);
        Assert.Equal(2, span.TruncatedValues);
    }

    [Fact]
    public void Truncate_NeverSplitsASurrogatePair()
    {
        var text = string.Concat(Enumerable.Repeat("😀", 100));

        var cut = SpanNormalizer.Truncate(text, 60);

        Assert.True(cut.Length <= 60);
        Assert.False(char.IsHighSurrogate(cut[cut.IndexOf('…', StringComparison.Ordinal) - 1]));
    }

    [Fact]
    public void Normalize_SecretAcrossTheCut_IsRedactedBeforeCutting()
    {
        var normalizer = new SpanNormalizer(Redactor.Default, PriceTable.Default, new TraceLimits { MaxAttributeValueLength = 60 });
        var text = new string('a', 30) + " " + OpenAiKey + " " + new string('b', 100);

        var cut = (string)Value(normalizer.Normalize(Raw(A("v", text)), true), "v")!;

        Assert.DoesNotContain("sk-proj", cut, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_EventLimits_KeepTheFirstAndCount()
    {
        var normalizer = new SpanNormalizer(Redactor.Default, PriceTable.Default, new TraceLimits { MaxEventsPerSpan = 2, MaxAttributesPerEvent = 1 });
        var events = Enumerable.Range(0, 5).Select(i => new SpanEvent($"e{i}", i, [A("a", 1L), A("b", 2L)])).ToArray();

        var span = normalizer.Normalize(With([], events: events, droppedEvents: 1), true);

        Assert.Equal(["e0", "e1"], span.Events.Select(e => e.Name));
        Assert.All(span.Events, e => Assert.Equal(["a"], e.Attributes.Select(a => a.Key)));
        Assert.Equal(4, span.DroppedEvents);
        Assert.Equal(2, span.DroppedAttributes);
    }

    [Fact]
    public void Normalize_ContentNotCaptured_BlanksTextButKeepsRolesToolNamesAndTokens()
    {
        var input = """[{"role":"system","parts":[{"type":"text","content":"You are terse."}]},{"role":"user","parts":[{"type":"text","content":"What is my balance?"}]}]""";
        var output = """[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_balance","arguments":{"account":"12345","amount":250}}],"index":0,"finish_reason":"tool_calls"}]""";
        var raw = With(
        [
            A("gen_ai.operation.name", "chat"),
            A("gen_ai.input.messages", input),
            A("gen_ai.output.messages", output),
            A("gen_ai.system_instructions", "Be terse."),
            A("gen_ai.usage.input_tokens", 10L),
            A("llm.input_messages.0.message.role", "user"),
            A("llm.input_messages.0.message.content", "What is my balance?"),
            A("llm.output_messages.0.message.tool_calls.0.tool_call.function.name", "get_balance"),
            A("llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments", "{\"account\":\"12345\"}"),
            A("input.value", "What is my balance?"),
            A("gen_ai.prompt", "{not json"),
            A("http.route", "/chat"),
        ],
        events:
        [
            new SpanEvent("gen_ai.user.message", 1, [A("gen_ai.system", "openai"), A("content", "What is my balance?")]),
            new SpanEvent("gen_ai.choice", 2, [A("index", 0L), A("finish_reason", "stop"), A("message", new SpanAttribute[] { A("role", "assistant"), A("content", "42") })]),
        ]);

        var span = Normalizer.Normalize(raw, captureContent: false);

        var all = JsonSerializer.Serialize(new { span.Attributes, span.Events });
        Assert.DoesNotContain("balance?", all, StringComparison.Ordinal);
        Assert.DoesNotContain("terse", all, StringComparison.Ordinal);
        Assert.DoesNotContain("12345", all, StringComparison.Ordinal);
        Assert.DoesNotContain("\"42\"", all, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse((string)Value(span, "gen_ai.input.messages")!))
        {
            Assert.Equal("system", doc.RootElement[0].GetProperty("role").GetString());
            Assert.Equal("text", doc.RootElement[1].GetProperty("parts")[0].GetProperty("type").GetString());
            Assert.Equal("[not captured]", doc.RootElement[1].GetProperty("parts")[0].GetProperty("content").GetString());
        }

        using (var doc = JsonDocument.Parse((string)Value(span, "gen_ai.output.messages")!))
        {
            var call = doc.RootElement[0].GetProperty("parts")[0];
            Assert.Equal("get_balance", call.GetProperty("name").GetString());
            Assert.Equal("call_1", call.GetProperty("id").GetString());
            Assert.Equal("[not captured]", call.GetProperty("arguments").GetProperty("account").GetString());
            Assert.Equal("[not captured]", call.GetProperty("arguments").GetProperty("amount").GetString());
            Assert.Equal(0, doc.RootElement[0].GetProperty("index").GetInt32());
            Assert.Equal("tool_calls", doc.RootElement[0].GetProperty("finish_reason").GetString());
        }

        Assert.Equal("[not captured]", Value(span, "gen_ai.system_instructions"));
        Assert.Equal("[not captured]", Value(span, "gen_ai.prompt"));
        Assert.Equal("[not captured]", Value(span, "input.value"));
        Assert.Equal("user", Value(span, "llm.input_messages.0.message.role"));
        Assert.Equal("[not captured]", Value(span, "llm.input_messages.0.message.content"));
        Assert.Equal("get_balance", Value(span, "llm.output_messages.0.message.tool_calls.0.tool_call.function.name"));
        Assert.Equal("{\"account\":\"[not captured]\"}", Value(span, "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments"));
        Assert.DoesNotContain("250", all, StringComparison.Ordinal);
        Assert.Equal(10L, Value(span, "gen_ai.usage.input_tokens"));
        Assert.Equal("/chat", Value(span, "http.route"));
        Assert.Equal(10L, span.Tokens.Input);
        Assert.Equal("openai", span.Events[0].Attributes[0].Value);
        Assert.Equal("[not captured]", span.Events[0].Attributes[1].Value);
        Assert.Equal("stop", span.Events[1].Attributes[1].Value);
        var message = (IReadOnlyList<SpanAttribute>)span.Events[1].Attributes[2].Value!;
        Assert.Equal("assistant", message[0].Value);
        Assert.Equal("[not captured]", message[1].Value);
    }

    [Fact]
    public void Normalize_ContentCaptured_KeepsTheText()
    {
        var span = Normalizer.Normalize(Raw(A("input.value", "What is my balance?")), captureContent: true);

        Assert.Equal("What is my balance?", Value(span, "input.value"));
    }

    [Fact]
    public void Normalize_EmptyParentSpanId_IsARoot()
    {
        Assert.True(Normalizer.Normalize(With([], parentSpanId: ""), true).IsRoot);
        Assert.False(Normalizer.Normalize(With([], parentSpanId: "00f067aa0ba902b7"), true).IsRoot);
    }
}
