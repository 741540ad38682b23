using System.Text.Json;
using Rein.Cli.Tests.Cli;
using Rein.Cli.Tests.Policies;
using Rein.Testing;

namespace Rein.Cli.Tests.Gate;

/// <summary>A real server with the refunds policy active for agents named <c>support-bot*</c>.</summary>
public sealed class GateServerFixture : IAsyncLifetime
{
    private readonly ReinServerFixture _rein = new();

    public ReinServerFixture Rein => _rein;

    public async ValueTask InitializeAsync()
    {
        await _rein.InitializeAsync();
        using var folder = new TempDirectory("rein-gate");
        var path = folder.Combine("refunds.yaml");
        await File.WriteAllTextAsync(path, PolicyFiles.Refunds("refunds"));
        var push = await _rein.RunAsync("policy", "push", path, "--activate");
        Assert.True(push.ExitCode == 0, push.ToString());
    }

    public ValueTask DisposeAsync() => _rein.DisposeAsync();
}

/// <summary><c>rein gate</c>, <c>rein kill</c>/<c>unkill</c> and <c>rein decisions</c> against a real server.</summary>
public sealed class GateCommandTests(GateServerFixture gate) : IClassFixture<GateServerFixture>
{
    private ReinServerFixture Rein => gate.Rein;

    private static string NewAgent() => $"support-bot-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task Gate_EachEffect_ExitsWithItsCode()
    {
        var agent = NewAgent();

        var allow = await Rein.RunAsync("gate", "--act-as", agent, "--tool", "payments.refund", "--args", """{"amount": 5}""");
        var approval = await Rein.RunAsync("gate", "--act-as", agent, "--tool", "payments.refund", "--args", """{"amount": 500}""");
        var deny = await Rein.RunAsync("gate", "--act-as", agent, "--tool", "payments.wire");

        Expect.Exit(ExitCodes.Ok, allow);
        Assert.StartsWith($"allow: payments.refund for agent {agent}", allow.StdOut, StringComparison.Ordinal);
        Assert.Contains("reason      small refunds: ", allow.StdOut, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.GateNeedsConfirmation, approval);
        Expect.Exit(ExitCodes.GateDenied, deny);
        Assert.Contains("reason      default: ", deny.StdOut, StringComparison.Ordinal);
        Assert.Equal("", deny.StdErr);
    }

