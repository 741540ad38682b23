using System.Text.Json;
using Rein.Cli.Tests.Cli;
using Rein.Testing;

namespace Rein.Cli.Tests.Policies;

/// <summary>The policy lifecycle through the real CLI against a real server: push, inspect, activate, decide, roll back,
/// kill. Every test uses policy and agent names of its own.</summary>
public sealed class PolicyLifecycleTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>, IDisposable
{
    private readonly TempDirectory _folder = new("rein-lifecycle");

    public void Dispose() => _folder.Dispose();

    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private string Write(string file, string source)
    {
        var path = _folder.Combine(file);
        File.WriteAllText(path, source);
        return path;
    }

    private async Task<ProcessResult> Ok(params string[] args)
    {
        var result = await rein.RunAsync(args);
        Expect.Exit(ExitCodes.Ok, result);
        return result;
    }

    private Task<ProcessResult> Gate(string agent, string tool, string args) =>
        rein.RunAsync("gate", "--act-as", agent, "--tool", tool, "--args", args);

    [Fact]
    public async Task Lifecycle_PushActivateDecideRollbackKillUnkill_EachStepTakesEffect()
    {
        var name = NewName("refunds");
        // Not support-bot*: other tests here activate policies for those agents.
        var agent = NewName("lifecycle-bot");
        var v1 = Write("v1.yaml", PolicyFiles.Refunds(name, agent));
        var v2 = Write("v2.yaml", PolicyFiles.Refunds(name, agent, approvalAbove: 100));

        var push = await Ok("policy", "push", v1);
        Assert.StartsWith($"Pushed {name} version 1 (sha256:", push.StdOut, StringComparison.Ordinal);
        Assert.Contains($"Not active; 'rein policy activate {name} 1' makes it active.", push.StdOut, StringComparison.Ordinal);

        var list = await Ok("policy", "list");
        var row = Columns(list.StdOut.Split('\n').Single(l => l.StartsWith(name, StringComparison.Ordinal)));
        Assert.Equal([name, "-", "1", "enforce", agent], row[..5]);

        // Nothing is active yet: no policy binds the agent.
        var before = await Gate(agent, "payments.refund", """{"amount": 80}""");
        Assert.NotEqual(ExitCodes.GateNeedsConfirmation, before.ExitCode);

        var activate = await Ok("policy", "activate", name, "1");
        Assert.StartsWith($"Activated {name} version 1", activate.StdOut, StringComparison.Ordinal);

        var needsApproval = await Gate(agent, "payments.refund", """{"amount": 80}""");
        Expect.Exit(ExitCodes.GateNeedsConfirmation, needsApproval);
        Assert.StartsWith($"require_approval: payments.refund for agent {agent}", needsApproval.StdOut, StringComparison.Ordinal);
        Assert.Contains($"policy      {name} version 1 (enforce)", needsApproval.StdOut, StringComparison.Ordinal);
        Assert.Contains("reason      large refunds go to finance: refund of 80 needs finance", needsApproval.StdOut, StringComparison.Ordinal);
        Assert.Contains("route       finance", needsApproval.StdOut, StringComparison.Ordinal);

        var pushV2 = await Ok("policy", "push", v2, "--activate");
        Assert.StartsWith($"Pushed {name} version 2", pushV2.StdOut, StringComparison.Ordinal);
        Assert.Contains("Version 2 is active", pushV2.StdOut, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.Ok, await Gate(agent, "payments.refund", """{"amount": 80}"""));

        var history = await Ok("policy", "history", name);
        var versions = history.StdOut.Split('\n').TakeWhile(l => l.Length > 0).ToList();
        Assert.StartsWith("VERSION", versions[0], StringComparison.Ordinal);
        Assert.Equal(["2", "*"], Columns(versions[1])[..2]);
        Assert.Equal("1", Columns(versions[2])[0]);
        Assert.Equal(2, history.StdOut.Split('\n').Count(l => l.Contains(" activate ", StringComparison.Ordinal)));

        var show = await Ok("policy", "show", name);
        Assert.StartsWith($"{name} version 2 (active)", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("    when: args.amount > 100", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("  PASS  big refund needs finance", show.StdOut, StringComparison.Ordinal);
        var showV1 = await Ok("policy", "show", name, "--version", "1");
        Assert.StartsWith($"{name} version 1\n", showV1.StdOut, StringComparison.Ordinal);

        var diff = await Ok("policy", "diff", name, "1", "2");
        var diffLines = diff.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"--- {name} version 1", $"+++ {name} version 2"], diffLines[..2]);
        Assert.Equal("@@ -7,11 +7,11 @@", diffLines[2]);
        Assert.Contains("- 10         when: args.amount <= 50", diffLines);
        Assert.Contains("+    10      when: args.amount <= 100", diffLines);
        Assert.Contains("   9  9      tools: [\"payments.refund\"]", diffLines);

        var rollback = await Ok("policy", "rollback", name);
        Assert.Equal($"Rolled back to {name} version 1", rollback.StdOut.Split(" (")[0]);
        Assert.EndsWith("tests passed.", rollback.StdOut.Trim(), StringComparison.Ordinal);
        Expect.Exit(ExitCodes.GateNeedsConfirmation, await Gate(agent, "payments.refund", """{"amount": 80}"""));

        Expect.Exit(ExitCodes.Ok, await Gate(agent, "crm.get_customer", """{"id": "c-1"}"""));
        var kill = await Ok("kill", "tool", "crm.get_customer", "--agent", agent, "--reason", "incident 42");
        Assert.Equal($"Killed tool crm.get_customer for agent {agent}: the gate denies it from the next decision.", kill.StdOut.Trim());
        var killed = await Gate(agent, "crm.get_customer", """{"id": "c-1"}""");
        Expect.Exit(ExitCodes.GateDenied, killed);
        Assert.Contains("reason      kill.tool: ", killed.StdOut, StringComparison.Ordinal);
        var switches = await Ok("kill", "list");
        Assert.Contains(switches.StdOut.Split('\n'), l => l.StartsWith("tool", StringComparison.Ordinal) && l.Contains("crm.get_customer", StringComparison.Ordinal) && l.Contains("incident 42", StringComparison.Ordinal));

        var unkill = await Ok("unkill", "tool", "crm.get_customer", "--agent", agent);
        Assert.StartsWith("Unkilled tool crm.get_customer", unkill.StdOut, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.Ok, await Gate(agent, "crm.get_customer", """{"id": "c-1"}"""));

        var decisions = await Ok("decisions", "list", "--agent", agent, "--tool", "crm.get_customer", "-o", "json");
        using var json = JsonDocument.Parse(decisions.StdOut);
        Assert.Equal(["allow", "deny", "allow"], json.RootElement.EnumerateArray().Select(d => d.GetProperty("effect").GetString()));
    }

