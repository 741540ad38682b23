using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Rein.Client;

/// <summary>
/// A typed client for the Rein HTTP API. Keys, projects, the audit log, runs, policies, kill switches, the gate, its
/// decision log and approvals are reached through <see cref="Keys"/>, <see cref="Projects"/>, <see cref="Audit"/>,
/// <see cref="Runs"/>, <see cref="Policies"/>, <see cref="KillSwitches"/>, <see cref="Gate"/>, <see cref="Decisions"/> and
/// <see cref="Approvals"/>; the server's health and the caller's identity through methods here.
/// </summary>
/// <remarks>
/// An error answer throws <see cref="ReinApiException"/> with the server's problem details. A server that cannot be
/// reached throws <see cref="HttpRequestException"/>, as does an answer that is not Rein's JSON
/// (<see cref="HttpRequestError.InvalidResponse"/>). A request that runs past <see cref="HttpClient.Timeout"/> throws
/// <see cref="TaskCanceledException"/> with a <see cref="TimeoutException"/> inside. Instances are thread-safe.
/// </remarks>
public sealed class ReinClient : IDisposable
{
    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue JsonLinesType = new("application/x-ndjson");
    private static readonly ProductInfoHeaderValue UserAgent = new("rein-dotnet", typeof(ReinClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <summary>Creates a client with its own <see cref="HttpClient"/>, disposed with this client.</summary>
    /// <param name="server">The server's base address, such as <c>http://127.0.0.1:7346</c>; a path is kept (for a server
    /// behind a proxy under <c>/rein/</c>).</param>
    /// <param name="apiKey">The API key, <c>rein_&lt;id&gt;_&lt;secret&gt;</c>, sent as a bearer token.</param>
    /// <exception cref="ArgumentException">The server is not an absolute http(s) address, or the key is empty or holds
    /// whitespace.</exception>
    public ReinClient(Uri server, string apiKey)
        : this(new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }), server, apiKey, ownsHttp: true)
    {
    }

    /// <summary>Creates a client over a caller-owned <see cref="HttpClient"/> (from <c>IHttpClientFactory</c>, say), which
    /// this client does not dispose. Requests go to the client's <see cref="HttpClient.BaseAddress"/>.</summary>
    /// <param name="httpClient">The HTTP client; its <see cref="HttpClient.BaseAddress"/> must be the server's address.</param>
    /// <param name="apiKey">The API key to send with every request; null when the caller's handler or default headers
    /// already add one.</param>
    /// <exception cref="ArgumentException">The client has no absolute http(s) base address, or the key is empty or holds
    /// whitespace.</exception>
    public ReinClient(HttpClient httpClient, string? apiKey = null)
        : this(httpClient, (httpClient ?? throw new ArgumentNullException(nameof(httpClient))).BaseAddress ?? throw new ArgumentException("The HttpClient needs a BaseAddress: the Rein server's address.", nameof(httpClient)), apiKey, ownsHttp: false)
    {
    }

    private ReinClient(HttpClient httpClient, Uri server, string? apiKey, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(server);
        if (!server.IsAbsoluteUri || (server.Scheme != Uri.UriSchemeHttp && server.Scheme != Uri.UriSchemeHttps))
        {
            if (ownsHttp)
            {
                httpClient.Dispose();
            }

            throw new ArgumentException($"'{server}' is not an http:// or https:// address.", nameof(server));
        }

        if (apiKey is not null && (apiKey.Length == 0 || apiKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            if (ownsHttp)
            {
                httpClient.Dispose();
            }

            throw new ArgumentException("An API key is not empty and holds no spaces or control characters.", nameof(apiKey));
        }

        _http = httpClient;
        _ownsHttp = ownsHttp;
        _authorization = apiKey is null ? null : new AuthenticationHeaderValue("Bearer", apiKey);
        // Relative paths resolve under the base only when it ends with a slash.
        Server = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");
        Keys = new KeysClient(this);
        Projects = new ProjectsClient(this);
        Audit = new AuditClient(this);
        Runs = new RunsClient(this);
        Policies = new PoliciesClient(this);
        KillSwitches = new KillSwitchesClient(this);
        Gate = new GateClient(this);
        Decisions = new DecisionsClient(this);
        Approvals = new ApprovalsClient(this);
        Tools = new ToolsClient(this);
    }

    /// <summary>The server's base address, ending with a slash.</summary>
    public Uri Server { get; }

    /// <summary>The project's API keys (admin keys only).</summary>
    public KeysClient Keys { get; }

    /// <summary>Projects (admin keys; creating needs an admin key of the <c>default</c> project).</summary>
    public ProjectsClient Projects { get; }

    /// <summary>The project's audit log (viewer, approver and admin keys).</summary>
    public AuditClient Audit { get; }

    /// <summary>The project's runs, sessions and trace settings (viewer, approver and admin keys; settings changes need
    /// an admin key).</summary>
    public RunsClient Runs { get; }

    /// <summary>The project's policies: versions, activation, rollback, diffs and backtests (reading needs a viewer,
    /// approver or admin key; changing an admin key).</summary>
    public PoliciesClient Policies { get; }

    /// <summary>The project's kill switches (reading needs a viewer, approver or admin key; changing an admin key).</summary>
    public KillSwitchesClient KillSwitches { get; }

    /// <summary>The tool gateway: upstream servers, the tool catalog and pins, fault rules.</summary>
    public ToolsClient Tools { get; }

    /// <summary>The gate: one decision before every action (agent or admin keys).</summary>
    public GateClient Gate { get; }

    /// <summary>The project's decision log (viewer, approver and admin keys).</summary>
    public DecisionsClient Decisions { get; }

    /// <summary>Approval requests: the inbox, deciding (approver and admin keys), waiting for a decision (agent keys, which
    /// also receive the approval token), the feedback export and statistics, queues and their webhooks (admin keys).</summary>
    public ApprovalsClient Approvals { get; }

    /// <summary>Asks whether the server process answers (<c>GET /healthz</c>; needs no key).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The server's status and version.</returns>
    public Task<Health> GetHealthAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "healthz", null, ReinJsonContext.Default.Health, cancellationToken);

