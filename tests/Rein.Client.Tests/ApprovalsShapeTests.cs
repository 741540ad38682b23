using System.Net;
using System.Text.Json.Nodes;

namespace Rein.Client.Tests;

/// <summary>What the approvals client sends and how it reads the answers, against the JSON of the approvals contract:
/// no server needed.</summary>
public sealed class ApprovalsShapeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An approval as the contract writes it, approved with modified arguments, as an agent key sees it.</summary>
    private const string ApprovalJson = """
        {
          "id": "apr_01jf3m8q2z7x9k4w5v6t8r1n0p", "status": "approved", "outcome": "modified", "queue": "finance",
          "severity": "high", "createdAt": "2026-11-22T12:00:00Z", "expiresAt": "2026-11-22T12:15:00Z",
          "decidedAt": "2026-11-22T12:03:30.5Z", "decidedBy": "k3x9q2m7v1ab", "decidedByName": "ann", "note": "lowered to 200",
          "decisionId": "dec_01jf3m8q2z7x9k4w5v6t8r1n0p3s", "agent": "support-bot", "release": "v7",
          "runId": "4bf92f3577b34da6a3ce929d0e0e4736", "sessionId": "s-1", "principalId": "u-17", "tool": "payments.refund",
          "server": "stripe", "policy": { "name": "refunds", "version": 3, "hash": "sha256:9f2c" },
          "rule": "large refunds go to finance", "message": "refund of 500 needs finance", "argsHash": "sha256:51ab",
          "evidence": {
            "args": { "amount": 500, "card": "[REDACTED]" },
            "context": { "reason": "customer was double charged", "confidence": 0.9 },
            "run": { "steps": [ { "name": "chat gpt-4o", "kind": "llm", "status": "ok", "durationMs": 1200.5, "costUsd": 0.00975 },
                                { "name": "crm.get_orders", "kind": "tool", "status": "error", "durationMs": 310, "costUsd": null } ],
                     "costUsd": 0.00975, "durationMs": 5210, "stepCount": 2 },
            "reason": "customer was double charged"
          },
          "approvedArgs": { "amount": 200 }, "approvedArgsHash": "sha256:77cd",
          "token": "rat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "tokenExpiresAt": "2026-11-22T12:13:30.5Z",
          "aFieldFromANewerServer": true
        }
        """;

    private static (ReinClient Client, CannedHandler Handler) Canned(string body, HttpStatusCode status = HttpStatusCode.OK)
    {
        var handler = new CannedHandler(status, body, "application/json");
        return (CannedHandler.Client(handler), handler);
    }

    [Fact]
    public async Task GetAsync_ContractExample_ReadsEveryField()
    {
        var (client, handler) = Canned(ApprovalJson);
        using var _ = client;

        var approval = await client.Approvals.GetAsync("apr_01jf3m8q2z7x9k4w5v6t8r1n0p", Ct);

        Assert.Equal(HttpMethod.Get, handler.LastRequest!.Method);
        Assert.Equal("/api/v1/approvals/apr_01jf3m8q2z7x9k4w5v6t8r1n0p", handler.LastRequest.RequestUri!.PathAndQuery);
        Assert.Equal(ApprovalStatuses.Approved, approval.Status);
        Assert.Equal(ApprovalOutcomes.Modified, approval.Outcome);
        Assert.False(approval.IsPending);
        Assert.Equal("finance", approval.Queue);
        Assert.Equal(ApprovalSeverities.High, approval.Severity);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 12, 15, 0, TimeSpan.Zero), approval.ExpiresAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 12, 3, 30, 500, TimeSpan.Zero), approval.DecidedAt);
        Assert.Equal(("k3x9q2m7v1ab", "ann", "lowered to 200"), (approval.DecidedBy, approval.DecidedByName, approval.Note));
        Assert.Equal(("support-bot", "v7", "s-1", "u-17", "payments.refund", "stripe"), (approval.Agent, approval.Release, approval.SessionId, approval.PrincipalId, approval.Tool, approval.Server));
        Assert.Equal(new PolicyReference("refunds", 3, "sha256:9f2c"), approval.Policy);
        Assert.Equal("large refunds go to finance", approval.Rule);
        Assert.Equal("[REDACTED]", approval.Evidence!.Args!.Value.GetProperty("card").GetString());
        Assert.Equal("customer was double charged", approval.Evidence.Reason!.Value.GetString());
        var run = approval.Evidence.Run!;
        Assert.Equal(2, run.StepCount);
        Assert.Equal(0.00975m, run.CostUsd);
        Assert.Equal(new ApprovalRunStep("crm.get_orders", "tool", "error", 310, null), run.Steps[1]);
        Assert.Equal(200, approval.ApprovedArgs!.Value.GetProperty("amount").GetInt32());
        Assert.Equal("sha256:77cd", approval.ApprovedArgsHash);
        Assert.StartsWith("rat_", approval.Token, StringComparison.Ordinal);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 12, 13, 30, 500, TimeSpan.Zero), approval.TokenExpiresAt);
    }

    [Fact]
    public async Task GetAsync_PendingRequestSeenByAViewer_HasNoDecisionAndNoToken()
    {
        var (client, _) = Canned("""
            {"id":"apr_1","status":"pending","outcome":null,"queue":"default","severity":"medium","createdAt":"2026-11-22T12:00:00Z",
             "expiresAt":"2026-11-22T12:15:00Z","decidedAt":null,"decidedBy":null,"note":null,"decisionId":"dec_1","agent":"a",
             "tool":"t","argsHash":"sha256:1","evidence":{"args":{},"context":null,"run":null,"reason":null},"approvedArgs":null}
            """);
        using var _ = client;

        var approval = await client.Approvals.GetAsync("apr_1", Ct);

        Assert.True(approval.IsPending);
        Assert.Null(approval.Outcome);
        Assert.Null(approval.DecidedAt);
        Assert.Null(approval.Token);
        Assert.Null(approval.ApprovedArgs);
        Assert.Null(approval.Evidence!.Run);
    }

    [Fact]
    public async Task ListAsync_FiltersAndCursor_GoInTheQueryAndThePageIsRead()
    {
        var (client, handler) = Canned("""
            {"items":[{"id":"apr_1","status":"pending","outcome":null,"queue":"finance","severity":"critical",
              "createdAt":"2026-11-22T12:00:00Z","expiresAt":"2026-11-22T12:15:00Z","decidedAt":null,"decidedBy":null,
              "agent":"support-bot","runId":"r-1","tool":"payments.refund","rule":"large refunds go to finance",
              "message":"refund of 500 needs finance","argsHash":"sha256:51ab"}],"next":"3.1795000000000.apr_1"}
            """);
        using var _ = client;

        var page = await client.Approvals.ListAsync(new ApprovalQuery { Status = ApprovalStatuses.Pending, Queue = "finance ops" }, "c/1", 10, Ct);

        Assert.Equal("/api/v1/approvals?status=pending&queue=finance%20ops&cursor=c%2F1&limit=10", handler.LastRequest!.RequestUri!.PathAndQuery);
        var item = Assert.Single(page.Items);
        Assert.Equal(("apr_1", ApprovalSeverities.Critical, "payments.refund", "refund of 500 needs finance"), (item.Id, item.Severity, item.Tool, item.Message));
        Assert.Equal("3.1795000000000.apr_1", page.Next);
    }

    [Fact]
    public async Task ApproveAsync_WithModifiedArguments_SendsTheNoteAndTheArguments()
    {
        var (client, handler) = Canned(ApprovalJson);
        using var _ = client;

        var approval = await client.Approvals.ApproveAsync("apr_1", "lowered to 200", new JsonObject { ["amount"] = 200 }, Ct);

        Assert.Equal(HttpMethod.Post, handler.LastRequest!.Method);
        Assert.Equal("/api/v1/approvals/apr_1/approve", handler.LastRequest.RequestUri!.PathAndQuery);
        Assert.Equal("""{"note":"lowered to 200","args":{"amount":200}}""", handler.LastBody);
        Assert.Equal(ApprovalOutcomes.Modified, approval.Outcome);
    }

    [Fact]
    public async Task ApproveAsync_AsProposedWithoutANote_SendsAnEmptyObject()
    {
        var (client, handler) = Canned(ApprovalJson);
        using var _ = client;

        await client.Approvals.ApproveAsync("apr_1", cancellationToken: Ct);

        Assert.Equal("{}", handler.LastBody);
    }

    [Fact]
    public async Task RejectAsync_SendsTheNote()
    {
        var (client, handler) = Canned(ApprovalJson);
        using var _ = client;

        await client.Approvals.RejectAsync("apr_1", "not this customer", Ct);

        Assert.Equal("/api/v1/approvals/apr_1/reject", handler.LastRequest!.RequestUri!.PathAndQuery);
        Assert.Equal("""{"note":"not this customer"}""", handler.LastBody);
    }

    [Fact]
    public async Task ApproveAsync_NotPending_ThrowsTheConflictWithItsDetail()
    {
        var (client, _) = Canned("""{"title":"Conflict","status":409,"detail":"request apr_1 is rejected, not pending; it was decided at 2026-11-22 12:03:30Z"}""", HttpStatusCode.Conflict);
        using var _ = client;

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.Approvals.ApproveAsync("apr_1", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Conflict, e.StatusCode);
        Assert.StartsWith("request apr_1 is rejected, not pending", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatsAsync_ContractExample_ReadsQueuesAndTotals()
    {
        var (client, handler) = Canned("""
            {"since":"2026-11-21T12:00:00Z",
             "byQueue":[{"queue":"finance","requests":4,"pending":1,"approved":1,"modified":1,"rejected":0,"expired":1,"timeToDecisionMs":{"p50":1500,"p95":2900.5}}],
             "totals":{"requests":4,"pending":1,"approved":1,"modified":1,"rejected":0,"expired":1,"timeToDecisionMs":{"p50":1500,"p95":2900.5}}}
            """);
        using var _ = client;

        var stats = await client.Approvals.StatsAsync(TimeSpan.FromDays(7), Ct);

        Assert.Equal("/api/v1/approvals/stats?since=7d", handler.LastRequest!.RequestUri!.PathAndQuery);
        Assert.Equal(new ApprovalQueueStats("finance", 4, 1, 1, 1, 0, 1, new ApprovalDecisionTimes(1500, 2900.5)), Assert.Single(stats.ByQueue));
        Assert.Null(stats.Totals.Queue);
        Assert.Equal(4, stats.Totals.Requests);
    }

    [Theory]
    [InlineData(30 * 60_000, "30m")]
    [InlineData(4 * 3_600_000, "4h")]
    [InlineData(7 * 86_400_000L, "7d")]
    [InlineData(90_000, "90s")]
    [InlineData(1500, "1500ms")]
    public async Task SetQueueAsync_Expiry_IsSentAsADurationTheServerReads(long milliseconds, string expected)
    {
        var (client, handler) = Canned("""{"name":"finance","expiry":"30m","createdAt":"2026-11-22T12:00:00Z","updatedAt":"2026-11-22T12:00:00Z"}""");
        using var _ = client;

        await client.Approvals.SetQueueAsync("finance", TimeSpan.FromMilliseconds(milliseconds), Ct);

        Assert.Equal(HttpMethod.Put, handler.LastRequest!.Method);
        Assert.Equal("/api/v1/approvals/queues/finance", handler.LastRequest.RequestUri!.PathAndQuery);
        Assert.Equal($$"""{"expiry":"{{expected}}"}""", handler.LastBody);
    }

    [Fact]
    public async Task SetQueueAsync_NoExpiry_SendsNoneSoTheDefaultApplies()
    {
        var (client, handler) = Canned("""{"name":"finance","expiry":null,"createdAt":"2026-11-22T12:00:00Z","updatedAt":"2026-11-22T12:00:00Z"}""");
        using var _ = client;

        var queue = await client.Approvals.SetQueueAsync("finance", null, Ct);

        Assert.Equal("{}", handler.LastBody);
        Assert.Null(queue.Expiry);
    }

    [Fact]
    public async Task ListQueuesAsync_ReadsTheItems()
    {
        var (client, _) = Canned("""{"items":[{"name":"finance","expiry":"30m","createdAt":"2026-11-22T12:00:00Z","updatedAt":"2026-11-22T12:05:00Z"}],"next":null}""");
        using var _ = client;

        var queues = await client.Approvals.ListQueuesAsync(Ct);

        Assert.Equal(("finance", "30m"), (Assert.Single(queues).Name, queues[0].Expiry));
    }

    [Fact]
    public async Task SetWebhookAsync_QueueWithASlash_IsOnePathSegmentAndTheSecretIsSent()
    {
        var (client, handler) = Canned("""{"queue":"eu/finance","url":"https://hooks.example.com/x","createdAt":"2026-11-22T12:00:00Z","updatedAt":"2026-11-22T12:00:00Z"}""");
        using var _ = client;

        var webhook = await client.Approvals.SetWebhookAsync("eu/finance", new Uri("https://hooks.example.com/x"), "0123456789abcdef0123", Ct);

        Assert.Equal("/api/v1/approvals/queues/eu%2Ffinance/webhook", handler.LastRequest!.RequestUri!.PathAndQuery);
        Assert.Equal("""{"url":"https://hooks.example.com/x","secret":"0123456789abcdef0123"}""", handler.LastBody);
        Assert.Equal("eu/finance", webhook.Queue);
    }

    [Fact]
    public async Task DecideAsync_WithApprovalToken_SendsItInTheBody()
    {
        var (client, handler) = Canned("""{"decisionId":"d-2","effect":"allow","reasons":[{"rule":"approval","message":"approved as apr_1 by ann"}]}""");
        using var _ = client;

        var decision = await client.Gate.DecideAsync(new GateRequest { Agent = "a", Tool = "t", Args = new JsonObject { ["amount"] = 200 }, ApprovalToken = "rat_x" }, Ct);

        Assert.Equal("""{"agent":"a","tool":"t","args":{"amount":200},"approvalToken":"rat_x"}""", handler.LastBody);
        Assert.Equal("approval", Assert.Single(decision.Reasons).Rule);
    }

    [Fact]
    public async Task DecideAsync_RequireApproval_ReadsTheRequestItOpened()
    {
        var (client, _) = Canned("""
            {"decisionId":"d-1","effect":"require_approval","reasons":[{"rule":"large refunds go to finance","message":"m"}],
             "approval":{"requestId":"apr_1","status":"pending","queue":"finance","severity":"high","expiresAt":"2026-11-22T12:15:00Z",
                         "argsHash":"sha256:51ab","route":"finance"}}
            """);
        using var _ = client;

        var decision = await client.Gate.DecideAsync(new GateRequest { Agent = "a", Tool = "t" }, Ct);

        var approval = decision.Approval!;
        Assert.Equal(("apr_1", ApprovalStatuses.Pending, "finance", ApprovalSeverities.High, "finance", "sha256:51ab"), (approval.RequestId, approval.Status, approval.Queue, approval.Severity, approval.Route, approval.ArgsHash));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 12, 15, 0, TimeSpan.Zero), approval.ExpiresAt);
    }

    [Fact]
    public async Task DecideAsync_RequireApprovalFromAnOlderServer_HasNoRequest()
    {
        var (client, _) = Canned("""{"decisionId":"d-1","effect":"require_approval","reasons":[],"approval":{"route":null,"argsHash":"sha256:51ab"}}""");
        using var _ = client;

        var decision = await client.Gate.DecideAsync(new GateRequest { Agent = "a", Tool = "t" }, Ct);

        Assert.Null(decision.Approval!.RequestId);
        Assert.Null(decision.Approval.Queue);
    }

    [Fact]
    public async Task CreateKeyAsync_WithQueues_SendsThemAndReadsThemBack()
    {
        var (client, handler) = Canned("""
            {"key":{"id":"k3x9q2m7v1ab","projectId":"default","name":"finance-approver","role":"approver","state":"active",
             "createdAt":"2026-11-22T12:00:00Z","createdBy":"k0","expiresAt":null,"revokedAt":null,"revokedBy":null,"lastUsedAt":null,
             "queues":["finance","ops"]},"apiKey":"rein_k3x9q2m7v1ab_x"}
            """, HttpStatusCode.Created);
        using var _ = client;

        var created = await client.Keys.CreateAsync("finance-approver", KeyRoles.Approver, null, ["finance", "ops"], Ct);

        Assert.Equal("""{"name":"finance-approver","role":"approver","queues":["finance","ops"]}""", handler.LastBody);
        Assert.Equal(["finance", "ops"], created.Key.Queues);
    }

    [Fact]
    public async Task CreateKeyAsync_WithoutQueues_SendsNoQueuesField()
    {
        var (client, handler) = Canned("""
            {"key":{"id":"k3x9q2m7v1ab","projectId":"default","name":"bot","role":"agent","state":"active",
             "createdAt":"2026-11-22T12:00:00Z","createdBy":"k0","expiresAt":null,"revokedAt":null,"revokedBy":null,"lastUsedAt":null},
             "apiKey":"rein_k3x9q2m7v1ab_x"}
            """, HttpStatusCode.Created);
        using var _ = client;

        var created = await client.Keys.CreateAsync("bot", KeyRoles.Agent, cancellationToken: Ct);

        Assert.Equal("""{"name":"bot","role":"agent"}""", handler.LastBody);
        Assert.Null(created.Key.Queues);
    }
}
