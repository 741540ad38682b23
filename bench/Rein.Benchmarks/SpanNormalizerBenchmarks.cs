using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Rein.Core.Traces;

namespace Rein.Benchmarks;

/// <summary>
/// The per-span CPU cost of ingest: normalising a GenAI chat span (redaction, limits, meaning, cost), and the
/// redactor's fast path on clean text, which is what almost every chat message takes.
/// </summary>
[MemoryDiagnoser]
public class SpanNormalizerBenchmarks
{
    private readonly SpanNormalizer _normalizer = new(Redactor.Default, PriceTable.Default, new TraceLimits());
    private RawSpan _clean = null!;
    private RawSpan _withSecrets = null!;
    private string _cleanText = "";

    [GlobalSetup]
    public void Setup()
    {
        // Realistic prose with digits, punctuation and a URL, but no secret: what a support agent's chat looks like.
        const string Sentence = "The customer asked on 2025-06-01 why order 55213 shipped late to Lisbon; see https://status.example.com/incidents for the carrier's note. ";
        var text = new StringBuilder();
        while (text.Length < 4096)
        {
            text.Append(Sentence);
        }

        _cleanText = text.ToString(0, 4096);
        var message = _cleanText[..1400];
        _clean = ChatSpan(message, message);

        // The same span with a key pasted by the user and a bearer header echoed by a tool.
        var secret = "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_AbCdEfGh";
        _withSecrets = ChatSpan(message + " my key is " + secret, "Authorization: Bearer abc123def456ghi789jkl " + message);
    }

    [Benchmark]
    public Span NormalizeCleanChatSpan() => _normalizer.Normalize(_clean, captureContent: true);

    [Benchmark]
    public Span NormalizeChatSpanWithSecrets() => _normalizer.Normalize(_withSecrets, captureContent: true);

    [Benchmark]
    public string RedactClean4KbText()
    {
        var count = 0;
        return Redactor.Default.Redact(_cleanText, ref count);
    }

    // 30 attributes, about 3 KB of message JSON: the shape an OpenAI chat instrumentation sends with content capture on.
    private static RawSpan ChatSpan(string userText, string assistantText) => new()
    {
        TraceId = "0af7651916cd43dd8448eb211c80319c",
        SpanId = "b7ad6b7169203331",
        ParentSpanId = "00f067aa0ba902b7",
        Name = "chat gpt-4o",
        Kind = 3,
        StartUnixNano = 1_750_000_000_000_000_000,
        EndUnixNano = 1_750_000_001_200_000_000,
        Attributes = ChatAttributes(userText, assistantText),
        Resource = [new("service.name", "support-agent"), new("service.version", "2.3.1"), new("telemetry.sdk.language", "dotnet")],
    };

    internal static List<SpanAttribute> ChatAttributes(string userText, string assistantText)
    {
        var input = JsonSerializer.Serialize(new[]
        {
            new { role = "system", parts = new[] { new { type = "text", content = "You are a helpful support agent." } } },
            new { role = "user", parts = new[] { new { type = "text", content = userText } } },
        });
        var output = JsonSerializer.Serialize(new[]
        {
            new { role = "assistant", parts = new[] { new { type = "text", content = assistantText } }, finish_reason = "stop" },
        });
        var attributes = new List<SpanAttribute>
        {
            new("gen_ai.operation.name", "chat"),
            new("gen_ai.provider.name", "openai"),
            new("gen_ai.request.model", "gpt-4o"),
            new("gen_ai.response.model", "gpt-4o-2024-08-06"),
            new("gen_ai.response.id", "chatcmpl-9xYzAbCdEfGh"),
            new("gen_ai.response.finish_reasons", new object?[] { "stop" }),
            new("gen_ai.request.temperature", 0.2),
            new("gen_ai.request.max_tokens", 1024L),
            new("gen_ai.request.top_p", 1.0),
            new("gen_ai.usage.input_tokens", 812L),
            new("gen_ai.usage.output_tokens", 377L),
            new("gen_ai.usage.cache_read.input_tokens", 512L),
            new("gen_ai.conversation.id", "conv_01J9ZK3X"),
            new("gen_ai.agent.name", "support-agent"),
            new("gen_ai.agent.version", "2.3.1"),
            new("gen_ai.input.messages", input),
            new("gen_ai.output.messages", output),
            new("server.address", "api.openai.com"),
            new("server.port", 443L),
            new("http.response.status_code", 200L),
            new("user.id", "user_8841"),
            new("session.id", "sess_77aa"),
            new("rein.release", "2025.06.1"),
            new("deployment.environment", "production"),
            new("thread.id", 14L),
            new("code.function", "AnswerAsync"),
            new("code.namespace", "Support.Agent"),
            new("llm.is_streaming", false),
            new("app.tenant", "acme"),
            new("app.ticket", "T-10422"),
        };
        return attributes;
    }
}
