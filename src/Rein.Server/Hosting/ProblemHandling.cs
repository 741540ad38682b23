using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rein.Server.Storage;

namespace Rein.Server;

/// <summary>
/// Turns every exception that reaches the top into problem details. A client's mistake (<see cref="ReinProblemException"/>,
/// a body that does not parse, a body too large) gets its own 4xx and a message naming the field; storage that is down
/// (<see cref="StorageFailure"/>) a 503 with Retry-After, logged once per outage; anything else is a 500 that says only
/// the request id, and is logged with the exception.
/// </summary>
internal sealed partial class ReinExceptionHandler(IProblemDetailsService problems, ILogger<ReinExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
            return true;
        }

        if (httpContext.RequestServices.GetRequiredService<ReinDatabase>() is var database &&
            database.Health.Failed(exception, database.KindName, database.Location) is { } outage)
        {
            await AnswerUnavailableAsync(httpContext, exception, outage);
            return true;
        }

        var (status, title, detail) = exception switch
        {
            ReinProblemException p => (p.Status, p.Title, p.Message),
            BadHttpRequestException b => (b.StatusCode, TitleOf(b.StatusCode), Describe(b, RequestType(httpContext))),
            JsonException j => (StatusCodes.Status400BadRequest, "Invalid request", DescribeJson(j, RequestType(httpContext))),
            _ => (StatusCodes.Status500InternalServerError, "Internal server error",
                $"an unexpected error occurred; quote request id {httpContext.TraceIdentifier} when reporting it"),
        };

        if (status >= 500)
        {
            Log.UnhandledError(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }
        else
        {
            Log.ClientError(logger, status, httpContext.Request.Method, httpContext.Request.Path, detail);
        }

        httpContext.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (exception is ReinProblemException { Field: { } field } fieldProblem)
        {
            // The same shape as ASP.NET's validation problems, so clients can point at the field.
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [fieldProblem.FieldProblem ?? detail] };
        }

        if (exception is ReinProblemException { Extensions.Count: > 0 } withExtensions)
        {
            foreach (var (name, value) in withExtensions.Extensions)
            {
                problem.Extensions[name] = value;
            }
        }

        if (await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        }))
        {
            return true;
        }

        // A client that accepts no JSON (a browser's Accept: text/html on an API address) still gets the problem, as
        // problem+json, not a 500 for having asked in the wrong format.
        await TypedResults.Problem(problem).ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>Storage is down: 503 with Retry-After, as problem details unless the endpoint answers in its own terms
    /// (<see cref="StorageUnavailableAnswer"/>). The outage was logged once when it began; a request adds a debug line only.</summary>
    private async Task AnswerUnavailableAsync(HttpContext http, Exception exception, StorageUnavailable outage)
    {
        Log.StorageUnavailableRequest(logger, http.Request.Method, http.Request.Path, outage.Reason);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = outage.RetryAfterSeconds;
        var endpoint = http.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? http.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<StorageUnavailableAnswer>() is { } answer)
        {
            await answer.WriteAsync(http, outage);
            return;
        }

        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = $"storage is unavailable: {outage.Reason}; retry in {outage.RetryAfterSeconds} s",
            },
        });
    }

    internal static string TitleOf(int status) => status switch
    {
        400 => "Invalid request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        408 => "Request timeout",
        413 => "Request body too large",
        415 => "Unsupported media type",
        431 => "Request headers too large",
        503 => "Not ready",
        _ => status >= 500 ? "Internal server error" : "Bad request",
    };

    private static Type? RequestType(HttpContext http) =>
        // The exception handler clears the endpoint before handlers run; its feature keeps the one that failed.
        (http.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? http.GetEndpoint())?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType;

    private static string Describe(BadHttpRequestException e, Type? requestType) => e switch
    {
        { InnerException: JsonException j } => DescribeJson(j, requestType),
        { StatusCode: 413 } => $"the request body is larger than this endpoint accepts ({e.Message.TrimEnd('.')})",
        _ when e.Message.Contains("no body was provided", StringComparison.Ordinal) => "the request needs a JSON body",
        _ when BindFailure().Match(e.Message) is { Success: true } m =>
            $"'{m.Groups[3].Value}' is not a valid value for '{m.Groups[2].Value}': expected {FriendlyType(m.Groups[1].Value)}",
        _ when e.Message.StartsWith("Expected a supported JSON media type", StringComparison.Ordinal) =>
            "the request body must be JSON: send 'Content-Type: application/json'",
        _ => e.Message,
    };

    /// <summary>System.Text.Json's messages name .NET types (for records, the record rather than the field); say what
    /// the client should send instead, looking the field's type up on the endpoint's request type.</summary>
    internal static string DescribeJson(JsonException e, Type? requestType)
    {
        var unmapped = UnmappedProperty().Match(e.Message);
        if (unmapped.Success)
        {
            return $"the request body has an unknown field '{unmapped.Groups[1].Value}'";
        }

        if (string.IsNullOrEmpty(e.Path) || e.Path == "$")
        {
            return e.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? "the request body must be a JSON object"
                : $"the request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})";
        }

        var field = e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..] : e.Path;
        if (e.Message.Contains("could not be converted", StringComparison.Ordinal))
        {
            var property = requestType?.GetProperty(field, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
            return property is null
                ? $"the request body is not valid at {field}"
                : $"the request body is not valid at {field}: expected {FriendlyType((Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType).Name)}";
        }

        return $"the request body is not valid JSON at {field} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})";
    }

    private static string FriendlyType(string type) => type switch
    {
        _ when type.Contains("DateTimeOffset", StringComparison.Ordinal) || type.Contains("DateTime", StringComparison.Ordinal) =>
            "a date and time in ISO 8601, such as 2026-12-31T00:00:00Z",
        _ when type.Contains("Int", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ when type.Contains("String", StringComparison.Ordinal) => "a string",
        _ => "a different kind of value",
    };

    [GeneratedRegex("Failed to bind parameter \"(\\S+) ([^\"]+)\" from \"(.*)\"")]
    private static partial Regex BindFailure();

    [GeneratedRegex("The JSON property '([^']*)' could not be mapped")]
    private static partial Regex UnmappedProperty();

}

