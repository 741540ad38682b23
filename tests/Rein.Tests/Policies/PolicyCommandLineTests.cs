using Rein.Cli.Gate;
using Rein.Cli.Policies;
using Rein.Cli.Tests.Cli;
using Rein.Testing;

namespace Rein.Cli.Tests.Policies;

/// <summary>Bounds and command-line mistakes caught before any request: no server needed.</summary>
public sealed class PolicyCommandLineTests : IDisposable
{
    private readonly TempDirectory _folder = new("rein-policy-cli");

    public void Dispose() => _folder.Dispose();

    private Task<ProcessResult> RunAsync(params string[] args) =>
        ReinBinary.RunAsync([.. args, "--server", $"http://127.0.0.1:{Network.FreePort()}", "--api-key", "rein_aaaaaaaaaaaa_" + new string('b', 40)], workingDirectory: _folder.Path);

    [Fact]
    public async Task Push_FileOverMaxPushBytes_IsAUsageErrorWithoutARequest()
    {
        File.WriteAllText(_folder.Combine("huge.yaml"), new string('#', (int)PolicyCommand.MaxPushBytes + 1));

        var push = await RunAsync("policy", "push", "huge.yaml");

        Expect.Exit(ExitCodes.Usage, push);
        Assert.Contains($"huge.yaml is {PolicyCommand.MaxPushBytes + 1} bytes", Expect.OneErrorLine(push), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_MissingFile_IsAUsageError()
    {
        var push = await RunAsync("policy", "push", "missing.yaml");

        Expect.Exit(ExitCodes.Usage, push);
        Assert.Contains("cannot read missing.yaml", Expect.OneErrorLine(push), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("policy", "diff", "p", "1", "2", "--context", "1001")]
    [InlineData("policy", "diff", "p", "0", "2")]
    [InlineData("policy", "diff", "p", "one", "2")]
    [InlineData("policy", "diff", "p", "1", "2", "--context", "x")]
    [InlineData("policy", "activate", "p", "0")]
    [InlineData("policy", "show", "p", "--version", "0")]
    [InlineData("policy", "backtest", "p")]
    [InlineData("policy", "backtest", "p", "--version", "2", "--since", "yesterday")]
    [InlineData("decisions", "list", "--limit", "10001")]
    [InlineData("decisions", "list", "--limit", "abc")]
    [InlineData("decisions", "list", "--effect", "maybe")]
    [InlineData("kill", "tool")]
    public async Task CommandLine_OutOfBoundsOrIncomplete_IsAUsageError(params string[] args)
    {
        var result = await RunAsync(args);

        Expect.Exit(ExitCodes.Usage, result);
    }

    [Theory]
    [InlineData("decisions", "list")]
    [InlineData("policy", "diff", "p", "1", "2")]
    public async Task CommandLine_OptionsLeftAtTheirDefaults_AsksTheServer(params string[] args)
    {
        var result = await RunAsync(args);

        Expect.Exit(ExitCodes.Unreachable, result);
        Assert.Contains("cannot reach Rein", Expect.OneErrorLine(result), StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_LineLongerThanMaxLineLength_IsCut()
    {
        var cut = PolicyText.Clean(new string('x', PolicyText.MaxLineLength + 50));

        Assert.InRange(cut.Length, PolicyText.MaxLineLength, PolicyText.MaxLineLength + 3);
    }

    [Fact]
    public void Details_ReasonWithEscapeSequence_PrintsItVisibly()
    {
        var lines = GateText.Details("d", null, null, [new Rein.Client.DecisionReason("r", "\u001b]0;pwned\u0007")], null, null, null);

        Assert.DoesNotContain(lines, l => l.Contains('\u001b', StringComparison.Ordinal));
    }
}
