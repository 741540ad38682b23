using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Rein.Server.Approvals.Webhooks;
using Rein.Server.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Approvals.Webhooks;

/// <summary>Webhooks of approval queues from the request's transaction to a real local receiver, on SQLite and on
/// PostgreSQL: what is sent, how it is signed, retried and logged, and what is never kept or shown.</summary>
public abstract class ApprovalWebhooksTests
{
    private const string Secret = "s3cret-Value-for-the-finance-queue";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<string?> DatabaseAsync();

    private async Task<WebhookHarness> StartAsync(Dictionary<string, string?>? more = null, TimeProvider? time = null) =>
        await WebhookHarness.StartAsync(await DatabaseAsync(), WebhookHarness.FastSettings(more), time: time);

    [Fact]
    public async Task NewRequest_InAQueueWithAWebhook_PostsTheBodyAndHeadersOfTheContract()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await StartAsync();
        await h.SetWebhookOkAsync("finance", receiver.At("/hooks/finance"), Secret);
        var created = WebhookHarness.Created("finance");

        await h.CreateRequestAsync(created);
        var got = (await receiver.WaitForAsync(1))[0];

        Assert.Equal("/hooks/finance", got.Path);
        Assert.Equal("approval.requested", got.Header("X-Rein-Event"));
        Assert.StartsWith("application/json", got.Header("Content-Type"), StringComparison.Ordinal);
        Assert.StartsWith("Rein-Webhooks/", got.Header("User-Agent"), StringComparison.Ordinal);
        Assert.True(DeliveryIds.IsValid(got.Header("X-Rein-Delivery")), got.Header("X-Rein-Delivery"));
        var timestamp = long.Parse(got.Header("X-Rein-Timestamp"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(timestamp, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        var body = JsonDocument.Parse(got.Body).RootElement;
        Assert.Equal(["text", "event", "approval"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal("approval.requested", body.GetProperty("event").GetString());
        var approval = body.GetProperty("approval");
        Assert.Equal(
            ["id", "queue", "severity", "agent", "tool", "rule", "message", "createdAt", "expiresAt", "url"],
            approval.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            (created.RequestId, "finance", "high", "support-bot", "payments.refund", "large refunds go to finance", "refund of 500 needs finance"),
            (approval.GetProperty("id").GetString(), approval.GetProperty("queue").GetString(), approval.GetProperty("severity").GetString(),
                approval.GetProperty("agent").GetString(), approval.GetProperty("tool").GetString(), approval.GetProperty("rule").GetString(),
                approval.GetProperty("message").GetString()));
        Assert.Equal(created.CreatedAt, approval.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(created.ExpiresAt, approval.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.EndsWith("Z", approval.GetProperty("expiresAt").GetString(), StringComparison.Ordinal);
        var link = $"{WebhookHarness.PublicUrl}/approvals/{created.RequestId}";
        Assert.Equal(link, approval.GetProperty("url").GetString());
        var text = body.GetProperty("text").GetString()!;
        Assert.DoesNotContain('\n', text);
        foreach (var part in new[] { "[HIGH]", "finance", "support-bot", "payments.refund", "refund of 500 needs finance", "large refunds go to finance", link })
        {
            Assert.Contains(part, text, StringComparison.Ordinal);
        }

        // The arguments (even redacted) stay in Rein: a chat channel is not the place for them.
        Assert.DoesNotContain("amount", got.Body, StringComparison.Ordinal);

        var delivery = await h.FinishedDeliveryAsync(created.RequestId);
        Assert.Equal(("delivered", 1, 200), (delivery.GetProperty("status").GetString(), delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("lastStatusCode").GetInt32()));
        Assert.Equal(got.Header("X-Rein-Delivery"), delivery.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("nextAttemptAt").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, delivery.GetProperty("deliveredAt").ValueKind);
    }

    [Fact]
    public async Task Signature_VerifiesWithTheQueuesSecret_AndFailsWithAnotherOrAnotherBodyOrTimestamp()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await StartAsync();
        await h.SetWebhookOkAsync("finance", receiver.At("/hook"), Secret);

        await h.CreateRequestAsync(WebhookHarness.Created("finance"));
        var got = (await receiver.WaitForAsync(1))[0];
        var signature = got.Header("X-Rein-Signature");
        var timestamp = got.Header("X-Rein-Timestamp");

        // Computed here from the wire, as a receiver would, independently of WebhookSignature.
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes(Secret));
        var expected = "sha256=" + Convert.ToHexStringLower(hmac.ComputeHash(Encoding.UTF8.GetBytes(timestamp + "." + got.Body)));
        Assert.Equal(expected, signature);
        Assert.True(WebhookSignature.Verify(Secret, timestamp, got.Body, signature));

        Assert.False(WebhookSignature.Verify("another-secret-of-enough-length", timestamp, got.Body, signature));
        Assert.False(WebhookSignature.Verify(Secret, timestamp, got.Body.Replace("high", "low ", StringComparison.Ordinal), signature));
        Assert.False(WebhookSignature.Verify(Secret, (long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), got.Body, signature));
    }

    [Fact]
    public async Task Receiver_Answering500Twice_GetsThreeAttempts_AndTheDeliveryEndsDelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500, 500, 200);
        await using var h = await StartAsync();
        await h.SetWebhookOkAsync("finance", receiver.At("/hook"), Secret);
        var created = WebhookHarness.Created("finance");

        await h.CreateRequestAsync(created);
        var delivery = await h.FinishedDeliveryAsync(created.RequestId);
        var got = receiver.Received;

        Assert.Equal(3, got.Count);
        Assert.Single(got.Select(r => r.Header("X-Rein-Delivery")).Distinct());
        Assert.Single(got.Select(r => r.Body).Distinct());
        Assert.All(got, r => Assert.True(WebhookSignature.Verify(Secret, r.Header("X-Rein-Timestamp"), r.Body, r.Header("X-Rein-Signature"))));
        Assert.Equal(("delivered", 3, 200), (delivery.GetProperty("status").GetString(), delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("lastStatusCode").GetInt32()));
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("lastError").ValueKind);
        var logged = h.Host.Logs.Entries.Where(e => e.EventId.Id == 8506).Select(e => e.Message).ToList();
        Assert.Equal(2, logged.Count);
        Assert.All(logged, m => Assert.Contains("HTTP 500", m, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeadPort_EndsFailedAfterMaxAttempts_WithTheLastErrorRecorded()
    {
        await using var h = await StartAsync();
        await h.SetWebhookOkAsync("finance", $"http://127.0.0.1:{Network.FreePort()}/hook", Secret);
        var created = WebhookHarness.Created("finance");

        await h.CreateRequestAsync(created);
        var delivery = await h.FinishedDeliveryAsync(created.RequestId);

        Assert.Equal(("failed", 3), (delivery.GetProperty("status").GetString(), delivery.GetProperty("attempts").GetInt32()));
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("lastStatusCode").ValueKind);
        Assert.Contains("refused", delivery.GetProperty("lastError").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("deliveredAt").ValueKind);
        Assert.Single(h.Host.Logs.Entries, e => e.EventId.Id == 8507);
    }

    [Fact]
    public async Task ErrorAnswer_IsRecordedWithItsStatusAndTheStartOfItsBody_OnOneLine()
    {
        await using var receiver = await WebhookReceiver.StartAsync(503, 503, 503);
        await using var h = await StartAsync();
        await h.SetWebhookOkAsync("finance", receiver.At("/hook"), Secret);
        var created = WebhookHarness.Created("finance");

        await h.CreateRequestAsync(created);
        var delivery = await h.FinishedDeliveryAsync(created.RequestId);

        Assert.Equal(("failed", 3, 503), (delivery.GetProperty("status").GetString(), delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("lastStatusCode").GetInt32()));
        Assert.Equal("HTTP 503 Service Unavailable: receiver says no (503) second line", delivery.GetProperty("lastError").GetString());
    }

    [Fact]
    public async Task Redirect_IsNotFollowed_ButCountsAsAFailedAttempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(302);
        await using var h = await StartAsync(new() { ["Approvals:Webhooks:MaxAttempts"] = "1" });
        await h.SetWebhookOkAsync("finance", receiver.At("/hook"), Secret);
        var created = WebhookHarness.Created("finance");

        await h.CreateRequestAsync(created);
        var delivery = await h.FinishedDeliveryAsync(created.RequestId);

        Assert.Equal(("failed", 1, 302), (delivery.GetProperty("status").GetString(), delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("lastStatusCode").GetInt32()));
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task Timeout_AReceiverThatNeverAnswers_FailsTheAttemptAfterTimeout()
    {
        await using var receiver = await WebhookReceiver.StartAsync(WebhookReceiver.Hang);
        await using var h = await StartAsync(new() { ["Approvals:Webhooks:MaxAttempts"] = "1", ["Approvals:Webhooks:Timeout"] = "300ms" });
        await h.SetWebhookOkAsync("finance", receiver.At("/hook"), Secret);
        var created = WebhookHarness.Created("finance");

        await h.CreateRequestAsync(created);
        var delivery = await h.FinishedDeliveryAsync(created.RequestId, TimeSpan.FromSeconds(10));

        Assert.Equal("failed", delivery.GetProperty("status").GetString());
        Assert.Equal("no answer within 0.3s (Approvals:Webhooks:Timeout)", delivery.GetProperty("lastError").GetString());
    }

    [Fact]
    public async Task QueueWithoutAWebhook_WritesNoDelivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await StartAsync();
        await h.SetWebhookOkAsync("finance", receiver.At("/hook"), Secret);

        await h.CreateRequestAsync(WebhookHarness.Created("ops"));
        await h.CreateRequestAsync(WebhookHarness.Created("Finance"));

        var rows = await h.Database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT count(*) FROM approval_deliveries"), Ct);
        Assert.Equal(0, rows);
        Assert.Empty((await h.DeliveriesAsync()).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task AnotherProjectsWebhook_IsNotUsed_NorItsDeliveriesListed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await StartAsync();
        await h.SetWebhookOkAsync("finance", receiver.At("/default"), Secret);
        using var project = await h.Admin.PostAsJsonAsync("/api/v1/projects", new { id = "elsewhere" }, Ct);
        using var other = h.Host.Client((await project.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("apiKey").GetString());

        var created = WebhookHarness.Created("finance", project: "elsewhere");
        await h.CreateRequestAsync(created);
        var mine = WebhookHarness.Created("finance");
        await h.CreateRequestAsync(mine);
        await h.FinishedDeliveryAsync(mine.RequestId);

        Assert.Single(receiver.Received);
        Assert.Empty((await other.GetFromJsonAsync<JsonElement>("/api/v1/approvals/deliveries", Ct)).GetProperty("items").EnumerateArray());
        using var get = await other.GetAsync("/api/v1/approvals/queues/finance/webhook", Ct);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Outbox_WhenItsWriteFails_TheRequestsTransactionStillCommits()
    {
        await using var h = await StartAsync();
        await h.SetWebhookOkAsync("finance", "https://hooks.example.com/x", Secret);
        await h.Database.WriteAsync((c, t) => c.ExecuteAsync("CREATE TABLE probe (id text PRIMARY KEY); DROP TABLE approval_deliveries;", transaction: t), Ct);

        await h.Database.WriteAsync(
            async (c, t) =>
            {
                await c.ExecuteAsync("INSERT INTO probe (id) VALUES ('before')", transaction: t);
                await h.Events.RequestCreatedAsync(c, t, WebhookHarness.Created("finance"));
                await c.ExecuteAsync("INSERT INTO probe (id) VALUES ('after')", transaction: t);
            },
            Ct);

        var rows = await h.Database.ReadAsync(c => c.QueryAsync<string>("SELECT id FROM probe ORDER BY id"), Ct);
        Assert.Equal(["after", "before"], rows);
        Assert.Single(h.Host.Logs.Entries, e => e.EventId.Id == 8504);
    }

    [Fact]
    public async Task Secrets_AreNotInTheDatabaseInPlainText_NorInAnswers_NorInLogs_NorIsTheUrlsPathInLogs()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await StartAsync();
        const string PathCredential = "T0001-B0002-XyZpathcredential";
        using var set = await h.SetWebhookAsync("finance", new { url = receiver.At("/services/" + PathCredential), secret = Secret });
        var setAnswer = await set.Content.ReadAsStringAsync(Ct);
        var getAnswer = await h.Admin.GetStringAsync("/api/v1/approvals/queues/finance/webhook", Ct);
        using var refused = await h.SetWebhookAsync("finance", new { url = "ftp://nope", secret = Secret + "-new" });
        var refusedAnswer = await refused.Content.ReadAsStringAsync(Ct);
        using var rotated = await h.SetWebhookAsync("finance", new { url = receiver.At("/services/" + PathCredential), secret = Secret + "-rotated" });
        var created = WebhookHarness.Created("finance");
        await h.CreateRequestAsync(created);
        await h.FinishedDeliveryAsync(created.RequestId);
        var deliveriesAnswer = (await h.DeliveriesAsync()).ToString();
        using var removed = await h.Admin.DeleteAsync("/api/v1/approvals/queues/finance/webhook", Ct);
        var removedAnswer = await removed.Content.ReadAsStringAsync(Ct);
        var audit = await h.Admin.GetStringAsync("/api/v1/audit?action=approval", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        foreach (var answer in new[] { setAnswer, getAnswer, refusedAnswer, deliveriesAnswer, removedAnswer, audit })
        {
            Assert.DoesNotContain(Secret, answer, StringComparison.Ordinal);
            Assert.DoesNotContain("secret\"", answer, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain(PathCredential, audit, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, h.Host.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(PathCredential, h.Host.Logs.AllText, StringComparison.Ordinal);
        Assert.Contains(h.Host.Logs.Entries, e => e.EventId.Id == 8505);

        // Every stored value, the protected secret included, before the remove (the row is gone now: set it again).
        await h.SetWebhookOkAsync("finance", receiver.At("/x"), Secret);
        var stored = await h.Database.ReadAsync(
            async c => string.Join("\n", (await c.QueryAsync("SELECT * FROM approval_webhooks")).Concat(await c.QueryAsync("SELECT * FROM approval_deliveries"))
                .Concat(await c.QueryAsync("SELECT * FROM audit_log"))
                .Select(row => string.Join("|", ((IDictionary<string, object?>)row).Values))),
            Ct);
        Assert.Contains("finance", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)), stored, StringComparison.Ordinal);
        if (h.Database is SqliteReinDatabase sqlite)
        {
            // The raw file and its write-ahead log, where a value would linger even after an update.
            var needle = Encoding.UTF8.GetBytes(Secret);
            foreach (var file in new[] { sqlite.FilePath, sqlite.FilePath + "-wal" }.Where(File.Exists))
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy, Ct);
                Assert.Equal(-1, copy.ToArray().AsSpan().IndexOf(needle));
            }
        }
    }

    [Fact]
    public async Task SetGetRemove_RoundTrip_IsAuditedAndAnswersTheWebhookWithoutItsSecret()
    {
        await using var h = await StartAsync();

        using var created = await h.SetWebhookAsync("finance/eu", new { url = "https://hooks.example.com/a", secret = Secret });
        using var replaced = await h.SetWebhookAsync("finance/eu", new { url = "https://hooks.example.com/b" });
        var got = await h.Admin.GetFromJsonAsync<JsonElement>("/api/v1/approvals/queues/finance%2Feu/webhook", Ct);
        using var removed = await h.Admin.DeleteAsync("/api/v1/approvals/queues/finance%2Feu/webhook", Ct);
        using var gone = await h.Admin.GetAsync("/api/v1/approvals/queues/finance%2Feu/webhook", Ct);
        using var removedAgain = await h.Admin.DeleteAsync("/api/v1/approvals/queues/finance%2Feu/webhook", Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/approvals/queues/finance%2Feu/webhook", created.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(["queue", "url", "createdAt", "updatedAt"], got.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("finance/eu", "https://hooks.example.com/b"), (got.GetProperty("queue").GetString(), got.GetProperty("url").GetString()));
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, removedAgain.StatusCode);

        var audit = (await h.Admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=approval.webhook", Ct)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["approval.webhook.remove", "approval.webhook.set", "approval.webhook.set"], audit.Select(e => e.GetProperty("action").GetString()));
        Assert.All(audit, e => Assert.Equal("finance/eu", e.GetProperty("objectId").GetString()));
        var details = audit.Select(e => e.GetProperty("details").ToString()).ToList();
        Assert.Contains("\"secretChanged\":false", details[1], StringComparison.Ordinal);
        Assert.Contains("\"secretChanged\":true", details[2], StringComparison.Ordinal);
        Assert.Contains("https://hooks.example.com", details[0], StringComparison.Ordinal);
        var verify = await h.Admin.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);
        Assert.True(verify.GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task RotatedSecret_SignsLaterAttempts_AndARemovedWebhookFailsItsPendingDeliveries()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500);
        await using var h = await StartAsync(new() { ["Approvals:Webhooks:Backoff"] = "1s" });
        await h.SetWebhookOkAsync("finance", receiver.At("/hook"), Secret);
        var first = WebhookHarness.Created("finance");

        await h.CreateRequestAsync(first);
        await receiver.WaitForAsync(1);
        await h.SetWebhookOkAsync("finance", receiver.At("/hook"), Secret + "-rotated");
        var retried = (await receiver.WaitForAsync(2))[1];
        Assert.True(WebhookSignature.Verify(Secret + "-rotated", retried.Header("X-Rein-Timestamp"), retried.Body, retried.Header("X-Rein-Signature")));

        await using var dead = await WebhookReceiver.StartAsync(500);
        await h.SetWebhookOkAsync("ops", dead.At("/hook"), Secret);
        var second = WebhookHarness.Created("ops");
        await h.CreateRequestAsync(second);
        await dead.WaitForAsync(1);
        (await h.Admin.DeleteAsync("/api/v1/approvals/queues/ops/webhook", Ct)).EnsureSuccessStatusCode();
        var failed = await h.FinishedDeliveryAsync(second.RequestId);

        Assert.Equal(("failed", "queue 'ops' has no webhook any more"), (failed.GetProperty("status").GetString(), failed.GetProperty("lastError").GetString()));
        Assert.Single(dead.Received);
    }

    [Fact]
    public async Task Deliveries_FilterByRequestStatusAndQueue_AndPageNewestFirst()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await StartAsync();
        await h.SetWebhookOkAsync("finance", receiver.At("/hook"), Secret);
        await h.SetWebhookOkAsync("ops", $"http://127.0.0.1:{Network.FreePort()}/hook", Secret);
        var requests = new List<string>();
        foreach (var queue in new[] { "finance", "ops", "finance", "finance" })
        {
            var created = WebhookHarness.Created(queue);
            requests.Add(created.RequestId);
            await h.CreateRequestAsync(created);
            await h.FinishedDeliveryAsync(created.RequestId);
        }

        var page1 = await h.DeliveriesAsync("?limit=3");
        var page2 = await h.DeliveriesAsync($"?limit=3&cursor={page1.GetProperty("next").GetString()}");
        Assert.Equal(
            Enumerable.Reverse(requests),
            page1.GetProperty("items").EnumerateArray().Concat(page2.GetProperty("items").EnumerateArray()).Select(d => d.GetProperty("requestId").GetString()));
        Assert.Equal(JsonValueKind.Null, page2.GetProperty("next").ValueKind);
        Assert.Equal([requests[1]], (await h.DeliveriesAsync("?status=failed")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("requestId").GetString()));
        Assert.Equal(3, (await h.DeliveriesAsync("?queue=finance&status=delivered")).GetProperty("items").GetArrayLength());
        Assert.Equal([requests[2]], (await h.DeliveriesAsync($"?requestId={requests[2]}")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("requestId").GetString()));
    }

    [Fact]
    public async Task Retention_DeletesFinishedDeliveriesOlderThanIt_AndKeepsNewerOnes()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await StartAsync(new() { ["Approvals:Webhooks:Retention"] = "1d" }, time);
        await h.SetWebhookOkAsync("finance", receiver.At("/hook"), Secret);
        var old = WebhookHarness.Created("finance");
        await h.CreateRequestAsync(old);
        await h.FinishedDeliveryAsync(old.RequestId);

        time.Advance(TimeSpan.FromDays(1) + WebhookDispatcher.RetentionSweepInterval);
        var recent = WebhookHarness.Created("finance");
        await h.CreateRequestAsync(recent);
        await h.FinishedDeliveryAsync(recent.RequestId);

        Assert.Equal([recent.RequestId], (await h.DeliveriesAsync()).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("requestId").GetString()));
    }
}

public sealed class SqliteApprovalWebhooksTests : ApprovalWebhooksTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresApprovalWebhooksTests(PostgresCluster cluster) : ApprovalWebhooksTests
{
    protected override async Task<string?> DatabaseAsync() => await cluster.CreateDatabaseAsync();

