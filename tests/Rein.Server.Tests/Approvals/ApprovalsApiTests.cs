using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Rein.Testing;
using static Rein.Server.Tests.Approvals.ApprovalHarness;

namespace Rein.Server.Tests.Approvals;

/// <summary>The approval loop through HTTP against a real host, on SQLite and on PostgreSQL: gate, request, wait,
/// decision, token, one allowed call.</summary>
public abstract partial class ApprovalsApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<string?> DatabaseAsync();

    private async Task<ApprovalHarness> StartAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        await ApprovalHarness.StartAsync(await DatabaseAsync(), settings);

    private static string Run() => Guid.NewGuid().ToString("N");

    private static string Reason(JsonElement decision) => decision.GetProperty("reasons")[0].GetProperty("rule").GetString()!;

    private static string Message(JsonElement decision) => decision.GetProperty("reasons")[0].GetProperty("message").GetString()!;

    private static string Text(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    [Fact]
    public async Task Gate_EnforcedRequireApproval_OpensARequestInTheRouteQueueWithSeverityExpiryAndEvidence()
    {
        await using var h = await StartAsync();
        var run = Run();
        var decision = await h.AskAsync(Refund(500, run));

        Assert.Equal("require_approval", Text(decision, "effect"));
        var approval = decision.GetProperty("approval");
        var id = Text(approval, "requestId");
        Assert.Matches("^apr_[0-9a-z]{26}$", id);
        Assert.Equal("pending", Text(approval, "status"));
        Assert.Equal("finance", Text(approval, "queue"));
        Assert.Equal("finance", Text(approval, "route"));
        Assert.Equal("high", Text(approval, "severity"));
        Assert.Equal(h.Clock.GetUtcNow().AddMinutes(30), approval.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.StartsWith("sha256:", Text(approval, "argsHash"), StringComparison.Ordinal);

        var request = await h.GetAsync(id);
        Assert.Equal(Text(decision, "decisionId"), Text(request, "decisionId"));
        Assert.Equal(("refund-bot", "payments.refund", run), (Text(request, "agent"), Text(request, "tool"), Text(request, "runId")));
        Assert.Equal(("refunds", 1), (Text(request.GetProperty("policy"), "name"), request.GetProperty("policy").GetProperty("version").GetInt32()));
        Assert.Equal("large refunds go to finance", Text(request, "rule"));
        Assert.Equal("refund of 500 needs finance", Text(request, "message"));
        var evidence = request.GetProperty("evidence");
        Assert.Equal(500, evidence.GetProperty("args").GetProperty("amount").GetInt32());
        // Redacted as the policy asks, as everything stored is.
        Assert.Equal("[REDACTED]", Text(evidence.GetProperty("args"), "card"));
        Assert.Equal("the customer was charged twice", Text(evidence, "reason"));
        Assert.Equal(0.9, evidence.GetProperty("context").GetProperty("confidence").GetDouble());
        Assert.False(request.TryGetProperty("token", out _));
    }

    [Fact]
    public async Task Gate_RequireApprovalInWarnModeOrAllowedCall_OpensNoRequest()
    {
        await using var h = await StartAsync();
        Assert.False((await h.AskAsync(Refund(20, Run()))).TryGetProperty("approval", out var none) && none.ValueKind != JsonValueKind.Null);
        await h.Gate.PushAsync(ApprovalPolicies.Refunds.Replace("default: deny", "mode: warn\ndefault: deny", StringComparison.Ordinal));

        var warned = await h.AskAsync(Refund(500, Run()));
        Assert.Equal("allow", Text(warned, "effect"));
        Assert.Equal(JsonValueKind.Null, warned.GetProperty("approval").ValueKind);
        var inbox = await h.Viewer.GetFromJsonAsync<JsonElement>("/api/v1/approvals", Ct);
        Assert.Equal(0, inbox.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Expiry_ComesFromThePolicyElseTheQueueElseTheDefault()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Approvals:DefaultExpiry"] = "20m" });
        await h.Gate.PushAsync(ApprovalPolicies.Ops);
        var set = await h.Admin.PutAsJsonAsync("/api/v1/approvals/queues/ops", new { expiry = "45m" }, Ct);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal("45m", Text(await set.Content.ReadFromJsonAsync<JsonElement>(Ct), "expiry"));
        (await h.Admin.PutAsJsonAsync("/api/v1/approvals/queues/finance", new { expiry = "45m" }, Ct)).EnsureSuccessStatusCode();
        var now = h.Clock.GetUtcNow();

        var byDefault = (await h.AskAsync(new { agent = "ops-bot", tool = "db.delete" })).GetProperty("approval");
        Assert.Equal(("default", "medium"), (Text(byDefault, "queue"), Text(byDefault, "severity")));
        Assert.Equal(JsonValueKind.Null, byDefault.GetProperty("route").ValueKind);
        Assert.Equal(now.AddMinutes(20), byDefault.GetProperty("expiresAt").GetDateTimeOffset());

        var byQueue = (await h.AskAsync(new { agent = "ops-bot", tool = "db.wipe" })).GetProperty("approval");
        Assert.Equal(("ops", "critical"), (Text(byQueue, "queue"), Text(byQueue, "severity")));
        Assert.Equal(now.AddMinutes(45), byQueue.GetProperty("expiresAt").GetDateTimeOffset());

        var byPolicy = (await h.AskAsync(Refund(500, null))).GetProperty("approval");
        Assert.Equal(now.AddMinutes(30), byPolicy.GetProperty("expiresAt").GetDateTimeOffset());

        var queues = await h.Viewer.GetFromJsonAsync<JsonElement>("/api/v1/approvals/queues", Ct);
        Assert.Equal(["finance", "ops"], queues.GetProperty("items").EnumerateArray().Select(q => Text(q, "name")));
    }

    [Fact]
    public async Task Loop_WaitApproveTokenAllowsOnce_ReplayRefused()
    {
        // Waiters re-read only every minute: the waiter must be woken by the decision itself.
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Approvals:NotifyPollInterval"] = "1m" });
        var run = Run();
        var id = await h.OpenAsync(run);

        var waiting = h.GetAsync(id, h.Agent, "30s");
        await Task.Delay(300, Ct);
        Assert.False(waiting.IsCompleted);
        var approved = await h.ApproveAsync(id, "refund confirmed with the customer");
        var decided = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(("approved", "approved"), (Text(approved, "status"), Text(approved, "outcome")));
        // The approver's answer never carries the token; only the waiting agent's does.
        Assert.False(approved.TryGetProperty("token", out _));

        var woken = await waiting.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(decided.Elapsed < TimeSpan.FromSeconds(1), $"the waiter woke {decided.Elapsed.TotalMilliseconds:0} ms after the approval");
        Assert.Equal("approved", Text(woken, "status"));
        Assert.Equal(h.ApproverName, Text(woken, "decidedByName"));
        Assert.Equal("refund confirmed with the customer", Text(woken, "note"));
        var token = Text(woken, "token");
        Assert.Matches("^rat_[A-Za-z0-9_-]{43}$", token);
        Assert.Equal(h.Clock.GetUtcNow().AddMinutes(10), woken.GetProperty("tokenExpiresAt").GetDateTimeOffset());
        Assert.Equal(Text(woken, "argsHash"), Text(woken, "approvedArgsHash"));
        Assert.False((await h.GetAsync(id, h.Viewer)).TryGetProperty("token", out _));
        Assert.False((await h.GetAsync(id, h.Admin)).TryGetProperty("token", out _));

        var allowed = await h.AskAsync(Refund(500, run, token));
        Assert.Equal("allow", Text(allowed, "effect"));
        Assert.Equal("approval", Reason(allowed));
        Assert.Equal($"approved as {id} by {h.ApproverName}", Message(allowed));

        var replay = await h.AskAsync(Refund(500, run, token));
        Assert.Equal("deny", Text(replay, "effect"));
        Assert.Equal("approval.invalid_token", Reason(replay));
        Assert.Contains("already used", Message(replay), StringComparison.Ordinal);
        Assert.Contains(Text(allowed, "decisionId"), Message(replay), StringComparison.Ordinal);
        // Used: no longer given out.
        Assert.False((await h.GetAsync(id, h.Agent)).TryGetProperty("token", out _));
    }

    [Fact]
    public async Task Token_UnknownOrMalformed_DeniedOr400()
    {
        await using var h = await StartAsync();
        var unknown = await h.AskAsync(Refund(500, Run(), "rat_" + new string('A', 43)));
        Assert.Equal(("deny", "approval.invalid_token"), (Text(unknown, "effect"), Reason(unknown)));
        Assert.Contains("unknown", Message(unknown), StringComparison.Ordinal);

        var malformed = await h.Agent.PostAsJsonAsync("/api/v1/gate", Refund(500, Run(), "rat_short"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("approvalToken", await malformed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_OtherArgumentsRunOrTool_RefusedEachWithItsReasonAndNotUsedUp()
    {
        await using var h = await StartAsync();
        var run = Run();
        var id = await h.OpenAsync(run);
        await h.ApproveAsync(id);
        var token = await h.TokenAsync(id);

        var otherArgs = await h.AskAsync(Refund(501, run, token));
        Assert.Equal(("deny", "approval.invalid_token"), (Text(otherArgs, "effect"), Reason(otherArgs)));
        Assert.Contains("other arguments", Message(otherArgs), StringComparison.Ordinal);

        var otherRun = await h.AskAsync(Refund(500, Run(), token));
        Assert.Equal(("deny", "approval.invalid_token"), (Text(otherRun, "effect"), Reason(otherRun)));
        Assert.Contains("another run", Message(otherRun), StringComparison.Ordinal);

        var otherTool = await h.AskAsync(Refund(500, run, token, tool: "payments.refund_v2"));
        Assert.Equal(("deny", "approval.invalid_token"), (Text(otherTool, "effect"), Reason(otherTool)));
        Assert.Contains("another tool", Message(otherTool), StringComparison.Ordinal);

        // None of the refusals used the token: the approved call still goes through, once.
        Assert.Equal("allow", Text(await h.AskAsync(Refund(500, run, token)), "effect"));
    }

    [Fact]
    public async Task Token_AfterItsLifetime_RefusedAsExpired()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Approvals:TokenLifetime"] = "2m" });
        var run = Run();
        var id = await h.OpenAsync(run);
        await h.ApproveAsync(id);
        var token = await h.TokenAsync(id);

        h.Clock.Advance(TimeSpan.FromMinutes(2));
        var late = await h.AskAsync(Refund(500, run, token));
        Assert.Equal(("deny", "approval.invalid_token"), (Text(late, "effect"), Reason(late)));
        Assert.Contains("expired", Message(late), StringComparison.Ordinal);
        Assert.False((await h.GetAsync(id, h.Agent)).TryGetProperty("token", out _));
    }

    [Fact]
    public async Task Token_AfterThePolicyVersionChanged_RefusedAsPolicyChanged()
    {
        await using var h = await StartAsync();
        var run = Run();
        var id = await h.OpenAsync(run);
        await h.ApproveAsync(id);
        var token = await h.TokenAsync(id);

        await h.Gate.PushAsync(ApprovalPolicies.Refunds.Replace("when: args.amount > 50", "when: args.amount > 40", StringComparison.Ordinal));
        var changed = await h.AskAsync(Refund(500, run, token));
        Assert.Equal(("deny", "approval.invalid_token"), (Text(changed, "effect"), Reason(changed)));
        Assert.Contains("policy changed", Message(changed), StringComparison.Ordinal);
        Assert.Contains("version 2 is active now", Message(changed), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_KilledTool_StaysDeniedAndTheTokenUnused()
    {
        await using var h = await StartAsync();
        var run = Run();
        var id = await h.OpenAsync(run);
        await h.ApproveAsync(id);
        var token = await h.TokenAsync(id);

        await h.Gate.KillAsync("tool", "payments.refund");
        var killed = await h.AskAsync(Refund(500, run, token));
        Assert.Equal(("deny", "kill.tool"), (Text(killed, "effect"), Reason(killed)));
        // The token is not even looked at: the kill switch is the whole answer.
        Assert.Equal(1, killed.GetProperty("reasons").GetArrayLength());
        var refused = await h.AskAsync(Refund(500, run, token, tool: "accounts.close"));
        Assert.Equal(("deny", "approval.invalid_token"), (Text(refused, "effect"), Reason(refused)));
        await h.Gate.UnkillAsync("tool", "payments.refund");

        Assert.Equal("allow", Text(await h.AskAsync(Refund(500, run, token)), "effect"));
    }

    [Fact]
    public async Task Token_PolicyDeniesTheCallOutright_StaysDeniedAndTheTokenUnused()
    {
        await using var h = await StartAsync();
        await h.Gate.PushAsync(ApprovalPolicies.Refunds.Replace("approval_expiry: 30m", "approval_expiry: 30m\nbudgets: { max_identical_calls: 2, on_exceed: deny }", StringComparison.Ordinal));
        var run = Run();
        var id = await h.OpenAsync(run);
        Assert.Equal(id, await h.OpenAsync(run));
        await h.ApproveAsync(id);
        var token = await h.TokenAsync(id);

        // The third identical call is past the budget: a person's approval does not override a deny.
        var denied = await h.AskAsync(Refund(500, run, token));
        Assert.Equal("deny", Text(denied, "effect"));
        var rules = denied.GetProperty("reasons").EnumerateArray().Select(r => Text(r, "rule")).ToList();
        Assert.Equal(["budget.max_identical_calls", "approval.not_used"], rules);
        Assert.Equal(token, await h.TokenAsync(id));
    }

    [Fact]
    public async Task Modify_TokenBindsToTheModifiedArguments_AnswerReturnsThem_OriginalRefused()
    {
        await using var h = await StartAsync();
        var run = Run();
        var id = await h.OpenAsync(run);
        var lowered = new { amount = 80, currency = "EUR", card = "card_ref_4242" };

        var modified = await h.ApproveAsync(id, "only the duplicate charge", lowered);
        Assert.Equal(("approved", "modified"), (Text(modified, "status"), Text(modified, "outcome")));
        Assert.Equal(80, modified.GetProperty("approvedArgs").GetProperty("amount").GetInt32());
        Assert.NotEqual(Text(modified, "argsHash"), Text(modified, "approvedArgsHash"));

        var waited = await h.GetAsync(id, h.Agent, "1s");
        Assert.Equal(80, waited.GetProperty("approvedArgs").GetProperty("amount").GetInt32());
        var token = Text(waited, "token");

        var original = await h.AskAsync(Refund(500, run, token));
        Assert.Equal(("deny", "approval.invalid_token"), (Text(original, "effect"), Reason(original)));
        Assert.Contains("other arguments", Message(original), StringComparison.Ordinal);

        // 80 still needs approval by the policy; the token is what allows it, once.
        var performed = await h.AskAsync(Refund(0, run, token, args: lowered));
        Assert.Equal(("allow", "approval"), (Text(performed, "effect"), Reason(performed)));
        Assert.Equal("require_approval", Text(await h.AskAsync(Refund(0, Run(), args: lowered)), "effect"));
    }

    [Fact]
    public async Task Modify_ArgumentsEqualToTheProposedOnes_IsAPlainApproval()
    {
        await using var h = await StartAsync();
        var id = await h.OpenAsync(Run());
        // Same arguments in another key order.
        var same = JsonDocument.Parse("""{"card":"4111111111111111","currency":"EUR","amount":500}""").RootElement;
        Assert.Equal("approved", Text(await h.ApproveAsync(id, args: same), "outcome"));
    }

    [Theory]
    [InlineData("""{"amount":80,"currency":"EUR","card":"[REDACTED]"}""", "args.card")]
    [InlineData("""{"amount":80,"currency":"EUR","card":"4111111111111111","memo":["ok","key [REDACTED:api_key]"]}""", "args.memo[1]")]
    public async Task Modify_ArgumentsStillHoldingARedactionPlaceholder_400NamingThePathAndNothingChanged(string args, string path)
    {
        await using var h = await StartAsync();
        var id = await h.OpenAsync(Run());
        // The evidence shows the card redacted; approving it back as a value would make the agent act on the placeholder.
        var response = await h.DecideAsync(id, "approve", new { args = JsonDocument.Parse(args).RootElement });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains(path + " holds a redacted placeholder", problem, StringComparison.Ordinal);
        Assert.Equal("pending", Text(await h.GetAsync(id), "status"));
        Assert.Equal("modified", Text(await h.ApproveAsync(id, args: new { amount = 80, currency = "EUR", card = "card_ref_4242" }), "outcome"));
    }

    [Fact]
    public async Task Modify_ArgumentsHoldingASecret_400NamingThePathAndKind_NothingStored()
    {
        await using var h = await StartAsync();
        var id = await h.OpenAsync(Run());
        var key = "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_Modify";

        var response = await h.DecideAsync(id, "approve", new { args = new { amount = 80, currency = "EUR", card = "card_ref_4242", memo = "use " + key } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("args.memo holds a secret (openai_key)", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var request = await h.GetAsync(id);
        Assert.Equal("pending", Text(request, "status"));
        Assert.DoesNotContain(key, request.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(0, (await h.AuditAsync("approval.modified")).GetArrayLength());
    }

    [Fact]
    public async Task Decide_NoteHoldingASecret_StoredAndAuditedRedacted()
    {
        await using var h = await StartAsync();
        var id = await h.OpenAsync(Run());
        var password = "Hnt99rQ7vLx-note";

        var approved = await h.ApproveAsync(id, note: $"ok, the admin password={password}");

        Assert.Equal("ok, the admin password=[REDACTED:password]", Text(approved, "note"));
        Assert.Equal("ok, the admin password=[REDACTED:password]", Text(await h.GetAsync(id), "note"));
        var audit = Assert.Single((await h.AuditAsync("approval.approved")).EnumerateArray());
        Assert.DoesNotContain(password, audit.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("[REDACTED:password]", audit.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reject_WaiterGetsRejectedWithoutToken_AndTheCallStillNeedsApproval()
    {
        await using var h = await StartAsync();
        var run = Run();
        var id = await h.OpenAsync(run);
        var waiting = h.GetAsync(id, h.Agent, "30s");

        var rejected = await h.RejectAsync(id, "not a duplicate");
        Assert.Equal(("rejected", "rejected"), (Text(rejected, "status"), Text(rejected, "outcome")));
        var woken = await waiting.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("rejected", Text(woken, "status"));
        Assert.Equal("not a duplicate", Text(woken, "note"));
        Assert.False(woken.TryGetProperty("token", out _));
        Assert.Equal("require_approval", Text(await h.AskAsync(Refund(500, run)), "effect"));
    }

    [Fact]
    public async Task Expiry_PendingBecomesExpiredOnTheClock_WaiterWokenAndDecidingIs409()
    {
        await using var h = await StartAsync();
        var id = await h.OpenAsync(Run());
        var waiting = h.GetAsync(id, h.Agent, "60s");
        await Task.Delay(200, Ct);

        h.Clock.Advance(TimeSpan.FromMinutes(29));
        await Task.Delay(300, Ct);
        Assert.False(waiting.IsCompleted);

        h.Clock.Advance(TimeSpan.FromMinutes(1));
        var woken = await waiting.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(("expired", "expired"), (Text(woken, "status"), Text(woken, "outcome")));
        Assert.Equal(h.Clock.GetUtcNow(), woken.GetProperty("decidedAt").GetDateTimeOffset());
        Assert.False(woken.TryGetProperty("token", out _));

        var late = await h.DecideAsync(id, "approve", new { note = "too late" });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("is expired", await late.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var audit = await h.AuditAsync("approval.expired");
        Assert.Equal(id, Text(audit[0], "objectId"));
        Assert.Equal("system", Text(audit[0], "actor"));
    }

    [Fact]
    public async Task Expiry_PastItsTimeButNotYetSwept_DecidingExpiresItAndAnswers409()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Approvals:ExpiryInterval"] = "10m" });
        var id = await h.OpenAsync(Run());
        h.Clock.Advance(TimeSpan.FromMinutes(30));

        var late = await h.DecideAsync(id, "approve", new { note = "too late" });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("expired", Text(await h.GetAsync(id), "status"));
        Assert.Single((await h.AuditAsync("approval.expired")).EnumerateArray());
    }

    [Fact]
    public async Task Roles_AgentAndViewerCannotDecide_ApproverLimitedToQueuesGets403OnOthers()
    {
        await using var h = await StartAsync();
        var id = await h.OpenAsync(Run());

        Assert.Equal(HttpStatusCode.Forbidden, (await h.DecideAsync(id, "approve", new { }, h.Agent)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await h.DecideAsync(id, "reject", new { }, h.Viewer)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await h.Agent.GetAsync("/api/v1/approvals", Ct)).StatusCode);

        using var opsOnly = await h.ApproverAsync("ops", "legal");
        var refused = await h.DecideAsync(id, "approve", new { }, opsOnly);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await refused.Content.ReadAsStringAsync(Ct);
        Assert.Contains("queue finance", problem, StringComparison.Ordinal);
        Assert.Contains("may decide the queues ops and legal", problem, StringComparison.Ordinal);
        Assert.Equal("pending", Text(await h.GetAsync(id), "status"));

        using var finance = await h.ApproverAsync("finance");
        Assert.Equal("approved", Text(await h.ApproveAsync(id, client: finance), "status"));
        // Admins decide every queue.
        Assert.Equal("rejected", Text(await h.RejectAsyncAs(h.Admin, await h.OpenAsync(Run())), "status"));
    }

    [Fact]
    public async Task Projects_AnotherProjectsRequest_IsNotFoundForReadingOrDeciding()
    {
        await using var h = await StartAsync();
        var id = await h.OpenAsync(Run());
        var project = await (await h.Admin.PostAsJsonAsync("/api/v1/projects", new { id = "elsewhere" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        using var other = h.Host.Client(Text(project, "apiKey"));

        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/v1/approvals/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.DecideAsync(id, "approve", new { }, other)).StatusCode);
        Assert.Equal(0, (await other.GetFromJsonAsync<JsonElement>("/api/v1/approvals", Ct)).GetProperty("items").GetArrayLength());
        Assert.Equal("pending", Text(await h.GetAsync(id), "status"));
    }

    [Fact]
    public async Task Keys_QueuesOnlyForApproverKeys_ShownOnTheKey()
    {
        await using var h = await StartAsync();
        var created = await h.Admin.PostAsJsonAsync("/api/v1/keys", new { name = "fin", role = "approver", queues = new[] { "finance", "finance", "ops" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("key");
        Assert.Equal(["finance", "ops"], key.GetProperty("queues").EnumerateArray().Select(q => q.GetString()));
        var listed = await h.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/keys/{Text(key, "id")}", Ct);
        Assert.Equal(2, listed.GetProperty("queues").GetArrayLength());

        var viewer = await h.Admin.PostAsJsonAsync("/api/v1/keys", new { name = "v", role = "viewer", queues = new[] { "finance" } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, viewer.StatusCode);
        Assert.Contains("queues", await viewer.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var tooMany = await h.Admin.PostAsJsonAsync("/api/v1/keys", new { name = "x", role = "approver", queues = Enumerable.Range(0, 101).Select(i => "q" + i) }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        var badName = await h.Admin.PostAsJsonAsync("/api/v1/keys", new { name = "x", role = "approver", queues = new[] { "fin\nance" } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.Contains("queues[0]", await badName.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decide_RequestNotPending_409NamingItsStatus()
    {
        await using var h = await StartAsync();
        var id = await h.OpenAsync(Run());
        await h.RejectAsync(id);

        var again = await h.DecideAsync(id, "approve", new { });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("is rejected, not pending", await again.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await h.DecideAsync("apr_00000000000000000000000000", "approve", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Viewer.GetAsync("/api/v1/approvals/not-an-id", Ct)).StatusCode);
    }

    [Fact]
    public async Task MaxWait_WaitOverTheBound_400NamingIt()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Approvals:MaxWait"] = "20s" });
        var id = await h.OpenAsync(Run());
        var response = await h.Agent.GetAsync($"/api/v1/approvals/{id}?wait=21s", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("wait", problem, StringComparison.Ordinal);
        Assert.Contains("Approvals:MaxWait", problem, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Agent.GetAsync($"/api/v1/approvals/{id}?wait=soon", Ct)).StatusCode);
        Assert.Equal("pending", Text(await h.GetAsync(id, h.Agent, "20s").WaitAsync(TimeSpan.FromSeconds(1), Ct).ContinueWith(_ => h.GetAsync(id), Ct).Unwrap(), "status"));
    }

    [Fact]
    public async Task MaxNoteLength_LongerNote_400NamingNoteAndNothingChanged()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Approvals:MaxNoteLength"] = "10" });
        var id = await h.OpenAsync(Run());
        var response = await h.DecideAsync(id, "approve", new { note = new string('n', 11) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("note", problem, StringComparison.Ordinal);
        Assert.Contains("Approvals:MaxNoteLength", problem, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.DecideAsync(id, "reject", new { note = new string('n', 11) })).StatusCode);

        Assert.Equal("pending", Text(await h.GetAsync(id), "status"));
        Assert.Empty((await h.AuditAsync("approval")).EnumerateArray());
        Assert.Equal("approved", Text(await h.ApproveAsync(id, new string('n', 10)), "status"));
    }

    [Fact]
    public async Task MaxArgsBytes_LargerModifiedArguments_413NamingArgsAndNothingChanged()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Approvals:MaxArgsBytes"] = "1024" });
        var id = await h.OpenAsync(Run());
        var response = await h.DecideAsync(id, "approve", new { args = new { amount = 80, memo = new string('m', 1024) } });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("args", problem, StringComparison.Ordinal);
        Assert.Contains("Approvals:MaxArgsBytes", problem, StringComparison.Ordinal);

        var huge = await h.Approver.PostAsync($"/api/v1/approvals/{id}/approve",
            new StringContent("{\"args\":{\"memo\":\"" + new string('m', 20_000) + "\"}}", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);

        Assert.Equal("pending", Text(await h.GetAsync(id), "status"));
        Assert.Empty((await h.AuditAsync("approval")).EnumerateArray());
        Assert.Equal("modified", Text(await h.ApproveAsync(id, args: new { amount = 80, memo = new string('m', 900) }), "outcome"));
    }

    [Theory]
    [InlineData("""{"args":[1,2]}""", "args")]
    [InlineData("""{"args":"amount=80"}""", "args")]
    [InlineData("""{"note":"ok","surprise":1}""", "surprise")]
    public async Task Approve_ArgumentsNotAnObjectOrUnknownField_400NamingTheFieldAndNothingChanged(string body, string field)
    {
        await using var h = await StartAsync();
        var id = await h.OpenAsync(Run());
        var response = await h.Approver.PostAsync($"/api/v1/approvals/{id}/approve", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal("pending", Text(await h.GetAsync(id), "status"));
    }

    [Fact]
    public async Task Audit_EveryHumanDecision_LoggedWithActorAndChangedFields()
    {
        await using var h = await StartAsync();
        var approved = await h.OpenAsync(Run());
        await h.ApproveAsync(approved, "fine");
        var modified = await h.OpenAsync(Run());
        await h.ApproveAsync(modified, args: new { amount = 80, currency = "EUR", card = "card_ref_4242" });
        var rejected = await h.OpenAsync(Run());
        await h.RejectAsync(rejected, "no");

        var approverId = Text((await h.GetAsync(approved)), "decidedBy");
        foreach (var (action, id) in new[] { ("approval.approved", approved), ("approval.modified", modified), ("approval.rejected", rejected) })
        {
            var entry = Assert.Single((await h.AuditAsync(action)).EnumerateArray());
            Assert.Equal((id, approverId, "approval"), (Text(entry, "objectId"), Text(entry, "actor"), Text(entry, "objectType")));
        }

        var details = JsonDocument.Parse(Text((await h.AuditAsync("approval.modified"))[0], "details")).RootElement;
        Assert.Equal(["$.amount", "$.card"], details.GetProperty("changedFields").EnumerateArray().Select(f => f.GetString()));
        var verify = await h.Admin.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);
        Assert.True(verify.GetProperty("valid").GetBoolean());
    }
}

internal static class ApprovalHarnessExtensions
{
    public static async Task<JsonElement> RejectAsyncAs(this ApprovalHarness h, HttpClient client, string id)
    {
        var response = await h.DecideAsync(id, "reject", new { note = "no" }, client);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}

public sealed class SqliteApprovalsApiTests : ApprovalsApiTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresApprovalsApiTests(PostgresCluster cluster) : ApprovalsApiTests
{
    protected override async Task<string?> DatabaseAsync() => await cluster.CreateDatabaseAsync();
}
