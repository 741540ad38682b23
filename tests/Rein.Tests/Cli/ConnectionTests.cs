using Rein.Testing;

namespace Rein.Cli.Tests.Cli;

/// <summary>How rein finds its server and key, and what it says when it cannot use them.</summary>
public sealed class ConnectionTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    [Fact]
    public async Task Status_InTheServersWorkingDirectoryWithoutKey_UsesTheAdminKeyFile()
    {
        var status = await ReinBinary.RunAsync(["status", "--server", rein.Url], workingDirectory: rein.Server.WorkingDirectory);

        Expect.Exit(ExitCodes.Ok, status);
        Assert.Contains("role admin", status.StdOut, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(rein.Server.DataDir, "admin.key"), status.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithReinDataDirAndWithoutKey_UsesTheAdminKeyFileThere()
    {
        using var elsewhere = new TempDirectory();

        var status = await ReinBinary.RunAsync(
            ["status", "--server", rein.Url],
            workingDirectory: elsewhere.Path,
            environment: new Dictionary<string, string?> { ["REIN_DATA_DIR"] = rein.Server.DataDir });

        Expect.Exit(ExitCodes.Ok, status);
        Assert.Contains("role admin", status.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithReinUrlAndReinApiKey_UsesThem()
    {
        using var elsewhere = new TempDirectory();

        var status = await ReinBinary.RunAsync(
            ["keys", "list"],
            workingDirectory: elsewhere.Path,
            environment: new Dictionary<string, string?> { ["REIN_URL"] = rein.Url, ["REIN_API_KEY"] = rein.Server.AdminKey });

        Expect.Exit(ExitCodes.Ok, status);
        Assert.Contains(ReinServerFixture.IdOf(rein.Server.AdminKey), status.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithFlags_OverridesTheEnvironmentVariables()
    {
        var status = await ReinBinary.RunAsync(
            ["status", "--server", rein.Url, "--api-key", rein.Server.AdminKey],
            workingDirectory: Path.GetTempPath(),
            environment: new Dictionary<string, string?> { ["REIN_URL"] = "http://127.0.0.1:1", ["REIN_API_KEY"] = "not-a-key" });

        Expect.Exit(ExitCodes.Ok, status);
    }

    [Fact]
    public async Task Status_ServerNobodyListensOn_ExitsUnreachableWithOneLine()
    {
        var url = $"http://127.0.0.1:{Network.FreePort()}";

        var status = await ReinBinary.RunAsync(["status", "--server", url, "--api-key", rein.Server.AdminKey]);

        Expect.Exit(ExitCodes.Unreachable, status);
        Assert.Equal($"rein: cannot reach Rein at {url} (connection refused). Is 'rein serve' running?", Expect.OneErrorLine(status));
        Assert.Equal("", status.StdOut);
    }

    [Theory]
    [InlineData("rein_short", "malformed")]
    [InlineData("rein_aaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not recognised")]
    public async Task Status_WithBadKey_ExitsUnauthorizedSayingWhy(string apiKey, string why)
    {
        var status = await rein.RunWithKeyAsync(apiKey, "status");

        Expect.Exit(ExitCodes.Unauthorized, status);
        var line = Expect.OneErrorLine(status);
        Assert.StartsWith("rein: unauthorized: ", line, StringComparison.Ordinal);
        Assert.Contains(why, line, StringComparison.Ordinal);
        Assert.Contains("--api-key", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_RemoteServerWithoutKey_ExitsUnauthorizedSayingHowToProvideOne()
    {
        using var elsewhere = new TempDirectory();

        var status = await ReinBinary.RunAsync(["status", "--server", "https://rein.example.invalid"], workingDirectory: elsewhere.Path);

        Expect.Exit(ExitCodes.Unauthorized, status);
        var line = Expect.OneErrorLine(status);
        Assert.Contains("--api-key", line, StringComparison.Ordinal);
        Assert.Contains("REIN_API_KEY", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_LocalServerWithoutKeyOrKeyFile_ExitsUnauthorizedNamingTheFileItLookedFor()
    {
        using var elsewhere = new TempDirectory();

        var status = await ReinBinary.RunAsync(["status", "--server", rein.Url], workingDirectory: elsewhere.Path);

        Expect.Exit(ExitCodes.Unauthorized, status);
        var line = Expect.OneErrorLine(status);
        Assert.Contains(Path.Combine(elsewhere.Path, ".rein", "admin.key"), line, StringComparison.Ordinal);
        Assert.Contains("REIN_API_KEY", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--server", "not a url")]
    [InlineData("--server", "ftp://127.0.0.1")]
    [InlineData("--output", "xml")]
    public async Task Status_WithInvalidGlobalOption_ExitsWithUsageError(string option, string value)
    {
        var status = await ReinBinary.RunAsync(["status", option, value, "--api-key", rein.Server.AdminKey]);

        Expect.Exit(ExitCodes.Usage, status);
        Assert.StartsWith("rein: ", status.StdErr, StringComparison.Ordinal);
        Assert.Contains(value, status.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownSubcommand_ExitsWithUsageError()
    {
        var result = await ReinBinary.RunAsync(["keys", "rotate"]);

        Expect.Exit(ExitCodes.Usage, result);
        Assert.Contains("rotate", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysList_RedirectedOrWithNoColor_PrintsNoEscapeCodes()
    {
        var plain = await rein.RunAsync("keys", "list");
        var noColor = await ReinBinary.RunAsync(
            ["keys", "list", "--server", rein.Url, "--api-key", rein.Server.AdminKey],
            environment: new Dictionary<string, string?> { ["NO_COLOR"] = "1" });

        Expect.Exit(ExitCodes.Ok, plain);
        Expect.Exit(ExitCodes.Ok, noColor);
        Assert.StartsWith("ID ", plain.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', plain.StdOut);
        Assert.DoesNotContain('\u001b', noColor.StdOut);
        Assert.All(plain.StdOut.Split('\n'), line => Assert.Equal(line.TrimEnd(), line));
    }
}
