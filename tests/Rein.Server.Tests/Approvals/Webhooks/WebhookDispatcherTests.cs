using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Server.Approvals.Webhooks;
using Rein.Server.Storage;
using Rein.Server.Tests.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Approvals.Webhooks;

/// <summary>The dispatcher driven pass by pass on a manual clock, without a host: when attempts happen, what a lease
/// that ran out leads to, and that a stale attempt cannot overwrite a newer one.</summary>
public abstract class WebhookDispatcherTests : StorageTestBase
{
    private const string Secret = "dispatcher-test-secret";

    private readonly ApprovalWebhookOptions _options = new() { PublicUrl = WebhookHarness.PublicUrl, Timeout = TimeSpan.FromSeconds(2) };

    private ApprovalWebhookService Service => new(H.Database, H.Audit, new EphemeralDataProtectionProvider(), H.Time, NullLogger<ApprovalWebhookService>.Instance);

    private (ApprovalWebhookService Service, WebhookOutbox Outbox, WebhookDispatcher Dispatcher) Build()
    {
        var service = Service;
        return (service, new WebhookOutbox(_options, H.Time, NullLogger<WebhookOutbox>.Instance),
            new WebhookDispatcher(H.Database, service, _options, H.Time, NullLogger<WebhookDispatcher>.Instance));
    }

    private Task<List<(string Id, string Status, int Attempts, long NextAttemptAt, string? LastError)>> RowsAsync() =>
        H.Database.ReadAsync(
            async c => (await c.QueryAsync<(string, string, int, long, string?)>("SELECT id, status, attempts, next_attempt_at, last_error FROM approval_deliveries ORDER BY id")).ToList(),
            Ct);

