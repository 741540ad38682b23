using Rein.Testing;

namespace Rein.Cli.Tests.Cli;

/// <summary>A --limit that is not a whole number in range is a usage error naming the option, never a crash.</summary>
public sealed class LimitOptionTests
{
    private static Task<ProcessResult> RunAsync(params string[] args) =>
        ReinBinary.RunAsync([.. args, "--server", $"http://127.0.0.1:{Network.FreePort()}", "--api-key", "rein_aaaaaaaaaaaa_" + new string('b', 40)]);

    [Theory]
    [InlineData("runs", "list", "--limit", "abc")]
    [InlineData("runs", "list", "--limit", "0")]
    [InlineData("runs", "list", "-n", "-3")]
    [InlineData("audit", "list", "--limit", "abc")]
    [InlineData("audit", "list", "--limit", "0")]
    public async Task List_LimitNotAWholeNumberInRange_IsAUsageErrorNamingTheOption(params string[] args)
    {
        var result = await RunAsync(args);

        Expect.Exit(ExitCodes.Usage, result);
        Assert.Contains("--limit", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
    }
}
