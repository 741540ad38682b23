using System.Net;
using System.Text;
using System.Text.Json;
using Rein.Server.Approvals.Webhooks;
using Rein.Server.Tests.Policies;
using Rein.Testing;

namespace Rein.Server.Tests.Approvals.Webhooks;

/// <summary>One host with a key of every role, shared by the admin API's input and permission tests.</summary>
public sealed class WebhookApiFixture : IAsyncLifetime
{
    public WebhookHarness Harness { get; private set; } = null!;

    public Dictionary<string, string> Keys { get; } = [];

    public async ValueTask InitializeAsync()
    {
        Harness = await WebhookHarness.StartAsync(null);
        foreach (var role in new[] { "agent", "viewer", "approver" })
        {
            Keys[role] = await GateHarness.KeyAsync(Harness.Admin, role);
        }
    }

    public async ValueTask DisposeAsync() => await Harness.DisposeAsync();
}

/// <summary>The webhook admin API's bounds and permissions: every bad input is a 400 naming its field, and only
/// admins may use it.</summary>
public sealed class ApprovalWebhooksApiTests(WebhookApiFixture fixture) : IClassFixture<WebhookApiFixture>
{
    private const string Secret = "0123456789abcdef";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Admin => fixture.Harness.Admin;

    private static async Task<(HttpStatusCode Status, JsonElement Problem)> SendAsync(HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone());
    }

    private static string Body(object body) => JsonSerializer.Serialize(body);

    public static TheoryData<string, string, string> BadSets() => new()
    {
        { "finance", Body(new { url = "ftp://hooks.example.com/x", secret = Secret }), "url" },
        { "finance", Body(new { url = "/relative/hook", secret = Secret }), "url" },
        { "finance", Body(new { url = "https://user:pw@hooks.example.com/x", secret = Secret }), "url" },
        { "finance", Body(new { url = "https://hooks.example.com/x#part", secret = Secret }), "url" },
        { "finance", Body(new { url = "https://hooks.example.com/a b", secret = Secret }), "url" },
        { "finance", Body(new { secret = Secret }), "url" },
        { "finance", Body(new { url = "https://hooks.example.com/" + new string('a', WebhookUrls.MaxLength), secret = Secret }), "url" },
        { "finance", Body(new { url = "https://hooks.example.com/x", secret = Secret[..^1] }), "secret" },
        { "finance", Body(new { url = "https://hooks.example.com/x", secret = new string('s', ApprovalWebhookService.MaxSecretLength + 1) }), "secret" },
        { "finance", Body(new { url = "https://hooks.example.com/x", secret = Secret + "\n" }), "secret" },
        { "finance", Body(new { url = "https://hooks.example.com/x", secret = " " + Secret }), "secret" },
        { "never-set", Body(new { url = "https://hooks.example.com/x" }), "secret" },
        { "bad*queue", Body(new { url = "https://hooks.example.com/x", secret = Secret }), "queue" },
        { " padded", Body(new { url = "https://hooks.example.com/x", secret = Secret }), "queue" },
        { new string('q', ApprovalWebhookService.MaxQueueLength + 1), Body(new { url = "https://hooks.example.com/x", secret = Secret }), "queue" },
    };

    [Theory]
    [MemberData(nameof(BadSets))]
    public async Task Set_BadInput_Is400NamingTheField(string queue, string json, string field)
    {
        var (status, problem) = await SendAsync(Admin, HttpMethod.Put, $"/api/v1/approvals/queues/{Uri.EscapeDataString(queue)}/webhook", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(field + ": ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("{\"url\": \"https://hooks.example.com/x\", \"secret\": \"0123456789abcdef\", \"events\": []}", "unknown field 'events'")]
    [InlineData("{\"url\": 7, \"secret\": \"0123456789abcdef\"}", "at url: expected a string")]
    [InlineData("{\"url\": ", "not valid JSON")]
    public async Task Set_MalformedBody_Is400SayingWhat(string json, string detail)
    {
        var (status, problem) = await SendAsync(Admin, HttpMethod.Put, "/api/v1/approvals/queues/finance/webhook", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_BodyOverMaxSetBodyBytes_Is413()
    {
        var json = Body(new { url = "https://hooks.example.com/x", secret = new string('s', (int)ApprovalWebhooksApi.MaxSetBodyBytes) });

        var (status, problem) = await SendAsync(Admin, HttpMethod.Put, "/api/v1/approvals/queues/finance/webhook", json);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains($"{ApprovalWebhooksApi.MaxSetBodyBytes} bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_AtEveryBound_IsAccepted()
    {
        var longest = "https://hooks.example.com/" + new string('a', WebhookUrls.MaxLength - "https://hooks.example.com/".Length);
        var queue = new string('q', ApprovalWebhookService.MaxQueueLength);

        var (shortest, _) = await SendAsync(Admin, HttpMethod.Put, "/api/v1/approvals/queues/bounds/webhook", Body(new { url = longest, secret = new string('s', ApprovalWebhookService.MinSecretLength) }));
        var (longestSecret, _) = await SendAsync(Admin, HttpMethod.Put, $"/api/v1/approvals/queues/{queue}/webhook", Body(new { url = "http://10.0.0.1:8080/hook?token=x", secret = new string('s', ApprovalWebhookService.MaxSecretLength) }));
        var (spaced, _) = await SendAsync(Admin, HttpMethod.Put, "/api/v1/approvals/queues/refunds%20over%20500/webhook", Body(new { url = "https://hooks.example.com/x", secret = Secret }));

        Assert.Equal(WebhookUrls.MaxLength, longest.Length);
        Assert.Equal(HttpStatusCode.Created, shortest);
        Assert.Equal(HttpStatusCode.Created, longestSecret);
        Assert.Equal(HttpStatusCode.Created, spaced);
    }

    [Theory]
    [InlineData("?status=sent", "status")]
    [InlineData("?cursor=abc", "cursor")]
    [InlineData("?queue=bad*queue", "queue")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=501", "limit")]
    public async Task Deliveries_BadQuery_Is400NamingTheParameter(string query, string field)
    {
        var (status, problem) = await SendAsync(Admin, HttpMethod.Get, "/api/v1/approvals/deliveries" + query);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(field + ": ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliveries_LimitAtMaxPageSize_IsAccepted()
    {
        var (status, _) = await SendAsync(Admin, HttpMethod.Get, $"/api/v1/approvals/deliveries?limit={ApprovalWebhookService.MaxPageSize}");

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("agent")]
    [InlineData("viewer")]
    [InlineData("approver")]
    public async Task EveryEndpoint_ForANonAdminKey_Is403SayingWhichRole(string role)
    {
        using var client = fixture.Harness.Host.Client(fixture.Keys[role]);
        var set = Body(new { url = "https://hooks.example.com/x", secret = Secret });

        foreach (var (method, path, json) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Put, "/api/v1/approvals/queues/finance/webhook", set),
            (HttpMethod.Get, "/api/v1/approvals/queues/finance/webhook", null),
            (HttpMethod.Delete, "/api/v1/approvals/queues/finance/webhook", null),
            (HttpMethod.Get, "/api/v1/approvals/deliveries", null),
        })
        {
            var (status, problem) = await SendAsync(client, method, path, json);
            Assert.True(status == HttpStatusCode.Forbidden, $"{role} {method} {path} answered {(int)status}");
            Assert.Contains("role admin", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task EveryEndpoint_WithoutAKey_Is401()
    {
        using var client = fixture.Harness.Host.Client();

        var (status, _) = await SendAsync(client, HttpMethod.Get, "/api/v1/approvals/deliveries");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task Set_WithoutASecret_KeepsTheCurrentOne()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await fixture.Harness.SetWebhookOkAsync("keeps", "https://hooks.example.com/old", Secret);
        var (status, _) = await SendAsync(Admin, HttpMethod.Put, "/api/v1/approvals/queues/keeps/webhook", Body(new { url = receiver.At("/new") }));
        var created = WebhookHarness.Created("keeps");

        await fixture.Harness.CreateRequestAsync(created);
        var got = (await receiver.WaitForAsync(1))[0];

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(WebhookSignature.Verify(Secret, got.Header("X-Rein-Timestamp"), got.Body, got.Header("X-Rein-Signature")));
    }
}