    [Fact]
    public async Task Attempts_FollowTheBackoffOnTheInjectedClock_AndEachIsSignedAtItsOwnTime()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500, 500, 200);
        var (service, outbox, dispatcher) = Build();
        using var _ = dispatcher;
        await service.SetAsync(H.Admin, "finance", receiver.At("/hook"), Secret, Ct);
        await H.Database.WriteAsync((c, t) => outbox.RequestCreatedAsync(c, t, WebhookHarness.Created("finance")), Ct);
        var start = H.Time.GetUtcNow();

        var attempts = new List<int> { await dispatcher.PassAsync(Ct), await dispatcher.PassAsync(Ct) };
        H.Time.Advance(TimeSpan.FromMilliseconds(999));
        attempts.Add(await dispatcher.PassAsync(Ct));
        H.Time.Advance(TimeSpan.FromMilliseconds(1));
        attempts.Add(await dispatcher.PassAsync(Ct));
        H.Time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        attempts.Add(await dispatcher.PassAsync(Ct));
        H.Time.Advance(TimeSpan.FromMilliseconds(1));
        attempts.Add(await dispatcher.PassAsync(Ct));

        Assert.Equal([1, 0, 0, 1, 0, 1], attempts);
        Assert.Equal(
            [start.ToUnixTimeSeconds(), start.AddSeconds(1).ToUnixTimeSeconds(), start.AddSeconds(6).ToUnixTimeSeconds()],
            receiver.Received.Select(r => long.Parse(r.Header("X-Rein-Timestamp"), CultureInfo.InvariantCulture)));
        Assert.All(receiver.Received, r => Assert.True(WebhookSignature.Verify(Secret, r.Header("X-Rein-Timestamp"), r.Body, r.Header("X-Rein-Signature"))));
        var row = Assert.Single(await RowsAsync());
        Assert.Equal(("delivered", 3), (row.Status, row.Attempts));
    }

    [Fact]
    public async Task DeadReceiver_WithTheDefaultSchedule_GetsFiveAttemptsOverTwoAndAHalfMinutes_ThenFailed()
    {
        var (service, outbox, dispatcher) = Build();
        using var _ = dispatcher;
        await service.SetAsync(H.Admin, "finance", $"http://127.0.0.1:{Network.FreePort()}/hook", Secret, Ct);
        await H.Database.WriteAsync((c, t) => outbox.RequestCreatedAsync(c, t, WebhookHarness.Created("finance")), Ct);

        var attempts = new List<int> { await dispatcher.PassAsync(Ct) };
        foreach (var wait in new[] { "1s", "5s", "30s", "2m", "10m" })
        {
            Assert.True(Durations.TryParse(wait, out var delay));
            H.Time.Advance(delay);
            attempts.Add(await dispatcher.PassAsync(Ct));
        }

        Assert.Equal([1, 1, 1, 1, 1, 0], attempts);
        var row = Assert.Single(await RowsAsync());
        Assert.Equal(("failed", 5), (row.Status, row.Attempts));
        Assert.Contains("refused", row.LastError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ExpiredLease_IsTakenAgain_AndAnInterruptedLastAttemptEndsFailedWithoutAnotherSend()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (service, _, dispatcher) = Build();
        using var __ = dispatcher;
        await service.SetAsync(H.Admin, "finance", receiver.At("/hook"), Secret, Ct);
        var body = WebhookBody.Serialize(WebhookBody.Build(WebhookHarness.Created("finance"), "https://rein.example.com/approvals/x"));
        var past = H.Time.GetUtcNow().AddMinutes(-5).ToUnixTimeMilliseconds();

        // What a server that died mid-attempt leaves: pending, the attempt counted, its lease run out.
        foreach (var (id, attempts) in new[] { ("dlv_0000000000interruptedlast", _options.MaxAttempts), ("dlv_0000000000interruptedonce", 1) })
        {
            await H.Database.WriteAsync(
                (c, t) => c.ExecuteAsync(
                    """
                    INSERT INTO approval_deliveries (project_id, id, request_id, queue, url, event, status, attempts, next_attempt_at, created_at, body)
                    VALUES ('default', @id, @id, 'finance', 'http://old.example.com/', 'approval.requested', 'pending', @attempts, @past, @past, @body)
                    """,
                    new { id, attempts, past, body },
                    t),
                Ct);
        }

        var attempted = await dispatcher.PassAsync(Ct);
        var rows = await RowsAsync();

        Assert.Equal(2, attempted);
        Assert.Equal(("dlv_0000000000interruptedlast", "failed", 5), (rows[0].Id, rows[0].Status, rows[0].Attempts));
        Assert.Equal("attempt 5 of 5 was interrupted before it finished; no attempts left", rows[0].LastError);
        Assert.Equal(("dlv_0000000000interruptedonce", "delivered", 2), (rows[1].Id, rows[1].Status, rows[1].Attempts));
        Assert.Equal(["dlv_0000000000interruptedonce"], receiver.Received.Select(r => r.Header("X-Rein-Delivery")));
        var url = await H.Database.ReadAsync(c => c.ExecuteScalarAsync<string>("SELECT url FROM approval_deliveries WHERE id = 'dlv_0000000000interruptedonce'"), Ct);
        Assert.Equal(receiver.At("/hook"), url);
    }

    [Fact]
    public async Task Finish_OfAnAttemptWhoseLeaseAnotherServerTook_ChangesNothing()
    {
        var (service, outbox, dispatcher) = Build();
        using var _ = dispatcher;
        await service.SetAsync(H.Admin, "finance", "https://hooks.example.com/x", Secret, Ct);
        await H.Database.WriteAsync((c, t) => outbox.RequestCreatedAsync(c, t, WebhookHarness.Created("finance")), Ct);
        var now = H.Time.GetUtcNow().ToUnixTimeMilliseconds();

        var first = await H.Database.WriteAsync((c, t) => WebhookStore.ClaimAsync(c, t, now, now, 10), Ct);
        var second = await H.Database.WriteAsync((c, t) => WebhookStore.ClaimAsync(c, t, now, now + 60_000, 10), Ct);
        var third = await H.Database.WriteAsync((c, t) => WebhookStore.ClaimAsync(c, t, now, now + 60_000, 10), Ct);
        first[0].Status = DeliveryStatus.Delivered;
        var stale = await H.Database.WriteAsync((c, t) => WebhookStore.FinishAsync(c, t, first[0], first[0].Attempts), Ct);
        second[0].Status = DeliveryStatus.Failed;
        var current = await H.Database.WriteAsync((c, t) => WebhookStore.FinishAsync(c, t, second[0], second[0].Attempts), Ct);

        Assert.Equal((1, 2), (first[0].Attempts, second[0].Attempts));
        Assert.Empty(third);
        Assert.False(stale);
        Assert.True(current);
        Assert.Equal("failed", Assert.Single(await RowsAsync()).Status);
    }

    [Fact]
    public async Task Claim_TakesAtMostBatchSize_OldestDueFirst()
    {
        var (service, outbox, dispatcher) = Build();
        using var _ = dispatcher;
        await service.SetAsync(H.Admin, "finance", "https://hooks.example.com/x", Secret, Ct);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var created = WebhookHarness.Created("finance");
            ids.Add(created.RequestId);
            await H.Database.WriteAsync((c, t) => outbox.RequestCreatedAsync(c, t, created), Ct);
            H.Time.Advance(TimeSpan.FromMilliseconds(10));
        }

        var now = H.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var claimed = await H.Database.WriteAsync((c, t) => WebhookStore.ClaimAsync(c, t, now, now + 60_000, 3), Ct);

        Assert.Equal(ids.Take(3).Order(StringComparer.Ordinal), claimed.Select(r => r.RequestId).Order(StringComparer.Ordinal));
        Assert.All(claimed, r => Assert.Equal((1, now + 60_000), (r.Attempts, r.NextAttemptAt)));
    }

    [Fact]
    public async Task Claim_AtMostMaxBatchPerProjectAndPerQueue_SoAQuietProjectsDeliveryIsInTheFirstBatch()
    {
        await H.CreateProjectAsync("noisy");
        var past = H.Time.GetUtcNow().AddMinutes(-5).ToUnixTimeMilliseconds();
        var rows = Enumerable.Range(0, 6).Select(i => ("noisy", $"dlv_0000000000noisya{i}", "a", past + i))
            .Concat(Enumerable.Range(0, 2).Select(i => ("noisy", $"dlv_0000000000noisyb{i}", "b", past + 10 + i)))
            .Append(("default", "dlv_0000000000quiet", "finance", past + 20));
        foreach (var (project, id, queue, at) in rows)
        {
            await H.Database.WriteAsync(
                (c, t) => c.ExecuteAsync(
                    """
                    INSERT INTO approval_deliveries (project_id, id, request_id, queue, url, event, status, attempts, next_attempt_at, created_at, body)
                    VALUES (@project, @id, @id, @queue, 'https://hooks.example.com/', 'approval.requested', 'pending', 0, @at, @at, '{}')
                    """,
                    new { project, id, queue, at },
                    t),
                Ct);
        }

        var now = H.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var claimed = await H.Database.WriteAsync((c, t) => WebhookStore.ClaimAsync(c, t, now, now + 60_000, 5, perProject: 4, perQueue: 3), Ct);

        Assert.Equal(
            ["dlv_0000000000noisya0", "dlv_0000000000noisya1", "dlv_0000000000noisya2", "dlv_0000000000noisyb0", "dlv_0000000000quiet"],
            claimed.Select(r => r.Id).Order(StringComparer.Ordinal));
    }
}

public sealed class SqliteWebhookDispatcherTests : WebhookDispatcherTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.SqliteAsync(directory);
}

public sealed class PostgresWebhookDispatcherTests(PostgresCluster cluster) : WebhookDispatcherTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.PostgresAsync(cluster);
}
