using System.Text.Json;
using System.Text.RegularExpressions;
using Rein.Cli.Tests.Cli;
using Rein.Cli.Tests.Policies;
using Rein.Testing;

namespace Rein.Cli.Tests.Approvals;

/// <summary>A real server with the refunds policy active (large refunds to <c>finance</c>), and an agent's and an
/// approver's key.</summary>
public sealed class ApprovalsServerFixture : IAsyncLifetime
{
    private readonly ReinServerFixture _rein = new();

    public ReinServerFixture Rein => _rein;

    public string AgentKey { get; private set; } = "";

    public string ApproverKey { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        await _rein.InitializeAsync();
        using var folder = new TempDirectory("rein-approvals");
        var path = folder.Combine("refunds.yaml");
        await File.WriteAllTextAsync(path, PolicyFiles.Refunds("refunds"));
        var push = await _rein.RunAsync("policy", "push", path, "--activate");
        Assert.True(push.ExitCode == 0, push.ToString());
        (_, AgentKey) = await _rein.CreateKeyAsync("agent", name: "support-bot");
        (_, ApproverKey) = await _rein.CreateKeyAsync("approver", name: "ann");
    }

    public ValueTask DisposeAsync() => _rein.DisposeAsync();
}

/// <summary>The approval loop through the real <c>rein</c> CLI against a real server: gate, list, show, approve or
/// reject, wait, redeem the token once; export, stats, queues, webhooks and queue-limited keys.</summary>
public sealed partial class ApprovalsCommandTests(ApprovalsServerFixture approvals) : IClassFixture<ApprovalsServerFixture>
{
    private ReinServerFixture Rein => approvals.Rein;

    // An agent key's agent is its name: every call of these tests is the agent support-bot's (each in a run of its own).
    private static string NewAgent() => "support-bot";

    private static string NewRun() => Guid.NewGuid().ToString("N");

    private Task<ProcessResult> AsAgentAsync(params string[] args) => Rein.RunWithKeyAsync(approvals.AgentKey, args);

    private Task<ProcessResult> AsApproverAsync(params string[] args) => Rein.RunWithKeyAsync(approvals.ApproverKey, args);

    private static string[] Refund(string agent, string run, int amount) =>
        ["gate", "--agent", agent, "--tool", "payments.refund", "--run", run, "--args", $$"""{"amount": {{amount}}}"""];

    /// <summary>Asks the gate as the agent; returns the approval request it opened.</summary>
    private async Task<string> AskAsync(string agent, string run, int amount = 500)
    {
        var gated = await AsAgentAsync([.. Refund(agent, run, amount), "-o", "json"]);
        Expect.Exit(ExitCodes.GateNeedsConfirmation, gated);
        using var json = JsonDocument.Parse(gated.StdOut);
        return json.RootElement.GetProperty("approval").GetProperty("requestId").GetString()!;
    }