    [Fact]
    public async Task Push_FileThatDoesNotParse_PrintsProblemsAndExitsOne()
    {
        var path = Write("bad.yaml", $"name: {NewName("bad")}\nagents: [\"*\"]\ndefault: deny\nrules:\n  - name: r\n    tools: [\"x\"]\n    efect: allow\n");

        var push = await rein.RunAsync("policy", "push", path);

        Expect.Exit(ExitCodes.Failed, push);
        Assert.Contains(push.StdOut.Split('\n'), l => l.StartsWith($"{path}:7:5: ", StringComparison.Ordinal) && l.Contains("efect", StringComparison.Ordinal));
        Assert.Contains("refused (422)", Expect.OneErrorLine(push), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_FailingEmbeddedTest_PrintsTheTestAndExitsOne()
    {
        var path = Write("failing.yaml", PolicyFiles.WithFailingTest(NewName("failing")));

        var push = await rein.RunAsync("policy", "push", path);

        Expect.Exit(ExitCodes.Failed, push);
        Assert.Matches(@"  FAIL  wishful \(line \d+\): expected effect allow, got deny", push.StdOut);
        Assert.Contains("refused (422)", Expect.OneErrorLine(push), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_SameFileTwice_SaysUnchanged()
    {
        var path = Write("same.yaml", PolicyFiles.Refunds(NewName("same")));
        await Ok("policy", "push", path);

        var again = await Ok("policy", "push", path);

        Assert.StartsWith("Unchanged: the file is ", again.StdOut, StringComparison.Ordinal);
        Assert.Contains(" version 1 ", again.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_JsonOutput_PrintsTheVersion()
    {
        var name = NewName("json");
        var push = await Ok("policy", "push", Write("json.yaml", PolicyFiles.Refunds(name)), "--activate", "-o", "json");

        using var json = JsonDocument.Parse(push.StdOut);
        Assert.Equal(name, json.RootElement.GetProperty("name").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("version").GetInt32());
        Assert.True(json.RootElement.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Rollback_WithNothingToGoBackTo_FailsWithOneLine()
    {
        var name = NewName("norollback");
        await Ok("policy", "push", Write("one.yaml", PolicyFiles.Refunds(name)), "--activate");

        var rollback = await rein.RunAsync("policy", "rollback", name);

        Expect.Exit(ExitCodes.Failed, rollback);
        Assert.Contains("refused (409)", Expect.OneErrorLine(rollback), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deactivate_ActivePolicy_StopsItDeciding()
    {
        var name = NewName("deactivate");
        var agent = NewName("bot");
        await Ok("policy", "push", Write("d.yaml", PolicyFiles.Refunds(name, agent)), "--activate");
        Expect.Exit(ExitCodes.GateNeedsConfirmation, await Gate(agent, "payments.refund", """{"amount": 80}"""));

        var deactivate = await Ok("policy", "deactivate", name);

        Assert.StartsWith($"Deactivated {name}", deactivate.StdOut, StringComparison.Ordinal);
        var list = await Ok("policy", "list");
        Assert.Equal("-", Columns(list.StdOut.Split('\n').Single(l => l.StartsWith(name, StringComparison.Ordinal)))[1]);
        Assert.NotEqual(ExitCodes.GateNeedsConfirmation, (await Gate(agent, "payments.refund", """{"amount": 80}""")).ExitCode);
    }

    [Fact]
    public async Task Show_UnknownPolicy_FailsWithOneLine()
    {
        var show = await rein.RunAsync("policy", "show", NewName("nothing"));

        Expect.Exit(ExitCodes.Failed, show);
        Assert.Contains("refused (404)", Expect.OneErrorLine(show), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backtest_CandidateThatRaisesTheLimit_ReportsTheChangedDecision()
    {
        var name = NewName("backtest");
        var agent = NewName("bt-bot");
        await Ok("policy", "push", Write("b1.yaml", PolicyFiles.Refunds(name, agent)), "--activate");
        foreach (var amount in new[] { 20, 80, 500 })
        {
            await Gate(agent, "payments.refund", $$"""{"amount": {{amount}}}""");
        }

        await Ok("policy", "push", Write("b2.yaml", PolicyFiles.Refunds(name, agent, approvalAbove: 100)));

        var backtest = await Ok("policy", "backtest", name, "--version", "2", "--since", "1h");

        Assert.StartsWith($"Backtest of {name} version 2: 3 recorded decisions since ", backtest.StdOut, StringComparison.Ordinal);
        Assert.Contains("replayed, 1 would change.", backtest.StdOut, StringComparison.Ordinal);
        Assert.Contains(backtest.StdOut.Split('\n'), l => Columns(l) is ["require_approval", "->", "allow", "1"]);
        Assert.Contains(backtest.StdOut.Split('\n'), l => Columns(l) is ["small", "refunds", "1"]);
    }

    private static string[] Columns(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
