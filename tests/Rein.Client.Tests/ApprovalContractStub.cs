using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Rein.Client.Tests;

/// <summary>
/// A small in-process stand-in for the gate and one approval request, as the approvals contract describes them, for the
/// unit tests of the waiting logic only (how long the client polls, what it does with each outcome). It holds a long
/// poll until <see cref="Decide"/> or the end of the asked wait, like the server. Everything else is tested against a
/// real server.
/// </summary>
internal sealed class ApprovalContractStub : HttpMessageHandler
{
    public const string RequestId = "apr_01jf3m8q2z7x9k4w5v6t8r1n0p";

    private readonly TaskCompletionSource _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(HttpMethod Method, string Path, string? Body)> _requests = [];
    private JsonObject _approval = new()
    {
        ["id"] = RequestId,
        ["status"] = "pending",
        ["queue"] = "finance",
        ["severity"] = "high",
        ["createdAt"] = "2026-11-22T12:00:00Z",
        ["expiresAt"] = "2026-11-22T12:15:00Z",
        ["decisionId"] = "dec_1",
        ["agent"] = "support-bot",
        ["tool"] = "refund",
        ["argsHash"] = "sha256:51ab",
        ["evidence"] = new JsonObject { ["args"] = new JsonObject { ["amount"] = 500 } },
    };

    /// <summary>The gate's answer to a call with an approval token.</summary>
    public string RepeatEffect { get; set; } = "allow";

    /// <summary>The server's <c>Approvals:MaxWait</c>: a longer wait is answered 400 naming <c>wait</c>.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Answer long polls at once, as a server at its bound of waiters does.</summary>
    public bool AnswerAtOnce { get; set; }

    /// <summary>Fail approval reads with this, as a server that went away.</summary>
    public Exception? FailReadsWith { get; set; }

    public IReadOnlyList<(HttpMethod Method, string Path, string? Body)> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public IReadOnlyList<JsonObject> GateCalls => [.. Requests.Where(r => r.Path == "/api/v1/gate").Select(r => JsonNode.Parse(r.Body!)!.AsObject())];

    public IReadOnlyList<string> Reads => [.. Requests.Where(r => r.Path.StartsWith("/api/v1/approvals/", StringComparison.Ordinal)).Select(r => r.Path)];

    public ReinClient Client() => new(new HttpClient(this) { BaseAddress = new Uri("http://rein.test/") }, "rein_key");

    /// <summary>Decides the request: what the next (or the waiting) read answers.</summary>
    public void Decide(string status, string outcome, string? token = null, JsonObject? approvedArgs = null, string? note = null)
    {
        var approval = (JsonObject)_approval.DeepClone();
        approval["status"] = status;
        approval["outcome"] = outcome;
        approval["decidedAt"] = "2026-11-22T12:03:00Z";
        approval["decidedBy"] = status == "expired" ? null : "k3x9q2m7v1ab";
        approval["decidedByName"] = status == "expired" ? null : "ann";
        approval["note"] = note;
        approval["approvedArgs"] = approvedArgs;
        approval["token"] = token;
        Volatile.Write(ref _approval, approval);
        _decided.TrySetResult();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var path = request.RequestUri!.PathAndQuery;
        lock (_requests)
        {
            _requests.Add((request.Method, path, body));
        }

        if (path == "/api/v1/gate")
        {
            var call = JsonNode.Parse(body!)!.AsObject();
            return call["approvalToken"] is null
                ? Json(HttpStatusCode.OK, $$$"""
                    {"decisionId":"dec_1","effect":"require_approval","reasons":[{"rule":"large refunds go to finance","message":"refund needs finance"}],
                     "approval":{"requestId":"{{{RequestId}}}","status":"pending","queue":"finance","severity":"high","expiresAt":"2026-11-22T12:15:00Z","argsHash":"sha256:51ab","route":"finance"}}
                    """)
                : Json(HttpStatusCode.OK, RepeatEffect == "allow"
                    ? $$"""{"decisionId":"dec_2","effect":"allow","reasons":[{"rule":"approval","message":"approved as {{RequestId}} by ann"}]}"""
                    : """{"decisionId":"dec_2","effect":"deny","reasons":[{"rule":"approval.invalid_token","message":"the token was already used"}]}""");
        }

        if (request.RequestUri.AbsolutePath == "/api/v1/approvals/" + RequestId)
        {
            if (FailReadsWith is { } failure)
            {
                throw failure;
            }

            var wait = Wait(request.RequestUri.Query);
            if (wait > MaxWait)
            {
                return Json(HttpStatusCode.BadRequest, $$"""{"title":"Bad Request","status":400,"detail":"wait: must be between 0s and {{(int)MaxWait.TotalSeconds}}s (Approvals:MaxWait); wait again for longer"}""");
            }

            if (wait > TimeSpan.Zero && !AnswerAtOnce && !_decided.Task.IsCompleted)
            {
                await Task.WhenAny(_decided.Task, Task.Delay(wait, cancellationToken));
            }

            return Json(HttpStatusCode.OK, Volatile.Read(ref _approval).ToJsonString());
        }

        return Json(HttpStatusCode.NotFound, """{"title":"Not Found","status":404,"detail":"no such thing in the stub"}""");
    }

    private static TimeSpan Wait(string query)
    {
        const string prefix = "?wait=";
        if (!query.StartsWith(prefix, StringComparison.Ordinal))
        {
            return TimeSpan.Zero;
        }

        var text = Uri.UnescapeDataString(query[prefix.Length..]);
        (string Suffix, int Ms)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];
        var (suffix, ms) = units.First(u => text.EndsWith(u.Suffix, StringComparison.Ordinal) && char.IsDigit(text[^(u.Suffix.Length + 1)]));
        return TimeSpan.FromMilliseconds(long.Parse(text[..^suffix.Length], CultureInfo.InvariantCulture) * (long)ms);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, status == HttpStatusCode.OK ? "application/json" : "application/problem+json") };
}
