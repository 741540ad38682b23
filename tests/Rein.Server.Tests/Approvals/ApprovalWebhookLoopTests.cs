using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rein.Server.Tests.Approvals.Webhooks;
using Rein.Testing;

namespace Rein.Server.Tests.Approvals;

/// <summary>The gate, the approval request it opens and the queue's webhook together: the operator is told, and a
/// receiver that is down changes nothing for the agent.</summary>
public abstract class ApprovalWebhookLoopTests
{
    private const string Secret = "finance-queue-secret-0123456789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<string?> DatabaseAsync();

    private async Task<ApprovalHarness> StartAsync(string webhookUrl)
    {
        var h = await ApprovalHarness.StartAsync(await DatabaseAsync(), WebhookHarness.FastSettings());
        using var set = await h.Admin.PutAsJsonAsync("/api/v1/approvals/queues/finance/webhook", new { url = webhookUrl, secret = Secret }, Ct);
        Assert.True(set.IsSuccessStatusCode, $"set webhook answered {(int)set.StatusCode}: {await set.Content.ReadAsStringAsync(Ct)}");
        return h;
    }

    [Fact]
    public async Task LargeRefund_FinanceQueueWithAWebhook_TheReceiverGetsTheRequestSigned()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await StartAsync(receiver.At("/hooks/finance"));

        var id = await h.OpenAsync("run-" + Guid.NewGuid().ToString("N"));
        var got = (await receiver.WaitForAsync(1))[0];

        var approval = JsonDocument.Parse(got.Body).RootElement.GetProperty("approval");
        Assert.Equal(id, approval.GetProperty("id").GetString());
        Assert.Equal("finance", approval.GetProperty("queue").GetString());
        Assert.Equal("payments.refund", approval.GetProperty("tool").GetString());
        Assert.Equal($"{WebhookHarness.PublicUrl}/approvals/{id}", approval.GetProperty("url").GetString());
        Assert.DoesNotContain("\"amount\"", got.Body, StringComparison.Ordinal);
        var signed = Encoding.UTF8.GetBytes(got.Header("X-Rein-Timestamp") + "." + got.Body);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), signed));
        Assert.Equal(expected, got.Header("X-Rein-Signature"));
    }

    [Fact]
    public async Task LargeRefund_WebhookReceiverDown_TheGateStillOpensTheRequestAndTheDeliveryIsLogged()
    {
        await using var h = await StartAsync($"http://127.0.0.1:{Network.FreePort()}/down");

        var id = await h.OpenAsync("run-" + Guid.NewGuid().ToString("N"));

        var request = await h.GetAsync(id);
        Assert.Equal("pending", request.GetProperty("status").GetString());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var deliveries = await h.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/approvals/deliveries?requestId={id}", Ct);
            var item = deliveries.GetProperty("items").EnumerateArray().SingleOrDefault();
            if (item.ValueKind == JsonValueKind.Object && item.GetProperty("attempts").GetInt32() >= 1 && item.GetProperty("lastError").ValueKind == JsonValueKind.String)
            {
                Assert.NotEqual("delivered", item.GetProperty("status").GetString());
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no failed attempt logged for {id}: {deliveries}");
            await Task.Delay(100, Ct);
        }

        Assert.Equal("pending", (await h.GetAsync(id)).GetProperty("status").GetString());
    }
}

public sealed class SqliteApprovalWebhookLoopTests : ApprovalWebhookLoopTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresApprovalWebhookLoopTests(PostgresCluster cluster) : ApprovalWebhookLoopTests
{
    protected override async Task<string?> DatabaseAsync() => await cluster.CreateDatabaseAsync();
}
