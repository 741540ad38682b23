using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rein.Testing;

/// <summary>
/// One trace written by hand as OTLP/JSON, the way an exporter would send it: spans with GenAI attributes, sent to
/// <c>POST /v1/traces</c>. Times are offsets in milliseconds from <see cref="Start"/>.
/// </summary>
public sealed class OtlpTrace(string service = "svc", DateTimeOffset? start = null)
{
    private readonly List<JsonObject> _spans = [];

    public string TraceId { get; } = Guid.NewGuid().ToString("N");

    public string Service { get; } = service;

    /// <summary>Whole milliseconds, so that span times are exactly <see cref="Start"/> plus their offsets.</summary>
    public DateTimeOffset Start { get; } = DateTimeOffset.FromUnixTimeMilliseconds((start ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds());

    public static string NewSpanId() => Guid.NewGuid().ToString("N")[..16];

    /// <summary>Adds a span and returns its id. <paramref name="status"/> is OTLP's code: 0 unset, 1 ok, 2 error.</summary>
    public string Span(
        string name,
        string? parent = null,
        double startMs = 0,
        double durationMs = 10,
        int status = 0,
        string? message = null,
        string? spanId = null,
        params (string Key, object Value)[] attributes)
    {
        var id = spanId ?? NewSpanId();
        var statusJson = new JsonObject { ["code"] = status };
        if (message is not null)
        {
            statusJson["message"] = message;
        }

        _spans.Add(new JsonObject
        {
            ["traceId"] = TraceId,
            ["spanId"] = id,
            ["parentSpanId"] = parent ?? "",
            ["name"] = name,
            ["kind"] = 1,
            ["startTimeUnixNano"] = Nanos(startMs),
            ["endTimeUnixNano"] = Nanos(startMs + durationMs),
            ["attributes"] = new JsonArray([.. attributes.Select(a => (JsonNode)Attribute(a.Key, a.Value))]),
            ["status"] = statusJson,
        });
        return id;
    }

    /// <summary>An agent's root span: <c>invoke_agent</c> with the agent's name, release, session and user.</summary>
    public string Root(string agent, double durationMs = 1000, int status = 1, string? message = null, string? release = null, string? session = null, string? user = null, string? outcome = null)
    {
        var attributes = new List<(string, object)> { ("gen_ai.operation.name", "invoke_agent"), ("gen_ai.agent.name", agent) };
        if (release is not null)
        {
            attributes.Add(("gen_ai.agent.version", release));
        }

        if (session is not null)
        {
            attributes.Add(("gen_ai.conversation.id", session));
            attributes.Add(("session.id", session));
        }

        if (user is not null)
        {
            attributes.Add(("user.id", user));
        }

        if (outcome is not null)
        {
            attributes.Add(("rein.run.outcome", outcome));
        }

        return Span($"invoke_agent {agent}", null, 0, durationMs, status, message, null, [.. attributes]);
    }

    /// <summary>A chat call to a model, with token usage.</summary>
    public string Chat(string parent, string model = "gpt-4o", long input = 100, long output = 20, double startMs = 10, double durationMs = 200, int status = 1, string? message = null) =>
        Span($"chat {model}", parent, startMs, durationMs, status, message, null,
            ("gen_ai.operation.name", "chat"), ("gen_ai.provider.name", "openai"), ("gen_ai.request.model", model),
            ("gen_ai.usage.input_tokens", input), ("gen_ai.usage.output_tokens", output));

    /// <summary>A tool call.</summary>
    public string Tool(string parent, string tool, double startMs = 300, double durationMs = 50, int status = 1, string? message = null) =>
        Span($"execute_tool {tool}", parent, startMs, durationMs, status, message, null,
            ("gen_ai.operation.name", "execute_tool"), ("gen_ai.tool.name", tool));

    public string ToJson() => new JsonObject
    {
        ["resourceSpans"] = new JsonArray(new JsonObject
        {
            ["resource"] = new JsonObject { ["attributes"] = new JsonArray(Attribute("service.name", Service)) },
            ["scopeSpans"] = new JsonArray(new JsonObject
            {
                ["scope"] = new JsonObject { ["name"] = "rein.tests" },
                ["spans"] = new JsonArray([.. _spans.Select(s => (JsonNode)s.DeepClone())]),
            }),
        }),
    }.ToJsonString();

    /// <summary>Posts the trace with a key that may send traces (agent or admin); fails the test unless every span is
    /// accepted.</summary>
    public async Task SendAsync(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var content = new StringContent(ToJson(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("/v1/traces", UriKind.Relative), content, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST /v1/traces answered {(int)response.StatusCode}: {body}");
        var rejected = body.Length > 0 ? JsonNode.Parse(body)?["partialSuccess"]?["rejectedSpans"]?.ToString() : null;
        Assert.True(rejected is null or "0" or "", $"spans were rejected: {body}");
    }

    /// <summary>Ingest is queued: waits until the run is readable with the given status (any, when null), and returns
    /// its JSON.</summary>
    public async Task<JsonElement> WaitForRunAsync(HttpClient reader, string? status = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        var last = "";
        while (true)
        {
            using var response = await reader.GetAsync(new Uri($"/api/v1/runs/{TraceId}", UriKind.Relative), TestContext.Current.CancellationToken);
            last = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var run = JsonDocument.Parse(last).RootElement.GetProperty("run").Clone();
                if (status is null || run.GetProperty("status").GetString() == status)
                {
                    return run;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"run {TraceId} never became readable{(status is null ? "" : " with status " + status)}; last answer: {last}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private string Nanos(double offsetMs) =>
        ((Start.ToUnixTimeMilliseconds() * 1_000_000L) + (long)(offsetMs * 1_000_000)).ToString(CultureInfo.InvariantCulture);

    private static JsonObject Attribute(string key, object value) => new()
    {
        ["key"] = key,
        ["value"] = value switch
        {
            string s => new JsonObject { ["stringValue"] = s },
            bool b => new JsonObject { ["boolValue"] = b },
            // OTLP/JSON writes 64-bit integers as strings.
            int or long => new JsonObject { ["intValue"] = Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) },
            double d => new JsonObject { ["doubleValue"] = d },
            byte[] bytes => new JsonObject { ["bytesValue"] = Convert.ToBase64String(bytes) },
            string[] items => new JsonObject { ["arrayValue"] = new JsonObject { ["values"] = new JsonArray([.. items.Select(i => (JsonNode)new JsonObject { ["stringValue"] = i })]) } },
            _ => throw new ArgumentException($"no OTLP value for {value.GetType()}", nameof(value)),
        },
    };
}
