using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rein.Client;

/// <summary>
/// The Rein server answered with an error (any status outside 2xx). The server's RFC 7807 problem details are parsed
/// into <see cref="Title"/>, <see cref="Detail"/>, <see cref="RequestId"/> and <see cref="Errors"/>; when the body is not
/// problem details (a proxy's HTML page, an empty body), the reason phrase and the start of the body are kept instead.
/// </summary>
/// <remarks>A server that cannot be reached surfaces as <see cref="HttpRequestException"/>, not as this exception.</remarks>
public sealed partial class ReinApiException : Exception
{
    /// <summary>At most this much of an error body is read; problem details are far smaller.</summary>
    internal const int MaxErrorBodyBytes = 64 * 1024;

    /// <summary>At most this much of a body that is not problem details is kept in <see cref="Detail"/>.</summary>
    private const int MaxPlainDetailLength = 300;

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoErrors = new Dictionary<string, IReadOnlyList<string>>();

    private static readonly IReadOnlyDictionary<string, JsonElement> NoExtensions = new Dictionary<string, JsonElement>();

    /// <summary>The members RFC 9457 defines; anything else in a problem is an extension.</summary>
    private static readonly HashSet<string> StandardMembers = ["type", "title", "status", "detail", "instance", "requestId", "errors"];

    /// <summary>Creates an exception with no response behind it.</summary>
    public ReinApiException()
        : this("The Rein server refused the request.")
    {
    }

    /// <summary>Creates an exception with a message and no response behind it.</summary>
    /// <param name="message">What went wrong.</param>
    public ReinApiException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause, and no response behind it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ReinApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception from the parts of an error response.</summary>
    /// <param name="statusCode">The HTTP status of the response.</param>
    /// <param name="title">The problem's short title, or the reason phrase.</param>
    /// <param name="detail">What exactly was wrong, as the server said it.</param>
    /// <param name="requestId">The server's id of the request, for its logs.</param>
    /// <param name="errors">Problems per request field, if any.</param>
    public ReinApiException(HttpStatusCode statusCode, string? title, string? detail, string? requestId, IReadOnlyDictionary<string, IReadOnlyList<string>>? errors = null)
        : base(FormatMessage(statusCode, title, detail))
    {
        StatusCode = statusCode;
        Title = title;
        Detail = detail;
        RequestId = requestId;
        Errors = errors ?? NoErrors;
    }

    /// <summary>The HTTP status of the error response (0 when there was no response).</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem's short title, such as "Not found"; the HTTP reason phrase when the body had none.</summary>
    public string? Title { get; }

    /// <summary>What exactly was wrong, such as "project default has no key abc123def456".</summary>
    public string? Detail { get; }

    /// <summary>The server's id of the request (problem details <c>requestId</c>, or the <c>X-Request-Id</c> header);
    /// quote it when reporting a server error.</summary>
    public string? RequestId { get; }

    /// <summary>The problem type URI, when the server sent one.</summary>
    public string? Type { get; private init; }

    /// <summary>The request path the problem is about, when the server sent one.</summary>
    public string? Instance { get; private init; }

    /// <summary>Problems per request field (camelCase, as sent), from a validation problem's <c>errors</c>, or from a
    /// 400 whose detail starts with the field's name (<c>"role: 'x' is not a role; ..."</c>, Rein's own convention).
    /// Empty when the error is not about a field.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Errors { get; } = NoErrors;

    /// <summary>The problem's other members (RFC 9457 extension members), such as the <c>problems</c> of a policy that does
    /// not parse; see <see cref="PolicyRejection.From"/>. Empty when the body had none or was not problem details.</summary>
    public IReadOnlyDictionary<string, JsonElement> Extensions { get; private init; } = NoExtensions;

    /// <summary>The first field named in <see cref="Errors"/>, or null.</summary>
    public string? Field => Errors.Count > 0 ? Errors.Keys.First() : null;

    /// <summary>Reads an error response into an exception; never throws for a body it cannot parse.</summary>
    internal static async Task<ReinApiException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var requestId = response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.FirstOrDefault() : null;
        var body = await ReadBoundedAsync(response.Content, cancellationToken);
        if (TryParseProblem(body, out var problem))
        {
            var errors = problem.Errors;
            if (errors.Count == 0 && response.StatusCode == HttpStatusCode.BadRequest && problem.Detail is { } detail &&
                FieldPrefix().Match(detail) is { Success: true } match)
            {
                errors = new Dictionary<string, IReadOnlyList<string>> { [match.Groups[1].Value] = [match.Groups[2].Value] };
            }

            return new ReinApiException(response.StatusCode, problem.Title ?? response.ReasonPhrase, problem.Detail, problem.RequestId ?? requestId, errors)
            {
                Type = problem.Type,
                Instance = problem.Instance,
                Extensions = problem.Extensions,
            };
        }

        var text = body.Length == 0 ? null : System.Text.Encoding.UTF8.GetString(body).Trim();
        if (text is { Length: > MaxPlainDetailLength })
        {
            text = text[..MaxPlainDetailLength] + "…";
        }

        return new ReinApiException(response.StatusCode, response.ReasonPhrase, string.IsNullOrEmpty(text) ? null : text, requestId);
    }

    private static string FormatMessage(HttpStatusCode statusCode, string? title, string? detail)
    {
        var head = $"{(int)statusCode} {title ?? statusCode.ToString()}";
        return detail is null ? head : $"{head}: {detail}";
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxErrorBodyBytes];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }

        return buffer[..read];
    }

    private static bool TryParseProblem(byte[] body, out Problem problem)
    {
        problem = default;
        if (body.Length == 0)
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            string? Text(string name) =>
                root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

            var errors = new Dictionary<string, IReadOnlyList<string>>();
            if (root.TryGetProperty("errors", out var errorsElement) && errorsElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in errorsElement.EnumerateObject())
                {
                    errors[field.Name] = field.Value.ValueKind switch
                    {
                        JsonValueKind.Array => [.. field.Value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)],
                        JsonValueKind.String => [field.Value.GetString()!],
                        _ => [],
                    };
                }
            }

            var extensions = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var member in root.EnumerateObject())
            {
                if (!StandardMembers.Contains(member.Name))
                {
                    extensions[member.Name] = member.Value.Clone();
                }
            }

            problem = new Problem(Text("type"), Text("title"), Text("detail"), Text("instance"), Text("requestId"), errors, extensions.Count == 0 ? NoExtensions : extensions);
            return problem.Title is not null || problem.Detail is not null || errors.Count > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Rein's 400 details name the field first: <c>"limit: must be at least 1"</c>.</summary>
    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9_.\[\]]*): (.+)$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex FieldPrefix();

    private readonly record struct Problem(
        string? Type,
        string? Title,
        string? Detail,
        string? Instance,
        string? RequestId,
        IReadOnlyDictionary<string, IReadOnlyList<string>> Errors,
        IReadOnlyDictionary<string, JsonElement> Extensions);
}
