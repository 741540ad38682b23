using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Rein.Server.Tests.Hosting;
using Rein.Server.Traces.Otlp.Wire;
using WireSpan = Rein.Server.Traces.Otlp.Wire.Span;

namespace Rein.Server.Tests.Traces;

/// <summary><c>POST /v1/traces</c> over real HTTP: encodings, answers an exporter understands, and every bound.</summary>
public sealed class OtlpApiTests : IAsyncLifetime
{
    private TestHost _host = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _host = await TestHost.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Traces:MaxRequestBytes"] = "65536",
        ["Traces:MaxSpansPerRequest"] = "3",
    });

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static ExportTraceServiceRequest Request(string traceId, int spans, string text = "hello")
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "tests" } };
        for (var i = 0; i < spans; i++)
        {
            var span = new WireSpan
            {
                TraceId = ByteString.CopyFrom(Convert.FromHexString(traceId)),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)i + 1)),
                Name = i == 0 ? "invoke_agent support" : "chat gpt-4o",
                StartTimeUnixNano = 1_763_000_000_000_000_000UL + (ulong)i,
                EndTimeUnixNano = 1_763_000_001_000_000_000UL,
            };
            if (i > 0)
            {
                span.ParentSpanId = ByteString.CopyFrom(BitConverter.GetBytes(1L));
                span.Attributes.Add(new KeyValue { Key = "gen_ai.operation.name", Value = new AnyValue { StringValue = "chat" } });
                span.Attributes.Add(new KeyValue { Key = "gen_ai.request.model", Value = new AnyValue { StringValue = "gpt-4o" } });
                span.Attributes.Add(new KeyValue { Key = "gen_ai.usage.input_tokens", Value = new AnyValue { IntValue = 100 } });
                span.Attributes.Add(new KeyValue { Key = "gen_ai.input.messages", Value = new AnyValue { StringValue = text } });
            }

            scope.Spans.Add(span);
        }

        var resource = new ResourceSpans { Resource = new Resource() };
        resource.Resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "svc" } });
        resource.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resource);
        return request;
    }

    private static string NewTraceId() => Guid.NewGuid().ToString("N");

    private async Task<HttpResponseMessage> PostAsync(byte[] body, string contentType, string? encoding = null, string? key = null)
    {
        using var http = _host.Client(key ?? _host.AdminKey);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        return await http.PostAsync("/v1/traces", content, Ct);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static async Task<string> StatusMessageAsync(HttpResponseMessage response) =>
        Rein.Server.Traces.Otlp.Wire.Rpc.Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct)).Message;

    private async Task<JsonElement> RunAsync(string traceId)
    {
        using var http = _host.Client(_host.AdminKey);
        var body = await http.GetStringAsync($"/api/v1/runs/{traceId}", Ct);
        return JsonDocument.Parse(body).RootElement.GetProperty("run").Clone();
    }

    [Fact]
    public async Task Post_Protobuf_CommitsAndAnswersAnEmptyExportResponse()
    {
        var trace = NewTraceId();

        using var response = await PostAsync(Request(trace, 2).ToByteArray(), "application/x-protobuf");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Null(answer.PartialSuccess);
        // Answered only after commit: the run is readable at once.
        var run = await RunAsync(trace);
        Assert.Equal(2, run.GetProperty("spans").GetInt32());
        Assert.Equal("svc", run.GetProperty("agent").GetString());
    }

    [Fact]
    public async Task Post_GzipProtobuf_IsDecompressed()
    {
        var trace = NewTraceId();

        using var response = await PostAsync(Gzip(Request(trace, 2).ToByteArray()), "application/x-protobuf", "gzip");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(100, (await RunAsync(trace)).GetProperty("tokens").GetProperty("input").GetInt64());
    }

    [Fact]
    public async Task Post_Json_AnswersJsonAndStoresTheRun()
    {
        var trace = NewTraceId();
        var json = $$$"""
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-svc"}}]},
              "scopeSpans":[{"spans":[{"traceId":"{{{trace.ToUpperInvariant()}}}","spanId":"00000000000000A1","name":"invoke_agent",
                "startTimeUnixNano":"1763000000000000000","endTimeUnixNano":1763000000500000000,"kind":1,"status":{"code":2,"message":"no"}}]}]}]}
            """;

        using var response = await PostAsync(Encoding.UTF8.GetBytes(json), "application/json; charset=utf-8");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{}", (await response.Content.ReadAsStringAsync(Ct)).Trim());
        var run = await RunAsync(trace);
        Assert.Equal("failure", run.GetProperty("status").GetString());
        Assert.Equal(500, run.GetProperty("durationMs").GetDouble());
    }

    [Fact]
    public async Task Post_SpansOverMaxSpansPerRequest_PartialSuccessCountsAndSaysWhy()
    {
        var trace = NewTraceId();

        using var response = await PostAsync(Request(trace, 5).ToByteArray(), "application/x-protobuf");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(2, answer.PartialSuccess.RejectedSpans);
        Assert.Contains("MaxSpansPerRequest", answer.PartialSuccess.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(3, (await RunAsync(trace)).GetProperty("spans").GetInt32());
    }

    [Fact]
    public async Task Post_SpanWithShortTraceId_IsRejectedAloneInPartialSuccess()
    {
        var trace = NewTraceId();
        var request = Request(trace, 2);
        request.ResourceSpans[0].ScopeSpans[0].Spans[1].TraceId = ByteString.CopyFrom(1, 2, 3, 4);

        using var response = await PostAsync(request.ToByteArray(), "application/x-protobuf");

        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(1, answer.PartialSuccess.RejectedSpans);
        Assert.Contains("trace", answer.PartialSuccess.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, (await RunAsync(trace)).GetProperty("spans").GetInt32());
    }

    [Fact]
    public async Task Post_OtherContentType_Is415()
    {
        using var response = await PostAsync([1, 2, 3], "text/plain");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/x-protobuf", await StatusMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_UnsupportedContentEncoding_Is415()
    {
        using var response = await PostAsync(Request(NewTraceId(), 1).ToByteArray(), "application/x-protobuf", "br");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Post_MalformedProtobuf_Is400SayingWhatFailed()
    {
        var body = Request(NewTraceId(), 2).ToByteArray();

        using var response = await PostAsync(body[..(body.Length / 2)], "application/x-protobuf");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("the body is not a valid OTLP ExportTraceServiceRequest: ", await StatusMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_MalformedJson_Is400NamingThePath()
    {
        using var response = await PostAsync(
            """{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102","startTimeUnixNano":"soon"}]}]}]}"""u8.ToArray(), "application/json");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Contains("startTimeUnixNano", status.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_OverMaxRequestBytes_Is413()
    {
        using var response = await PostAsync(Request(NewTraceId(), 2, text: new string('x', 70_000)).ToByteArray(), "application/x-protobuf");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("65536", await StatusMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_GzipBomb_Is413WithoutDecompressingItAll()
    {
        // 32 MiB of zeros compresses to about 32 KiB: within the limit compressed, far over it decompressed.
        var bomb = Gzip(new byte[32 * 1024 * 1024]);
        Assert.True(bomb.Length < 65536);

        using var response = await PostAsync(bomb, "application/x-protobuf", "gzip");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_WithoutKey_Is401AndViewerKey_Is403()
    {
        using var http = _host.Client(_host.AdminKey);
        using var created = await http.PostAsync("/api/v1/keys", JsonContent("""{"name":"v","role":"viewer"}"""), Ct);
        var viewer = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("apiKey").GetString()!;
        var body = Request(NewTraceId(), 1).ToByteArray();

        using var anonymous = new HttpClient { BaseAddress = _host.Url };
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var noKey = await anonymous.PostAsync("/v1/traces", content, Ct);
        using var asViewer = await PostAsync(body, "application/x-protobuf", key: viewer);

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asViewer.StatusCode);
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");
}
