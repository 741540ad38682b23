using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Rein.Server.Identity;
using Rein.Server.Traces.Otlp;

namespace Rein.Server.Traces;

/// <summary>
/// <c>POST /v1/traces</c>: OTLP over HTTP, protobuf or JSON, gzip or not. Answers as the OTLP/HTTP specification
/// says an exporter expects: an ExportTraceServiceResponse (with partial_success when spans were refused) on success,
/// a google.rpc.Status in the request's encoding on failure, 503 with Retry-After when it should retry.
/// </summary>
public static class OtlpApi
{
    public const string ProtobufType = "application/x-protobuf";
    public const string JsonType = "application/json";

    public static IEndpointRouteBuilder MapOtlpApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/traces", ExportAsync)
            .WithTags("Traces")
            .RequireAuthorization(Permissions.Act)
            // No Accepts metadata: routing would then answer other content types itself, as problem JSON rather than
            // the google.rpc.Status an exporter reads.
            .Produces(StatusCodes.Status200OK, contentType: ProtobufType)
            .Produces(StatusCodes.Status400BadRequest)
            .Produces(StatusCodes.Status413PayloadTooLarge)
            .Produces(StatusCodes.Status415UnsupportedMediaType)
            .Produces(StatusCodes.Status503ServiceUnavailable)
            // OTLP/HTTP: 503 is retryable and the exporter honours Retry-After; a 500 would make it drop the spans.
            .WithMetadata(new StorageUnavailableAnswer((http, outage) =>
                FailAsync(http, StatusCodes.Status503ServiceUnavailable, IsJson(http.Request.ContentType), $"storage is unavailable ({outage.Reason}); retry later")));
        return app;
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var mediaType) && mediaType.MediaType.Equals(JsonType, StringComparison.OrdinalIgnoreCase);

    private static async Task ExportAsync(HttpContext http, TraceIngest ingest, TracesOptions options, CancellationToken cancellationToken)
    {
        var json = false;
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType) ||
            !(mediaType.MediaType.Equals(ProtobufType, StringComparison.OrdinalIgnoreCase) ||
              (json = mediaType.MediaType.Equals(JsonType, StringComparison.OrdinalIgnoreCase))))
        {
            await FailAsync(http, StatusCodes.Status415UnsupportedMediaType, json: false,
                $"Content-Type must be {ProtobufType} or {JsonType}, not '{http.Request.ContentType}'");
            return;
        }

        OtlpTraces traces;
        var body = await OtlpBody.ReadAsync(http.Request, options.MaxRequestBytes, cancellationToken);
        try
        {
            switch (body.Outcome)
            {
                case OtlpBodyOutcome.TooLarge:
                    await FailAsync(http, StatusCodes.Status413PayloadTooLarge, json, body.Problem!);
                    return;
                case OtlpBodyOutcome.UnsupportedEncoding:
                    await FailAsync(http, StatusCodes.Status415UnsupportedMediaType, json, body.Problem!);
                    return;
                case OtlpBodyOutcome.Invalid:
                    await FailAsync(http, StatusCodes.Status400BadRequest, json, body.Problem!);
                    return;
            }

            try
            {
                var bytes = body.Buffer.AsSpan(0, body.Length);
                traces = json ? OtlpDecoder.DecodeJson(bytes) : OtlpDecoder.DecodeProtobuf(bytes);
            }
            catch (OtlpFormatException e)
            {
                await FailAsync(http, StatusCodes.Status400BadRequest, json, "the body is not a valid OTLP ExportTraceServiceRequest: " + e.Message);
                return;
            }
        }
        finally
        {
            body.Return();
        }

        IngestResult result;
        try
        {
            result = await ingest.IngestAsync(http.Caller(), traces.Spans, traces.Rejected, traces.RejectionMessage, cancellationToken);
        }
        catch (TraceIngestUnavailableException e)
        {
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(e.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            // OTLP/HTTP: 429 and 503 are retryable, after Retry-After. Over its share, only this key or project waits.
            await FailAsync(http, e.OverShare ? StatusCodes.Status429TooManyRequests : StatusCodes.Status503ServiceUnavailable, json, e.Message);
            return;
        }

        var answer = json ? OtlpResponse.Json(result.Rejected, result.Message) : OtlpResponse.Protobuf(result.Rejected, result.Message);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = json ? JsonType : ProtobufType;
        await http.Response.Body.WriteAsync(answer, cancellationToken);
    }

    private static async Task FailAsync(HttpContext http, int status, bool json, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = json ? JsonType : ProtobufType;
        await http.Response.Body.WriteAsync(OtlpResponse.Status(RpcCode(status), message, json));
    }

    /// <summary>google.rpc.Code for an HTTP status, as gRPC-over-HTTP mappings pair them.</summary>
    private static int RpcCode(int status) => status switch
    {
        StatusCodes.Status400BadRequest => 3, // INVALID_ARGUMENT
        StatusCodes.Status413PayloadTooLarge or StatusCodes.Status429TooManyRequests => 8, // RESOURCE_EXHAUSTED
        StatusCodes.Status415UnsupportedMediaType => 12, // UNIMPLEMENTED
        StatusCodes.Status503ServiceUnavailable => 14, // UNAVAILABLE
        _ => 2, // UNKNOWN
    };
}