    [Fact]
    public async Task Gate_RequireApproval_PrintsTheRequestItOpenedAndHowToWait()
    {
        var gated = await AsAgentAsync(Refund(NewAgent(), NewRun(), 500));

        Expect.Exit(ExitCodes.GateNeedsConfirmation, gated);
        var request = RequestId().Match(gated.StdOut).Value;
        Assert.Contains($"  approval    {request} pending in queue finance (severity medium, expires ", gated.StdOut, StringComparison.Ordinal);
        Assert.Contains($"rein approvals wait {request}", gated.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loop_ApproveThenWait_TheTokenAllowsTheCallOnceThenIsRefused()
    {
        var (agent, run) = (NewAgent(), NewRun());
        var request = await AskAsync(agent, run);

        var list = await AsApproverAsync("approvals", "list", "--queue", "finance");
        var show = await AsApproverAsync("approvals", "show", request);
        var approve = await AsApproverAsync("approvals", "approve", request, "--note", "checked the order");
        var wait = await AsAgentAsync("approvals", "wait", request, "--timeout", "10s");
        var token = TokenPattern().Match(wait.StdOut).Value;
        var redeemed = await AsAgentAsync([.. Refund(agent, run, 500), "--approval-token", token]);
        var replayed = await AsAgentAsync([.. Refund(agent, run, 500), "--approval-token", token]);

        Expect.Exit(ExitCodes.Ok, list);
        Assert.StartsWith("ID", list.StdOut, StringComparison.Ordinal);
        var row = Assert.Single(list.StdOut.Split('\n'), l => l.StartsWith(request, StringComparison.Ordinal));
        Assert.Contains("medium", row, StringComparison.Ordinal);
        Assert.Contains("pending", row, StringComparison.Ordinal);
        Assert.Contains("refund of 500 needs finance", row, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.Ok, show);
        Assert.StartsWith($"pending: payments.refund for agent {agent} ({request})", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("  rule        large refunds go to finance: refund of 500 needs finance", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("arguments (after redaction):", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("\"amount\": 500", show.StdOut, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.Ok, approve);
        Assert.Equal($"Approved {request} as proposed: payments.refund for agent {agent} (queue finance).", approve.StdOut.Trim());
        Expect.Exit(ExitCodes.Ok, wait);
        Assert.StartsWith($"approved: payments.refund for agent {agent} ({request})", wait.StdOut, StringComparison.Ordinal);
        Assert.Contains("  note        checked the order", wait.StdOut, StringComparison.Ordinal);
        Assert.Contains(" by ann ", wait.StdOut, StringComparison.Ordinal);
        Assert.NotEqual("", token);
        Expect.Exit(ExitCodes.Ok, redeemed);
        Assert.Contains("  reason      approval: ", redeemed.StdOut, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.GateDenied, replayed);
        Assert.Contains("  reason      approval.invalid_token: ", replayed.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_WithModifiedArguments_OnlyThoseArgumentsRedeemTheToken()
    {
        var (agent, run) = (NewAgent(), NewRun());
        var request = await AskAsync(agent, run, 500);

        var approve = await AsApproverAsync("approvals", "approve", request, "--args", """{"amount": 200}""", "--note", "lowered");
        var wait = await AsAgentAsync("approvals", "wait", request, "--timeout", "10s", "-o", "json");
        using var approval = JsonDocument.Parse(wait.StdOut);
        var token = approval.RootElement.GetProperty("token").GetString()!;
        var asProposed = await AsAgentAsync([.. Refund(agent, run, 500), "--approval-token", token]);
        var asApproved = await AsAgentAsync([.. Refund(agent, run, 200), "--approval-token", token]);

        Expect.Exit(ExitCodes.Ok, approve);
        Assert.StartsWith($"Approved {request} with modified arguments: ", approve.StdOut, StringComparison.Ordinal);
        Assert.Contains("approved arguments:", approve.StdOut, StringComparison.Ordinal);
        Assert.Contains("\"amount\": 200", approve.StdOut, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.Ok, wait);
        Assert.Equal("modified", approval.RootElement.GetProperty("outcome").GetString());
        Assert.Equal(200, approval.RootElement.GetProperty("approvedArgs").GetProperty("amount").GetInt32());
        Expect.Exit(ExitCodes.GateDenied, asProposed);
        Expect.Exit(ExitCodes.Ok, asApproved);
    }

    [Fact]
    public async Task Reject_ThenWait_ExitsThreeWithTheNote()
    {
        var request = await AskAsync(NewAgent(), NewRun());

        var reject = await AsApproverAsync("approvals", "reject", request, "--note", "not this customer");
        var wait = await AsAgentAsync("approvals", "wait", request, "--timeout", "10s");

        Expect.Exit(ExitCodes.Ok, reject);
        Assert.StartsWith($"Rejected {request}: payments.refund", reject.StdOut, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.ApprovalNotApproved, wait);
        Assert.StartsWith("rejected: ", wait.StdOut, StringComparison.Ordinal);
        Assert.Contains("  note        not this customer", wait.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("token", wait.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_NobodyDecides_ExitsFourWhenTheTimeoutEnds()
    {
        var request = await AskAsync(NewAgent(), NewRun());

        var wait = await AsAgentAsync("approvals", "wait", request, "--timeout", "1s");

        Expect.Exit(ExitCodes.ApprovalStillPending, wait);
        Assert.StartsWith("pending: ", wait.StdOut, StringComparison.Ordinal);
        Assert.Contains("Still pending after 1s; it expires at ", wait.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_AlreadyDecided_FailsWithOneLineNamingItsStatus()
    {
        var request = await AskAsync(NewAgent(), NewRun());
        Expect.Exit(ExitCodes.Ok, await AsApproverAsync("approvals", "reject", request));

        var again = await AsApproverAsync("approvals", "approve", request);

        Expect.Exit(ExitCodes.Failed, again);
        var line = Expect.OneErrorLine(again);
        Assert.Contains("refused (409)", line, StringComparison.Ordinal);
        Assert.Contains("rejected", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_AgentKey_IsRefused()
    {
        var request = await AskAsync(NewAgent(), NewRun());

        var approve = await AsAgentAsync("approvals", "approve", request);

        Expect.Exit(ExitCodes.Failed, approve);
        Assert.Contains("refused (403)", Expect.OneErrorLine(approve), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysCreate_ApproverLimitedToAnotherQueue_CannotDecideAFinanceRequest()
    {
        var request = await AskAsync(NewAgent(), NewRun());

        var create = await Rein.RunAsync("keys", "create", "--name", "ops-approver", "--role", "approver", "--queues", "ops,support");
        var key = Expect.KeyValue(create.StdOut);
        var list = await Rein.RunAsync("keys", "list");
        var approve = await Rein.RunWithKeyAsync(key, "approvals", "approve", request);

        Expect.Exit(ExitCodes.Ok, create);
        Assert.Contains("approval queues ops, support", create.StdErr, StringComparison.Ordinal);
        var row = Assert.Single(list.StdOut.Split('\n'), l => l.StartsWith(ReinServerFixture.IdOf(key), StringComparison.Ordinal));
        Assert.EndsWith("ops,support", row.TrimEnd(), StringComparison.Ordinal);
        Expect.Exit(ExitCodes.Failed, approve);
        var line = Expect.OneErrorLine(approve);
        Assert.Contains("refused (403)", line, StringComparison.Ordinal);
        Assert.Contains("finance", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_StatusAndQueueFilters_JsonOutputHasTheRequests()
    {
        var pending = await AskAsync(NewAgent(), NewRun());
        var decided = await AskAsync(NewAgent(), NewRun());
        Expect.Exit(ExitCodes.Ok, await AsApproverAsync("approvals", "approve", decided));

        var all = await AsApproverAsync("approvals", "list", "--status", "all", "-n", "10000", "-o", "json");
        var approved = await AsApproverAsync("approvals", "list", "--status", "approved", "-n", "10000", "-o", "json");
        var ops = await AsApproverAsync("approvals", "list", "--queue", "ops");

        Expect.Exit(ExitCodes.Ok, all);
        using var allJson = JsonDocument.Parse(all.StdOut);
        var ids = allJson.RootElement.EnumerateArray().Select(a => a.GetProperty("id").GetString()).ToList();
        Assert.Contains(pending, ids);
        Assert.Contains(decided, ids);
        using var approvedJson = JsonDocument.Parse(approved.StdOut);
        Assert.All(approvedJson.RootElement.EnumerateArray(), a => Assert.Equal("approved", a.GetProperty("status").GetString()));
        Assert.DoesNotContain(approvedJson.RootElement.EnumerateArray(), a => a.GetProperty("id").GetString() == pending);
        Expect.Exit(ExitCodes.Ok, ops);
        Assert.Equal("No approval requests match.", ops.StdOut.Trim());
    }

    [Fact]
    public async Task Export_ToAFileAndToStdout_HoldsTheModificationWithWhatChanged()
    {
        var request = await AskAsync(NewAgent(), NewRun(), 700);
        Expect.Exit(ExitCodes.Ok, await AsApproverAsync("approvals", "approve", request, "--args", """{"amount": 300}""", "--note", "too much"));
        using var folder = new TempDirectory("rein-export");
        var file = folder.Combine("decisions.jsonl");

        var toFile = await AsApproverAsync("approvals", "export", "--since", "1h", "--format", "jsonl", "--output", file);
        var toStdout = await AsApproverAsync("approvals", "export", "--since", "1h");

        Expect.Exit(ExitCodes.Ok, toFile);
        Assert.Equal("", toFile.StdOut);
        Assert.Matches($"^Exported [0-9]+ decisions? made in the last 1h to {Regex.Escape(file)}\\.$", toFile.StdErr.Trim());
        var lines = await File.ReadAllLinesAsync(file, TestContext.Current.CancellationToken);
        var record = lines.Select(l => JsonDocument.Parse(l).RootElement).Single(r => r.GetProperty("requestId").GetString() == request);
        Assert.Equal("modified", record.GetProperty("outcome").GetString());
        Assert.Equal(["$.amount"], record.GetProperty("changedFields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(700, record.GetProperty("proposedArgs").GetProperty("amount").GetInt32());
        Assert.Equal(300, record.GetProperty("approvedArgs").GetProperty("amount").GetInt32());
        Assert.Equal("too much", record.GetProperty("note").GetString());
        Assert.Equal([Path.GetFileName(file)], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
        Expect.Exit(ExitCodes.Ok, toStdout);
        Assert.Contains(toStdout.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains(request, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stats_AfterDecisions_HasTheFinanceQueueAndTheTotals()
    {
        var approved = await AskAsync(NewAgent(), NewRun());
        Expect.Exit(ExitCodes.Ok, await AsApproverAsync("approvals", "approve", approved));

        var table = await AsApproverAsync("approvals", "stats", "--since", "1h");
        var json = await AsApproverAsync("approvals", "stats", "--since", "1h", "-o", "json");

        Expect.Exit(ExitCodes.Ok, table);
        var rows = table.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("QUEUE", rows[0], StringComparison.Ordinal);
        Assert.Contains(rows, r => r.StartsWith("finance ", StringComparison.Ordinal));
        Assert.StartsWith("(all) ", rows[^1], StringComparison.Ordinal);
        using var stats = JsonDocument.Parse(json.StdOut);
        var finance = stats.RootElement.GetProperty("byQueue").EnumerateArray().Single(q => q.GetProperty("queue").GetString() == "finance");
        Assert.True(finance.GetProperty("approved").GetInt32() >= 1);
    }

    [Fact]
    public async Task QueuesSet_ThenList_ShowsTheExpiryUntilSetBackToDefault()
    {
        var queue = $"queue-{Guid.NewGuid():N}"[..20];

        var set = await Rein.RunAsync("approvals", "queues", "set", queue, "--expiry", "30m");
        var listed = await Rein.RunAsync("approvals", "queues", "list");
        var reset = await Rein.RunAsync("approvals", "queues", "set", queue, "--expiry", "default", "-o", "json");
        var byApprover = await AsApproverAsync("approvals", "queues", "set", queue, "--expiry", "1h");

        Expect.Exit(ExitCodes.Ok, set);
        Assert.Equal($"Queue {queue}: new requests expire after 30m.", set.StdOut.Trim());
        var row = Assert.Single(listed.StdOut.Split('\n'), l => l.StartsWith(queue, StringComparison.Ordinal));
        Assert.Contains("30m", row, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.Ok, reset);
        using var json = JsonDocument.Parse(reset.StdOut);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("expiry").ValueKind);
        Expect.Exit(ExitCodes.Failed, byApprover);
        Assert.Contains("refused (403)", Expect.OneErrorLine(byApprover), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebhookSet_WithASecretFile_SetsTheUrlAndNeverPrintsTheSecret()
    {
        var queue = $"hooked-{Guid.NewGuid():N}"[..20];
        using var folder = new TempDirectory("rein-webhook");
        var secretFile = folder.Combine("secret");
        const string Secret = "0123456789abcdef0123456789abcdef";
        await File.WriteAllTextAsync(secretFile, Secret + "\n", TestContext.Current.CancellationToken);

        var set = await Rein.RunAsync("approvals", "webhook", "set", queue, "--url", "https://hooks.example.com/services/T0/B0/x", "--secret-file", secretFile);
        var json = await Rein.RunAsync("approvals", "webhook", "set", queue, "--url", "https://hooks.example.com/services/T0/B0/y", "-o", "json");

        Expect.Exit(ExitCodes.Ok, set);
        Assert.Equal($"Queue {queue}: new requests are posted to https://hooks.example.com/services/T0/B0/x, signed with the secret.", set.StdOut.Trim());
        Expect.Exit(ExitCodes.Ok, json);
        using var hook = JsonDocument.Parse(json.StdOut);
        Assert.Equal("https://hooks.example.com/services/T0/B0/y", hook.RootElement.GetProperty("url").GetString());
        Assert.DoesNotContain(Secret, set.StdOut + set.StdErr + json.StdOut + json.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_UnknownRequest_FailsWithOneLine()
    {
        var show = await AsApproverAsync("approvals", "show", "apr_00000000000000000000000000");

        Expect.Exit(ExitCodes.Failed, show);
        Assert.Contains("refused (404)", Expect.OneErrorLine(show), StringComparison.Ordinal);
    }

    [GeneratedRegex("apr_[0-9a-z]{26}")]
    private static partial Regex RequestId();

    [GeneratedRegex("rat_[A-Za-z0-9_-]{43}")]
    private static partial Regex TokenPattern();
}
