using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Rein.Client.Tests;

/// <summary>A real server with a policy that sends large refunds to <c>finance</c> and wires to <c>ops</c> (critical),
/// an agent's client, and an approver's client.</summary>
public sealed class ApprovalsFixture : IAsyncLifetime
{
    public const string Policy = """
        name: approvals
        agents: ["support-bot*"]
        mode: enforce
        default: deny
        rules:
          - name: small refunds
            tools: ["refund"]
            when: args.amount <= 50
            effect: allow
          - name: large refunds go to finance
            tools: ["refund"]
            when: args.amount > 50
            effect: require_approval
            route: finance
            message: "'refund of ' + string(args.amount) + ' needs finance'"
          - name: wires go to ops
            tools: ["wire"]
            effect: require_approval
            route: ops
            severity: critical
            message: "'wires need ops'"
        """;

    private readonly ReinServerFixture _rein = new();
    private ReinClient? _agent;
    private ReinClient? _approver;

    public ReinServerFixture Rein => _rein;

    public ReinClient Agent => _agent ?? throw new InvalidOperationException("The server has not started.");

    public ReinClient Approver => _approver ?? throw new InvalidOperationException("The server has not started.");

    public async ValueTask InitializeAsync()
    {
        await _rein.InitializeAsync();
        await _rein.Admin.Policies.PushAsync(Policy, "approvals.yaml", activate: true);
        var (_, agentKey) = await _rein.Server.CreateKeyAsync("support-bot", KeyRoles.Agent);
        var (_, approverKey) = await _rein.Server.CreateKeyAsync("ann", KeyRoles.Approver);
        _agent = _rein.ClientWith(agentKey);
        _approver = _rein.ClientWith(approverKey);
    }

    public async ValueTask DisposeAsync()
    {
        _agent?.Dispose();
        _approver?.Dispose();
        await _rein.DisposeAsync();
    }
}