    /// <summary>Asks whether the server can serve: its database answers and has the expected schema
    /// (<c>GET /readyz</c>; needs no key).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The database kind and schema version.</returns>
    /// <exception cref="ReinApiException">503 when the server is not ready; the detail says why.</exception>
    public Task<Readiness> GetReadinessAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "readyz", null, ReinJsonContext.Default.Readiness, cancellationToken);

    /// <summary>The server's version and database, the caller's project and key, and the project's counts
    /// (<c>GET /api/v1/status</c>; viewer, approver and admin keys).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The status.</returns>
    public Task<ServerStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/status", null, ReinJsonContext.Default.ServerStatus, cancellationToken);

    /// <summary>The key this client uses, as the server sees it (<c>GET /api/v1/me</c>; any key).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The key's id, name, role and project.</returns>
    public Task<CallerInfo> WhoAmIAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/me", null, ReinJsonContext.Default.CallerInfo, cancellationToken);

    /// <summary>Disposes the HTTP client if this client created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    internal async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        (await SendWithStatusAsync(method, path, content, type, cancellationToken)).Value;

    /// <summary>Sends a request whose answer's body does not matter (only that it succeeded); returns its status.</summary>
    internal async Task<HttpStatusCode> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = NewRequest(method, path, content);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReinApiException.FromResponseAsync(response, cancellationToken);
        }

        return response.StatusCode;
    }

    /// <summary>Sends a request and reads its answer, with the status for calls where 200 and 201 mean different things.</summary>
    internal async Task<(T Value, HttpStatusCode Status)> SendWithStatusAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var request = NewRequest(method, path, content);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReinApiException.FromResponseAsync(response, cancellationToken);
        }

        try
        {
            var value = await response.Content.ReadFromJsonAsync(type, cancellationToken)
                ?? throw new JsonException("the body is the JSON value null");
            return (value, response.StatusCode);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new HttpRequestException(
                HttpRequestError.InvalidResponse,
                $"{request.RequestUri} answered {(int)response.StatusCode} with a body that is not what a Rein server sends ({e.Message})",
                e,
                response.StatusCode);
        }
    }

    /// <summary>Sends a GET whose answer is JSON lines and yields each line as it arrives (bounded by
    /// <see cref="JsonLines.MaxLineBytes"/>). A line is valid only until the next one is asked for.</summary>
    internal async IAsyncEnumerable<ReadOnlyMemory<byte>> GetLinesAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Get, path, null, JsonLinesType);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReinApiException.FromResponseAsync(response, cancellationToken);
        }

        if (response.Content.Headers.ContentType?.MediaType is not ("application/x-ndjson" or "application/jsonl" or "application/json"))
        {
            throw new HttpRequestException(
                HttpRequestError.InvalidResponse,
                $"{request.RequestUri} answered {(int)response.StatusCode} with {response.Content.Headers.ContentType?.MediaType ?? "no content type"}, not the JSON lines a Rein server sends",
                null,
                response.StatusCode);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var line in JsonLines.ReadAsync(stream, JsonLines.MaxLineBytes, cancellationToken))
        {
            yield return line;
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string path, HttpContent? content, MediaTypeWithQualityHeaderValue? accept = null)
    {
        var request = new HttpRequestMessage(method, new Uri(Server, path)) { Content = content };
        request.Headers.Accept.Add(accept ?? Json);
        if (_authorization is not null)
        {
            request.Headers.Authorization = _authorization;
        }

        if (_http.DefaultRequestHeaders.UserAgent.Count == 0)
        {
            request.Headers.UserAgent.Add(UserAgent);
        }

        return request;
    }

    internal static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }

    /// <summary>A duration as the server reads it (<c>30m</c>, <c>24h</c>, <c>1500ms</c>): the largest unit that is exact,
    /// rounded up to the millisecond.</summary>
    internal static string Duration(TimeSpan value)
    {
        var ms = (long)Math.Ceiling(value.TotalMilliseconds);
        (long Unit, string Suffix)[] units = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "m"), (1000, "s")];
        foreach (var (unit, suffix) in units)
        {
            if (ms != 0 && ms % unit == 0)
            {
                return (ms / unit).ToString(System.Globalization.CultureInfo.InvariantCulture) + suffix;
            }
        }

        return ms.ToString(System.Globalization.CultureInfo.InvariantCulture) + "ms";
    }

    internal static string? Time(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Follows a listing's cursors to the end. A server that repeats a cursor ends the walk rather than looping.</summary>
    internal static async IAsyncEnumerable<T> AllPagesAsync<T>(Func<string?, CancellationToken, Task<Page<T>>> fetch, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var page = await fetch(cursor, cancellationToken);
            foreach (var item in page.Items)
            {
                yield return item;
            }

            if (page.Next is null || page.Next == cursor || page.Items.Count == 0)
            {
                yield break;
            }

            cursor = page.Next;
        }
        while (true);
    }
}
