using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Rein.Server.Approvals;
using Rein.Server.Storage;
using Rein.Server.Tests.Hosting;

namespace Rein.Server.Tests.Approvals.Webhooks;

/// <summary>A real host with fast webhook settings, an admin client, and requests created the way the approvals create
/// them: <see cref="IApprovalEvents.RequestCreatedAsync"/> inside a database write.</summary>
public sealed class WebhookHarness : IAsyncDisposable
{
    public const string PublicUrl = "https://rein.example.com";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WebhookHarness(TestHost host, HttpClient admin)
    {
        Host = host;
        Admin = admin;
    }

    public TestHost Host { get; }

    public HttpClient Admin { get; }

    public ReinDatabase Database => Host.App.Services.GetRequiredService<ReinDatabase>();

    public IApprovalEvents Events => Host.App.Services.GetRequiredService<IApprovalEvents>();

    /// <summary>Settings for quick tests: a dispatcher pass every 50 ms, 100 ms between attempts, 3 attempts.</summary>
    public static Dictionary<string, string?> FastSettings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Approvals:Webhooks:PublicUrl"] = PublicUrl,
            ["Approvals:Webhooks:PollInterval"] = "50ms",
            ["Approvals:Webhooks:Backoff"] = "100ms",
            ["Approvals:Webhooks:MaxAttempts"] = "3",
            ["Approvals:Webhooks:Timeout"] = "2s",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public static async Task<WebhookHarness> StartAsync(string? database, Dictionary<string, string?>? settings = null, TestHost? shareKeysWith = null, TimeProvider? time = null)
    {
        var host = await TestHost.StartAsync(database: database, settings: settings ?? FastSettings(), time: time);
        return new WebhookHarness(host, host.Client((shareKeysWith ?? host).AdminKey));
    }

    public static string NewRequestId() =>
        "apr_" + string.Concat(RandomNumberGenerator.GetItems<char>("0123456789abcdefghjkmnpqrstvwxyz", 26));

    public static ApprovalCreated Created(string queue, string? requestId = null, string project = "default", string? message = "refund of 500 needs finance") => new(
        project,
        requestId ?? NewRequestId(),
        queue,
        "high",
        "support-bot",
        "payments.refund",
        "large refunds go to finance",
        message,
        DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()),
        DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(15).ToUnixTimeMilliseconds()),
        JsonDocument.Parse("""{"amount":500,"card":"[REDACTED]"}""").RootElement);

    /// <summary>What the approvals do when a request is created: the outbox call in the request's transaction.</summary>
    public Task CreateRequestAsync(ApprovalCreated created) =>
        Database.WriteAsync((c, t) => Events.RequestCreatedAsync(c, t, created), Ct);

    public async Task<HttpResponseMessage> SetWebhookAsync(string queue, object body) =>
        await Admin.PutAsJsonAsync($"/api/v1/approvals/queues/{Uri.EscapeDataString(queue)}/webhook", body, Ct);

    public async Task SetWebhookOkAsync(string queue, string url, string secret)
    {
        using var response = await SetWebhookAsync(queue, new { url, secret });
        Assert.True(response.IsSuccessStatusCode, $"set webhook answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }

    public async Task<JsonElement> DeliveriesAsync(string query = "")
    {
        using var response = await Admin.GetAsync("/api/v1/approvals/deliveries" + query, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"deliveries answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The request's one delivery once it has left pending (delivered or failed).</summary>
    public async Task<JsonElement> FinishedDeliveryAsync(string requestId, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var items = (await DeliveriesAsync($"?requestId={requestId}")).GetProperty("items");
            Assert.True(items.GetArrayLength() <= 1, $"request {requestId} has {items.GetArrayLength()} deliveries");
            if (items.GetArrayLength() == 1 && items[0].GetProperty("status").GetString() != "pending")
            {
                return items[0];
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"the delivery of {requestId} did not finish: {items}");
            await Task.Delay(50, Ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await Host.DisposeAsync();
    }
}