/// <summary>The approval loop through the SDK against a real server: gate, request, wait, decide, token, allow once.</summary>
public sealed class ApprovalsClientTests(ApprovalsFixture approvals) : IClassFixture<ApprovalsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ReinClient Agent => approvals.Agent;

    private ReinClient Approver => approvals.Approver;

    private static GateRequest Refund(int amount, string runId, JsonObject? context = null) => new()
    {
        Agent = "support-bot",
        Tool = "refund",
        RunId = runId,
        Args = new JsonObject { ["amount"] = amount, ["currency"] = "EUR" },
        Context = context,
    };

    private static string NewRun() => Guid.NewGuid().ToString("N");

    private async Task<(GateRequest Request, string RequestId)> AskAsync(int amount = 500, JsonObject? context = null)
    {
        var request = Refund(amount, NewRun(), context);
        var decision = await Agent.Gate.DecideAsync(request, Ct);
        Assert.Equal(GateEffect.RequireApproval, decision.Effect);
        return (request, decision.Approval!.RequestId!);
    }

    [Fact]
    public async Task GateThenApprove_TheAgentsTokenAllowsTheCallExactlyOnce()
    {
        var request = Refund(500, NewRun());

        var decision = await Agent.Gate.DecideAsync(request, Ct);
        var asked = decision.Approval!;
        var pending = await Agent.Approvals.GetAsync(asked.RequestId!, Ct);
        var approved = await Approver.Approvals.ApproveAsync(asked.RequestId!, "looks right", cancellationToken: Ct);
        var waited = await Agent.Approvals.WaitAsync(asked.RequestId!, TimeSpan.FromSeconds(10), Ct);
        var allowed = await Agent.Gate.DecideAsync(request with { ApprovalToken = waited.Token }, Ct);
        var replayed = await Agent.Gate.DecideAsync(request with { ApprovalToken = waited.Token }, Ct);

        Assert.Equal(GateEffect.RequireApproval, decision.Effect);
        Assert.Matches("^apr_[0-9a-z]{26}$", asked.RequestId);
        Assert.Equal((ApprovalStatuses.Pending, "finance", ApprovalSeverities.Medium, "finance"), (asked.Status, asked.Queue, asked.Severity, asked.Route));
        Assert.True(pending.IsPending);
        Assert.Null(pending.Token);
        Assert.Equal(decision.DecisionId, pending.DecisionId);
        Assert.Equal((ApprovalStatuses.Approved, ApprovalOutcomes.Approved, "ann", "looks right"), (approved.Status, approved.Outcome, approved.DecidedByName, approved.Note));
        Assert.Null(approved.Token);
        Assert.Equal(ApprovalStatuses.Approved, waited.Status);
        Assert.Matches("^rat_[A-Za-z0-9_-]{43}$", waited.Token);
        Assert.True(waited.TokenExpiresAt > DateTimeOffset.UtcNow);
        Assert.Equal(GateEffect.Allow, allowed.Effect);
        Assert.Equal("approval", Assert.Single(allowed.Reasons).Rule);
        Assert.Contains(asked.RequestId!, allowed.Reasons[0].Message, StringComparison.Ordinal);
        Assert.Equal(GateEffect.Deny, replayed.Effect);
        Assert.Equal("approval.invalid_token", Assert.Single(replayed.Reasons).Rule);
        Assert.Null((await Agent.Approvals.GetAsync(asked.RequestId!, Ct)).Token);
    }

    [Fact]
    public async Task WaitAsync_ApprovedWhileWaiting_WakesWithinASecond()
    {
        var (_, id) = await AskAsync();

        var waiting = Agent.Approvals.WaitAsync(id, TimeSpan.FromSeconds(30), Ct);
        await Task.Delay(500, Ct);
        var clock = Stopwatch.StartNew();
        await Approver.Approvals.ApproveAsync(id, cancellationToken: Ct);
        var waited = await waiting;

        Assert.Equal(ApprovalStatuses.Approved, waited.Status);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task WaitAsync_NobodyDecides_ReturnsItPendingWhenTheWaitEnds()
    {
        var (_, id) = await AskAsync();
        var clock = Stopwatch.StartNew();

        var waited = await Agent.Approvals.WaitAsync(id, TimeSpan.FromSeconds(1), Ct);

        Assert.True(waited.IsPending);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ApproveAsync_WithModifiedArguments_TheTokenBindsToThemAlone()
    {
        var (request, id) = await AskAsync(500);

        var approved = await Approver.Approvals.ApproveAsync(id, "lowered to 200", new JsonObject { ["amount"] = 200, ["currency"] = "EUR" }, Ct);
        var waited = await Agent.Approvals.WaitAsync(id, TimeSpan.FromSeconds(10), Ct);
        var asProposed = await Agent.Gate.DecideAsync(request with { ApprovalToken = waited.Token }, Ct);
        var asApproved = await Agent.Gate.DecideAsync(request with { ApprovalToken = waited.Token, Args = JsonNode.Parse(waited.ApprovedArgs!.Value.GetRawText())!.AsObject() }, Ct);

        Assert.Equal(ApprovalOutcomes.Modified, approved.Outcome);
        Assert.Equal(200, waited.ApprovedArgs!.Value.GetProperty("amount").GetInt32());
        Assert.NotEqual(waited.ArgsHash, waited.ApprovedArgsHash);
        Assert.Equal(GateEffect.Deny, asProposed.Effect);
        Assert.Equal("approval.invalid_token", asProposed.Reasons[0].Rule);
        Assert.Equal(GateEffect.Allow, asApproved.Effect);
    }

    [Fact]
    public async Task RejectAsync_TheAgentSeesTheRejectionWithoutAToken()
    {
        var (_, id) = await AskAsync();

        var rejected = await Approver.Approvals.RejectAsync(id, "not this customer", Ct);
        var waited = await Agent.Approvals.WaitAsync(id, TimeSpan.FromSeconds(10), Ct);

        Assert.Equal((ApprovalStatuses.Rejected, ApprovalOutcomes.Rejected), (rejected.Status, rejected.Outcome));
        Assert.Equal(ApprovalStatuses.Rejected, waited.Status);
        Assert.Equal("not this customer", waited.Note);
        Assert.Null(waited.Token);
    }

    [Fact]
    public async Task ApproveAsync_AlreadyDecided_IsAConflictNamingItsStatus()
    {
        var (_, id) = await AskAsync();
        await Approver.Approvals.RejectAsync(id, cancellationToken: Ct);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => Approver.Approvals.ApproveAsync(id, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Conflict, e.StatusCode);
        Assert.Contains("rejected", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApproveAsync_AgentKey_IsForbidden()
    {
        var (_, id) = await AskAsync();

        var e = await Assert.ThrowsAsync<ReinApiException>(() => Agent.Approvals.ApproveAsync(id, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
    }

    [Fact]
    public async Task ApproveAsync_ApproverLimitedToAnotherQueue_IsForbiddenNamingTheQueue()
    {
        var (_, id) = await AskAsync();
        var created = await approvals.Rein.Admin.Keys.CreateAsync("ops-approver", KeyRoles.Approver, null, ["ops"], Ct);
        using var opsApprover = approvals.Rein.ClientWith(created.ApiKey);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => opsApprover.Approvals.ApproveAsync(id, cancellationToken: Ct));

        Assert.Equal(["ops"], created.Key.Queues);
        Assert.Equal(["ops"], (await approvals.Rein.Admin.Keys.GetAsync(created.Key.Id, Ct)).Queues);
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Contains("finance", e.Detail, StringComparison.Ordinal);
        Assert.True((await Agent.Approvals.GetAsync(id, Ct)).IsPending);
    }

    [Fact]
    public async Task CreateKeyAsync_QueuesForAnAgentKey_IsRefusedNamingTheField()
    {
        var e = await Assert.ThrowsAsync<ReinApiException>(() => approvals.Rein.Admin.Keys.CreateAsync("bot", KeyRoles.Agent, null, ["finance"], Ct));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("queues", e.Field);
    }

    [Fact]
    public async Task GetAsync_Evidence_HoldsTheArgumentsAndTheAgentsReason()
    {
        var (_, id) = await AskAsync(500, new JsonObject { ["reason"] = "customer was double charged", ["confidence"] = 0.9 });

        var approval = await Approver.Approvals.GetAsync(id, Ct);

        Assert.Equal(500, approval.Evidence!.Args!.Value.GetProperty("amount").GetInt32());
        Assert.Equal("customer was double charged", approval.Evidence.Reason!.Value.GetString());
        Assert.Equal(0.9, approval.Evidence.Context!.Value.GetProperty("confidence").GetDouble());
        Assert.Equal(("support-bot", "refund", "large refunds go to finance", "refund of 500 needs finance"), (approval.Agent, approval.Tool, approval.Rule, approval.Message));
        Assert.Equal("approvals", approval.Policy!.Name);
    }

    [Fact]
    public async Task ListAsync_Pending_PutsTheMostSevereFirst()
    {
        var (_, refund) = await AskAsync();
        var wire = (await Agent.Gate.DecideAsync(new GateRequest { Agent = "support-bot", Tool = "wire", RunId = NewRun(), Args = new JsonObject { ["to"] = "DE00" } }, Ct)).Approval!;

        var inbox = await Approver.Approvals.ListAllAsync(new ApprovalQuery { Status = ApprovalStatuses.Pending }, 500, Ct).ToListAsync(Ct);
        var finance = await Approver.Approvals.ListAllAsync(new ApprovalQuery { Status = ApprovalStatuses.Pending, Queue = "finance" }, 500, Ct).ToListAsync(Ct);

        Assert.Equal((ApprovalSeverities.Critical, "ops"), (wire.Severity, wire.Queue));
        var ids = inbox.Select(a => a.Id).ToList();
        Assert.True(ids.IndexOf(wire.RequestId!) < ids.IndexOf(refund), string.Join(", ", inbox.Select(a => $"{a.Id} {a.Severity}")));
        Assert.Contains(finance, a => a.Id == refund);
        Assert.DoesNotContain(finance, a => a.Id == wire.RequestId);
        Assert.All(finance, a => Assert.Equal(ApprovalStatuses.Pending, a.Status));
    }

    [Fact]
    public async Task ExportAsync_AfterAModification_HoldsTheDecisionWithWhatChanged()
    {
        var (_, id) = await AskAsync(700);
        await Approver.Approvals.ApproveAsync(id, "lowered", new JsonObject { ["amount"] = 300, ["currency"] = "EUR" }, Ct);

        var records = await Approver.Approvals.ExportAsync(TimeSpan.FromHours(1), Ct).ToListAsync(Ct);
        using var file = new MemoryStream();
        var written = await Approver.Approvals.ExportToAsync(file, TimeSpan.FromHours(1), Ct);

        var record = Assert.Single(records, r => r.RequestId == id);
        Assert.Equal((ApprovalOutcomes.Modified, "ann", "lowered", "refund"), (record.Outcome, record.DecidedBy, record.Note, record.Tool));
        Assert.Equal(["$.amount"], record.ChangedFields);
        Assert.Equal(700, record.ProposedArgs!.Value.GetProperty("amount").GetInt32());
        Assert.Equal(300, record.ApprovedArgs!.Value.GetProperty("amount").GetInt32());
        Assert.True(written >= records.Count);
        Assert.Contains(id, System.Text.Encoding.UTF8.GetString(file.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatsAsync_CountsTheQueuesRequestsByOutcome()
    {
        var (_, approved) = await AskAsync();
        var (_, rejected) = await AskAsync();
        await Approver.Approvals.ApproveAsync(approved, cancellationToken: Ct);
        await Approver.Approvals.RejectAsync(rejected, cancellationToken: Ct);

        var stats = await Approver.Approvals.StatsAsync(TimeSpan.FromHours(1), Ct);

        var finance = Assert.Single(stats.ByQueue, q => q.Queue == "finance");
        Assert.True(finance.Requests >= 2);
        Assert.True(finance.Approved >= 1);
        Assert.True(finance.Rejected >= 1);
        Assert.NotNull(finance.TimeToDecisionMs!.P50);
        Assert.True(stats.Totals.Requests >= finance.Requests);
    }

    [Fact]
    public async Task SetQueueAsync_ThenListQueues_HasTheExpiry()
    {
        var name = ReinServerFixture.NewName("queue");

        var set = await approvals.Rein.Admin.Approvals.SetQueueAsync(name, TimeSpan.FromMinutes(30), Ct);
        var queues = await Approver.Approvals.ListQueuesAsync(Ct);

        Assert.Equal((name, "30m"), (set.Name, set.Expiry));
        Assert.Equal("30m", Assert.Single(queues, q => q.Name == name).Expiry);
        var e = await Assert.ThrowsAsync<ReinApiException>(() => Approver.Approvals.SetQueueAsync(name, TimeSpan.FromMinutes(5), Ct));
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
    }

    [Fact]
    public async Task SetWebhookAsync_ThenGet_HasTheUrlButNeverTheSecret()
    {
        var admin = approvals.Rein.Admin.Approvals;
        var queue = ReinServerFixture.NewName("hooked");

        var set = await admin.SetWebhookAsync(queue, new Uri("https://hooks.example.com/services/T0/B0/x"), "0123456789abcdef0123456789abcdef", Ct);
        var got = await admin.GetWebhookAsync(queue, Ct);
        var removed = await admin.RemoveWebhookAsync(queue, Ct);

        Assert.Equal((queue, "https://hooks.example.com/services/T0/B0/x"), (set.Queue, set.Url));
        Assert.Equal(set.Url, got.Url);
        Assert.Equal(queue, removed.Queue);
        var e = await Assert.ThrowsAsync<ReinApiException>(() => admin.GetWebhookAsync(queue, Ct));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task GatedFunction_WaitForApproval_RunsOnceWithTheApproversArguments()
    {
        var runId = NewRun();
        var refunds = new List<int>();
        var refund = AIFunctionFactory.Create((int amount, string currency) => { refunds.Add(amount); return $"refunded {amount} {currency}"; }, "refund")
            .WithGate(Agent, new GateOptions { Agent = "support-bot", RunId = runId, WaitForApproval = TimeSpan.FromSeconds(30) });

        var invocation = refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500, ["currency"] = "EUR" }, Ct).AsTask();
        var request = await PendingOfRunAsync(runId);
        Assert.Empty(refunds);
        await Approver.Approvals.ApproveAsync(request.Id, "200 is enough", new JsonObject { ["amount"] = 200, ["currency"] = "EUR" }, Ct);
        var result = await invocation;

        Assert.Equal("refunded 200 EUR", ((JsonElement)result!).GetString());
        Assert.Equal([200], refunds);
        var decisions = (await approvals.Rein.Admin.Decisions.ListAsync(new DecisionQuery { RunId = runId }, cancellationToken: Ct)).Items;
        Assert.Equal([GateEffect.Allow, GateEffect.RequireApproval], decisions.Select(d => d.Effect));
    }

    [Fact]
    public async Task GatedFunction_WaitForApproval_Rejected_TellsTheModelAndDoesNotRun()
    {
        var runId = NewRun();
        var ran = false;
        var refund = AIFunctionFactory.Create((int amount) => ran = true, "refund")
            .WithGate(Agent, new GateOptions { Agent = "support-bot", RunId = runId, WaitForApproval = TimeSpan.FromSeconds(30) });

        var invocation = refund.InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct).AsTask();
        var request = await PendingOfRunAsync(runId);
        await Approver.Approvals.RejectAsync(request.Id, "no", Ct);
        var result = await invocation;

        Assert.False(ran);
        Assert.Equal($"Rejected: the tool 'refund' was not run; ann rejected approval request {request.Id}. Their note: no", result);
    }

    /// <summary>The pending request of a run, once the gate has opened it.</summary>
    private async Task<ApprovalSummary> PendingOfRunAsync(string runId)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var inbox = await Approver.Approvals.ListAllAsync(new ApprovalQuery { Status = ApprovalStatuses.Pending, Queue = "finance" }, 500, Ct).ToListAsync(Ct);
            if (inbox.FirstOrDefault(a => a.RunId == runId) is { } found)
            {
                return found;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), $"no pending request of run {runId} appeared");
            await Task.Delay(100, Ct);
        }
    }
}
