using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Rein.Server;

/// <summary>
/// Reads an endpoint's JSON body within that endpoint's own size limit, whatever the server-wide one: a body over it
/// is answered 413 with the limit, a body that says it is not JSON 415. Malformed JSON surfaces as a
/// <see cref="JsonException"/>, which the exception handler answers 400 naming the place.
/// </summary>
internal static class JsonBody
{
    /// <param name="http">The request.</param>
    /// <param name="maxBytes">The most bytes the body may have.</param>
    /// <param name="tooLarge">The 413's detail, given the limit.</param>
    /// <param name="options">How to read; the host's JSON options when null.</param>
    /// <param name="cancellationToken">The request's token.</param>
    public static async Task<T> ReadAsync<T>(HttpContext http, long maxBytes, Func<long, string> tooLarge, JsonSerializerOptions? options, CancellationToken cancellationToken)
        where T : class
    {
        if (http.Request.ContentType is { } type && !IsJson(type))
        {
            throw new ReinProblemException(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "the request body must be JSON: send 'Content-Type: application/json'");
        }

        if (http.Request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes, tooLarge);
        }

        if (http.Request.ContentLength == 0)
        {
            throw new ReinProblemException(StatusCodes.Status400BadRequest, "Invalid request", "the request needs a JSON body");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBytes;
        }

        options ??= http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(http.Request.Body, options, cancellationToken)
                ?? throw new ReinProblemException(StatusCodes.Status400BadRequest, "Invalid request", "the request body must be a JSON object");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes, tooLarge);
        }
    }

    private static bool IsJson(string contentType) =>
        contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase);

    private static ReinProblemException TooLarge(long maxBytes, Func<long, string> detail) =>
        new(StatusCodes.Status413PayloadTooLarge, "Request body too large", detail(maxBytes));
}