/// <summary>Endpoint metadata: how an endpoint answers when storage is down, for clients that expect its own kind of
/// answer (the gate a deny decision, OTLP a google.rpc.Status). Status 503 and Retry-After are already set.</summary>
internal sealed class StorageUnavailableAnswer(Func<HttpContext, StorageUnavailable, Task> write)
{
    public Task WriteAsync(HttpContext http, StorageUnavailable outage) => write(http, outage);
}

/// <summary>Request id on every response (and, through the hosting log scope, on every log line), plus the
/// security headers every answer carries.</summary>
internal static class ResponseConventions
{
    public const string RequestIdHeader = "X-Request-Id";

    public static Task Apply(HttpContext context, Func<Task> next)
    {
        // Set when the headers go out, not now: the exception handler clears headers before it writes a problem.
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            var headers = http.Response.Headers;
            headers[RequestIdHeader] = http.TraceIdentifier;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            // The dashboard loads only its own assets; JSON answers are unaffected.
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            return Task.CompletedTask;
        }, context);
        return next();
    }
}

/// <summary>Details for problems the framework writes itself (no route, wrong method, body too large, not JSON),
/// so that no error reaches a client without saying what was wrong.</summary>
internal static class ProblemDefaults
{
    public static void Fill(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var http = context.HttpContext;
        problem.Instance ??= http.Request.Path;
        problem.Extensions["requestId"] = http.TraceIdentifier;
        problem.Extensions.Remove("traceId");
        if (problem.Detail is null && problem.Status is { } status)
        {
            // Framework-written problems carry the reason phrase as title; use the API's own wording.
            problem.Title = ReinExceptionHandler.TitleOf(status);
        }

        problem.Detail ??= problem.Status switch
        {
            StatusCodes.Status404NotFound => $"nothing answers {http.Request.Method} {http.Request.Path}",
            StatusCodes.Status405MethodNotAllowed => $"{http.Request.Method} is not allowed on {http.Request.Path}",
            StatusCodes.Status413PayloadTooLarge => http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } max
                ? $"the request body is larger than this endpoint accepts (at most {max} bytes)"
                : "the request body is larger than this endpoint accepts",
            StatusCodes.Status415UnsupportedMediaType => "the request body must be JSON: send 'Content-Type: application/json'",
            _ => null,
        };
    }
}