    [Fact]
    public async Task Gate_JsonOutput_PrintsTheDecisionWithTheWireEffectName()
    {
        var gated = await Rein.RunAsync("gate", "--act-as", NewAgent(), "--tool", "payments.refund", "--args", """{"amount": 500}""", "--run", Guid.NewGuid().ToString("N"), "-o", "json");

        Expect.Exit(ExitCodes.GateNeedsConfirmation, gated);
        using var json = JsonDocument.Parse(gated.StdOut);
        Assert.Equal("require_approval", json.RootElement.GetProperty("effect").GetString());
        Assert.Equal("finance", json.RootElement.GetProperty("approval").GetProperty("route").GetString());
        Assert.Equal("refunds", json.RootElement.GetProperty("policy").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Gate_KeyThatIsRefused_ExitsOneNotTheConfirmationCode()
    {
        var gated = await Rein.RunWithKeyAsync("rein_aaaaaaaaaaaa_" + new string('b', 40), "gate", "--act-as", "a", "--tool", "t");

        Expect.Exit(ExitCodes.Failed, gated);
        Assert.Contains("unauthorized", Expect.OneErrorLine(gated), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_ServerDown_ExitsOneNotTheDenyCode()
    {
        var gated = await ReinBinary.RunAsync(["gate", "--act-as", "a", "--tool", "t", "--server", $"http://127.0.0.1:{Network.FreePort()}", "--api-key", Rein.Server.AdminKey]);

        Expect.Exit(ExitCodes.Failed, gated);
        Assert.Contains("cannot reach Rein", Expect.OneErrorLine(gated), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_ArgsThatAreNotAnObject_IsAUsageError()
    {
        var gated = await Rein.RunAsync("gate", "--act-as", "a", "--tool", "t", "--args", "[1, 2]");

        Expect.Exit(ExitCodes.Usage, gated);
        Assert.Contains("--args: expected a JSON object", gated.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KillAgent_ThenUnkill_DeniesEverythingItDoesUntilUnkilled()
    {
        var agent = NewAgent();

        var kill = await Rein.RunAsync("kill", "agent", agent, "--reason", "runaway");
        var killed = await Rein.RunAsync("gate", "--act-as", agent, "--tool", "crm.get_customer");
        var again = await Rein.RunAsync("kill", "agent", agent);
        var unkill = await Rein.RunAsync("unkill", "agent", agent);
        var back = await Rein.RunAsync("gate", "--act-as", agent, "--tool", "crm.get_customer");

        Expect.Exit(ExitCodes.Ok, kill);
        Assert.Equal($"Killed agent {agent}: the gate denies it from the next decision.", kill.StdOut.Trim());
        Expect.Exit(ExitCodes.GateDenied, killed);
        Assert.Contains("reason      kill.agent: ", killed.StdOut, StringComparison.Ordinal);
        Assert.Contains("policy      none", killed.StdOut, StringComparison.Ordinal);
        Assert.Equal($"Already killed: agent {agent}.", again.StdOut.Trim());
        Expect.Exit(ExitCodes.Ok, unkill);
        Expect.Exit(ExitCodes.Ok, back);
    }

    [Fact]
    public async Task KillRelease_DeniesThatReleaseOnly()
    {
        var release = $"v-{Guid.NewGuid():N}"[..12];
        var agent = NewAgent();
        Expect.Exit(ExitCodes.Ok, await Rein.RunAsync("kill", "release", release));

        var killed = await Rein.RunAsync("gate", "--act-as", agent, "--release", release, "--tool", "crm.get_customer");
        var other = await Rein.RunAsync("gate", "--act-as", agent, "--release", "v-other", "--tool", "crm.get_customer");

        Expect.Exit(ExitCodes.GateDenied, killed);
        Assert.Contains("kill.release", killed.StdOut, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.Ok, other);
    }

    [Fact]
    public async Task KillList_JsonOutput_HasTheSwitchWithItsReason()
    {
        var tool = $"tool-{Guid.NewGuid():N}"[..16];
        Expect.Exit(ExitCodes.Ok, await Rein.RunAsync("kill", "tool", tool, "--reason", "leaking data"));

        var list = await Rein.RunAsync("kill", "list", "-o", "json");

        Expect.Exit(ExitCodes.Ok, list);
        using var json = JsonDocument.Parse(list.StdOut);
        var on = Assert.Single(json.RootElement.EnumerateArray(), s => s.GetProperty("target").GetString() == tool);
        Assert.Equal("tool", on.GetProperty("scope").GetString());
        Assert.Equal("leaking data", on.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Unkill_SwitchThatIsNotOn_FailsWithOneLine()
    {
        var unkill = await Rein.RunAsync("unkill", "tool", "never-killed");

        Expect.Exit(ExitCodes.Failed, unkill);
        Assert.Contains("refused (404)", Expect.OneErrorLine(unkill), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_ViewerKey_IsRefused()
    {
        var (_, viewer) = await Rein.CreateKeyAsync("viewer");

        var kill = await Rein.RunWithKeyAsync(viewer, "kill", "tool", "anything");

        Expect.Exit(ExitCodes.Failed, kill);
        Assert.Contains("refused (403)", Expect.OneErrorLine(kill), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecisionsList_WithFilters_ShowsOnlyThoseNewestFirst()
    {
        var agent = NewAgent();
        await Rein.RunAsync("gate", "--act-as", agent, "--tool", "payments.refund", "--args", """{"amount": 5}""");
        await Rein.RunAsync("gate", "--act-as", agent, "--tool", "payments.refund", "--args", """{"amount": 500}""");
        await Rein.RunAsync("gate", "--act-as", agent, "--tool", "payments.wire");

        var all = await Rein.RunAsync("decisions", "list", "--agent", agent);
        var denied = await Rein.RunAsync("decisions", "list", "--agent", agent, "--effect", "deny", "--since", "1h");
        var byRule = await Rein.RunAsync("decisions", "list", "--agent", agent, "--rule", "large refunds go to finance", "-o", "json");

        Expect.Exit(ExitCodes.Ok, all);
        var rows = all.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ID", rows[0], StringComparison.Ordinal);
        Assert.Equal(["deny", "require_approval", "allow"], rows.Skip(1).Select(r => Columns(r)[5]));
        Assert.Equal(2, denied.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        using var json = JsonDocument.Parse(byRule.StdOut);
        Assert.Equal("require_approval", Assert.Single(json.RootElement.EnumerateArray()).GetProperty("effect").GetString());
    }

    [Fact]
    public async Task DecisionsShow_Decision_PrintsWhyAndTheRedactedInput()
    {
        var agent = NewAgent();
        var gated = await Rein.RunAsync("gate", "--act-as", agent, "--tool", "payments.refund", "--args", """{"amount": 500}""", "--principal", "u-17", "-o", "json");
        using var decision = JsonDocument.Parse(gated.StdOut);
        var id = decision.RootElement.GetProperty("decisionId").GetString()!;

        var show = await Rein.RunAsync("decisions", "show", id);

        Expect.Exit(ExitCodes.Ok, show);
        Assert.StartsWith($"require_approval: payments.refund for agent {agent} at ", show.StdOut, StringComparison.Ordinal);
        Assert.Contains($"  decision    {id}", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("  policy      refunds version 1 (enforce)", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("  principal   u-17", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("  rules       large refunds go to finance", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("input (after redaction):", show.StdOut, StringComparison.Ordinal);
        Assert.Contains("\"amount\": 500", show.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecisionsShow_UnknownId_FailsWithOneLine()
    {
        var show = await Rein.RunAsync("decisions", "show", "no-such-decision");

        Expect.Exit(ExitCodes.Failed, show);
        Assert.Contains("refused (404)", Expect.OneErrorLine(show), StringComparison.Ordinal);
    }

    private static string[] Columns(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