    [Fact]
    public async Task Replicas_OnOnePostgres_DeliverEveryRowExactlyOnce()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var a = await WebhookHarness.StartAsync(database, WebhookHarness.FastSettings(new() { ["Approvals:Webhooks:BatchSize"] = "2" }));
        await using var b = await WebhookHarness.StartAsync(database, WebhookHarness.FastSettings(new() { ["Approvals:Webhooks:BatchSize"] = "2" }), shareKeysWith: a.Host);
        await a.SetWebhookOkAsync("finance", receiver.At("/hook"), "a-secret-for-the-replica-test");

        var created = Enumerable.Range(0, 40).Select(_ => WebhookHarness.Created("finance")).ToList();
        await Task.WhenAll(created.Select((c, i) => (i % 2 == 0 ? a : b).CreateRequestAsync(c)));
        await receiver.WaitForAsync(40);
        await Task.Delay(500, TestContext.Current.CancellationToken);

        var got = receiver.Received;
        Assert.Equal(40, got.Count);
        Assert.Equal(40, got.Select(r => r.Header("X-Rein-Delivery")).Distinct().Count());
        var rows = await a.Database.ReadAsync(c => c.QueryAsync<(string Status, int Attempts)>("SELECT status, attempts FROM approval_deliveries"), TestContext.Current.CancellationToken);
        Assert.All(rows, r => Assert.Equal(("delivered", 1), r));
        Assert.Equal(40, rows.Count());
    }
}
