using Rein.Cli.Tests.Cli;
using Rein.Testing;

namespace Rein.Cli.Tests.Approvals;

/// <summary>Bad input to the approvals commands is a usage error (exit 2) that names the option and what is wrong, said
/// before any request: these run against a port where nothing listens.</summary>
public sealed class ApprovalsCommandLineTests
{
    private static Task<ProcessResult> RunAsync(params string[] args) =>
        ReinBinary.RunAsync([.. args, "--server", $"http://127.0.0.1:{Network.FreePort()}", "--api-key", "rein_aaaaaaaaaaaa_" + new string('b', 40)]);

    [Theory]
    [InlineData("--args: not JSON at character 14: The JSON object contains a trailing comma at the end which is not supported in this mode", "approvals", "approve", "apr_1", "--args", """{"amount": 5,}""")]
    [InlineData("--args: not JSON at character 2: 'a' is an invalid start of a property name", "approvals", "approve", "apr_1", "--args", "{amount: 5}")]
    [InlineData("--args: expected a JSON object", "approvals", "approve", "apr_1", "--args", "[200]")]
    [InlineData("--limit: 'abc' is not a number of requests: use a whole number from 1 to 10000", "approvals", "list", "--limit", "abc")]
    [InlineData("--limit: '0' is not a number of requests", "approvals", "list", "-n", "0")]
    [InlineData("--status: 'nope' is not a status; use pending, approved, rejected, expired, all", "approvals", "list", "--status", "nope")]
    [InlineData("--since: '400d' is out of range: use a duration from 1s to 366d", "approvals", "stats", "--since", "400d")]
    [InlineData("--since: 'yesterday' is not a duration", "approvals", "export", "--since", "yesterday")]
    [InlineData("--format: 'csv' is not an export format; use jsonl", "approvals", "export", "--format", "csv")]
    [InlineData("--timeout: '8d' is out of range: use a duration from 1s to 7d", "approvals", "wait", "apr_1", "--timeout", "8d")]
    [InlineData("--timeout: '5' is not a duration", "approvals", "wait", "apr_1", "--timeout", "5")]
    [InlineData("--expiry: '30s' is out of range: use a duration from 1m to 7d, or 'default'", "approvals", "queues", "set", "finance", "--expiry", "30s")]
    [InlineData("Option '--expiry' is required", "approvals", "queues", "set", "finance")]
    [InlineData("--url: 'ftp://hooks.example.com' is not an http:// or https:// address", "approvals", "webhook", "set", "finance", "--url", "ftp://hooks.example.com")]
    [InlineData("--queues: only an approver key can be limited to approval queues; this key's role is agent", "keys", "create", "--name", "bot", "--role", "agent", "--queues", "finance")]
    [InlineData("--queues: 'finance,,ops' has an empty queue name", "keys", "create", "--name", "ann", "--role", "approver", "--queues", "finance,,ops")]
    public async Task Command_BadInput_IsAUsageErrorNamingTheProblem(string expected, params string[] args)
    {
        var result = await RunAsync(args);

        Expect.Exit(ExitCodes.Usage, result);
        Assert.Contains("rein: " + expected, result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    [Fact]
    public async Task WebhookSet_SecretFileThatCannotBeRead_IsAUsageErrorNamingTheFile()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"rein-no-secret-{Guid.NewGuid():N}");

        var result = await RunAsync("approvals", "webhook", "set", "finance", "--url", "https://hooks.example.com/x", "--secret-file", missing);

        Expect.Exit(ExitCodes.Usage, result);
        Assert.StartsWith($"rein: --secret-file: cannot read {missing}", Expect.OneErrorLine(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebhookSet_EmptySecretFile_IsAUsageError()
    {
        using var folder = new TempDirectory("rein-secret");
        var file = folder.Combine("secret");
        await File.WriteAllTextAsync(file, "  \n", TestContext.Current.CancellationToken);

        var result = await RunAsync("approvals", "webhook", "set", "finance", "--url", "https://hooks.example.com/x", "--secret-file", file);

        Expect.Exit(ExitCodes.Usage, result);
        Assert.Equal($"rein: --secret-file: {file} is empty", Expect.OneErrorLine(result));
    }

    [Fact]
    public async Task WebhookSet_SecretFileLargerThanAnySecret_IsAUsageError()
    {
        using var folder = new TempDirectory("rein-secret");
        var file = folder.Combine("secret");
        await File.WriteAllTextAsync(file, new string('s', 5000), TestContext.Current.CancellationToken);

        var result = await RunAsync("approvals", "webhook", "set", "finance", "--url", "https://hooks.example.com/x", "--secret-file", file);

        Expect.Exit(ExitCodes.Usage, result);
        Assert.Contains("holds more than 4096 bytes", Expect.OneErrorLine(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_OutputInAFolderThatDoesNotExist_IsAUsageErrorAndWritesNothing()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rein-no-folder-{Guid.NewGuid():N}", "decisions.jsonl");

        var result = await RunAsync("approvals", "export", "--output", file);

        Expect.Exit(ExitCodes.Usage, result);
        Assert.StartsWith("rein: --output: the folder ", Expect.OneErrorLine(result), StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task Export_ServerDown_LeavesNoFileBehind()
    {
        using var folder = new TempDirectory("rein-export");
        var file = folder.Combine("decisions.jsonl");

        var result = await RunAsync("approvals", "export", "--output", file);

        Expect.Exit(ExitCodes.Unreachable, result);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Theory]
    [InlineData("approvals", "queues", "set", "finance", "--expiry", "default")]
    [InlineData("approvals", "queues", "set", "finance", "--expiry", "45m")]
    [InlineData("approvals", "export", "-o", "json", "--output", "-")]
    [InlineData("approvals", "list", "--status", "all", "--queue", "finance", "-n", "5")]
    [InlineData("gate", "--agent", "a", "--tool", "t", "--approval-token", "rat_x")]
    public async Task Command_GoodInput_ParsesAndOnlyFailsToReachTheServer(params string[] args)
    {
        var result = await RunAsync(args);

        Assert.Contains("cannot reach Rein", Expect.OneErrorLine(result), StringComparison.Ordinal);
        Assert.True(result.ExitCode is ExitCodes.Unreachable or ExitCodes.Failed, result.ToString());
    }

    [Fact]
    public async Task Wait_ServerDown_ExitsOneNotTheRejectedCode()
    {
        var result = await RunAsync("approvals", "wait", "apr_1", "--timeout", "1s");

        Expect.Exit(ExitCodes.Failed, result);
        Assert.Contains("cannot reach Rein", Expect.OneErrorLine(result), StringComparison.Ordinal);
    }
}
