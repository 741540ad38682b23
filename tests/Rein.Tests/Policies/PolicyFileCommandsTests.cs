using System.Text.Json;
using Rein.Cli.Tests.Cli;
using Rein.Testing;

namespace Rein.Cli.Tests.Policies;

/// <summary><c>rein policy check|test</c> run as a process with no server: they work offline.</summary>
public sealed class PolicyFileCommandsTests : IDisposable
{
    private readonly TempDirectory _folder = new("rein-policy");

    public void Dispose() => _folder.Dispose();

    private Task<ProcessResult> RunAsync(params string[] args) =>
        ReinBinary.RunAsync([.. args, "--server", "http://127.0.0.1:9"], workingDirectory: _folder.Path);

    [Fact]
    public async Task Check_ValidFile_SaysOkAndExitsZero()
    {
        var file = PolicyFiles.Write(_folder, "refunds.yaml", PolicyFiles.Refunds("refunds"));

        var check = await RunAsync("policy", "check", file);

        Expect.Exit(ExitCodes.Ok, check);
        Assert.Equal("refunds.yaml: ok (policy refunds, enforce, 3 rules, 2 tests)", check.StdOut.Trim());
        Assert.Equal("", check.StdErr);
    }

    [Fact]
    public async Task Check_FileWithProblems_PrintsEachAsFileLineColumnAndExitsOne()
    {
        var good = PolicyFiles.Write(_folder, "good.yaml", PolicyFiles.Refunds("good"));
        var bad = PolicyFiles.Write(_folder, "bad.yaml", "name: bad\nagents: [\"*\"]\ndefault: deny\nrules:\n  - name: r\n    tools: [\"x\"]\n    efect: allow\n  - name: s\n    tools: [\"y\"]\n    when: args.amount >\n    effect: deny\n");

        var check = await RunAsync("policy", "check", good, bad);

        Expect.Exit(ExitCodes.Failed, check);
        var lines = check.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("good.yaml: ok", lines[0], StringComparison.Ordinal);
        var problems = lines.Skip(1).ToList();
        Assert.True(problems.Count >= 2, check.ToString());
        Assert.All(problems, l => Assert.Matches(@"^bad\.yaml:\d+:\d+: \S", l));
        Assert.Contains(problems, l => l.StartsWith("bad.yaml:7:5: ", StringComparison.Ordinal) && l.Contains("efect", StringComparison.Ordinal));
        Assert.Contains(problems, l => l.StartsWith("bad.yaml:10:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_MissingFile_IsAProblemOfThatFile()
    {
        var check = await RunAsync("policy", "check", "nowhere.yaml");

        Expect.Exit(ExitCodes.Failed, check);
        Assert.StartsWith("nowhere.yaml:1:1: cannot read the file: ", check.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_FileOverTheSizeLimit_IsRefusedWithoutReadingIt()
    {
        File.WriteAllText(_folder.Combine("huge.yaml"), "# " + new string('x', (256 * 1024) + 1));

        var check = await RunAsync("policy", "check", "huge.yaml");

        Expect.Exit(ExitCodes.Failed, check);
        Assert.Equal("huge.yaml:1:1: the policy file is larger than 262144 bytes", check.StdOut.Trim());
    }

    [Fact]
    public async Task Check_JsonOutput_ListsEveryFileWithItsProblems()
    {
        var bad = PolicyFiles.Write(_folder, "bad.yaml", "name: bad\n");

        var check = await RunAsync("policy", "check", bad, "-o", "json");

        Expect.Exit(ExitCodes.Failed, check);
        using var json = JsonDocument.Parse(check.StdOut);
        var file = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("bad.yaml", file.GetProperty("file").GetString());
        Assert.False(file.GetProperty("valid").GetBoolean());
        Assert.True(file.GetProperty("problems").GetArrayLength() > 0);
        Assert.Equal(1, file.GetProperty("problems")[0].GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task Test_PassingTests_PrintsPassPerTestAndTheSummary()
    {
        var file = PolicyFiles.Write(_folder, "refunds.yaml", PolicyFiles.Refunds("refunds"));

        var test = await RunAsync("policy", "test", file);

        Expect.Exit(ExitCodes.Ok, test);
        Assert.Equal(
            ["refunds.yaml: policy refunds", "  PASS  big refund needs finance", "  PASS  small refund is allowed", "2 passed, 0 failed"],
            test.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Test_FailingTestAndABrokenFile_ReportsEachAndExitsOne()
    {
        var failing = PolicyFiles.Write(_folder, "failing.yaml", PolicyFiles.WithFailingTest("failing"));
        var broken = PolicyFiles.Write(_folder, "broken.yaml", "name: broken\nagents: [\"*\"]\n");

        var test = await RunAsync("policy", "test", failing, broken);

        Expect.Exit(ExitCodes.Failed, test);
        var lines = test.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("failing.yaml: policy failing", lines[0]);
        Assert.Equal("  PASS  lookups are allowed", lines[1]);
        Assert.Matches(@"^  FAIL  wishful \(line \d+\): expected effect allow, got deny", lines[2]);
        Assert.Contains(lines, l => l.StartsWith("broken.yaml:", StringComparison.Ordinal));
        Assert.Equal("1 passed, 1 failed, 1 file with problems", lines[^1]);
    }

    [Fact]
    public async Task Test_JsonOutput_HasEveryTestWithItsEffect()
    {
        var file = PolicyFiles.Write(_folder, "failing.yaml", PolicyFiles.WithFailingTest("failing"));

        var test = await RunAsync("policy", "test", file, "-o", "json");

        Expect.Exit(ExitCodes.Failed, test);
        using var json = JsonDocument.Parse(test.StdOut);
        var tests = Assert.Single(json.RootElement.EnumerateArray()).GetProperty("tests");
        Assert.Equal(["allow", "deny"], tests.EnumerateArray().Select(t => t.GetProperty("effect").GetString()));
        Assert.Equal([true, false], tests.EnumerateArray().Select(t => t.GetProperty("passed").GetBoolean()));
    }

    [Fact]
    public async Task Test_ExamplePolicyOfTheRepository_PassesEveryTest()
    {
        var example = Path.Combine(ReinBinary.RepositoryRoot, "examples", "policies", "support-bot.yaml");

        var test = await RunAsync("policy", "test", example);

        Expect.Exit(ExitCodes.Ok, test);
        Assert.Matches(@"^\d+ passed, 0 failed$", test.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.DoesNotContain("FAIL", test.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_NoFiles_IsAUsageError()
    {
        var check = await RunAsync("policy", "check");

        Expect.Exit(ExitCodes.Usage, check);
    }
}
