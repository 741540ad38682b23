using System.Text.Json;
using System.Text.RegularExpressions;
using Rein.Cli.Tests.Cli;
using Rein.Testing;

namespace Rein.Cli.Tests.Runs;

/// <summary><c>rein runs</c> against a real server, with traces sent as an exporter would. Every test uses agents of
/// its own, so tests sharing the server do not see each other's runs.</summary>
public sealed partial class RunsCommandTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    private static string NewAgent(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task List_WithAgentFilter_ShowsOnlyThatAgentsRunsNewestFirst()
    {
        var agent = NewAgent("list");
        var older = await SendAsync(agent, DateTimeOffset.UtcNow.AddMinutes(-5), t =>
        {
            var root = t.Root(agent);
            t.Chat(root, input: 1000, output: 200);
        });
        var newer = await SendAsync(agent, DateTimeOffset.UtcNow.AddMinutes(-4), t => t.Chat(t.Root(agent), model: "unpriced-model-x"));
        var other = await SendAsync(NewAgent("other"), DateTimeOffset.UtcNow.AddMinutes(-3), t => t.Root("other"));

        var list = await rein.RunAsync("runs", "list", "--agent", agent);

        Expect.Exit(ExitCodes.Ok, list);
        var lines = list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ID", lines[0], StringComparison.Ordinal);
        Assert.Equal([newer.TraceId, older.TraceId], lines.Skip(1).Select(l => l.Split(' ')[0]));
        Assert.DoesNotContain(other.TraceId, list.StdOut, StringComparison.Ordinal);
        var olderRow = Columns(lines[2]);
        Assert.Contains("success", olderRow);
        Assert.Contains("1000/200", olderRow);
        Assert.Contains("$0.0045", olderRow);
        Assert.Equal("?", Columns(lines[1])[^1]);
    }

    [Fact]
    public async Task List_WithStatusErrorsAndJsonOutput_PrintsTheApiObjects()
    {
        var agent = NewAgent("json");
        await SendAsync(agent, DateTimeOffset.UtcNow.AddMinutes(-5), t => t.Root(agent));
        var failed = await SendAsync(agent, DateTimeOffset.UtcNow.AddMinutes(-4), t => t.Tool(t.Root(agent, status: 2), "refund", status: 2, message: "declined"));

        var list = await rein.RunAsync("runs", "list", "--agent", agent, "--status", "failure", "--errors", "-o", "json");

        Expect.Exit(ExitCodes.Ok, list);
        using var json = JsonDocument.Parse(list.StdOut);
        var run = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(failed.TraceId, run.GetProperty("id").GetString());
        Assert.Equal("failure", run.GetProperty("status").GetString());
        Assert.Equal(2, run.GetProperty("errors").GetInt32());
        Assert.Equal(0, run.GetProperty("tokens").GetProperty("input").GetInt64());
    }

    [Fact]
    public async Task List_WithBadSince_IsAUsageError()
    {
        var list = await rein.RunAsync("runs", "list", "--since", "last tuesday");

        Expect.Exit(ExitCodes.Usage, list);
        Assert.Contains("--since: 'last tuesday' is not a duration or a time", list.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_SinceAMinuteAgo_LeavesOutOlderRuns()
    {
        var agent = NewAgent("since");
        var old = await SendAsync(agent, DateTimeOffset.UtcNow.AddMinutes(-30), t => t.Root(agent));
        var recent = await SendAsync(agent, DateTimeOffset.UtcNow.AddSeconds(-20), t => t.Root(agent));

        var list = await rein.RunAsync("runs", "list", "--agent", agent, "--since", "5m", "-o", "json");

        Expect.Exit(ExitCodes.Ok, list);
        using var json = JsonDocument.Parse(list.StdOut);
        Assert.Equal([recent.TraceId], json.RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.NotEqual(old.TraceId, recent.TraceId);
    }

    [Fact]
    public async Task Show_Run_PrintsSpansAsATreeWithOrphansAtTheTop()
    {
        var agent = NewAgent("show");
        var trace = await SendAsync(agent, DateTimeOffset.UtcNow.AddMinutes(-2), t =>
        {
            var root = t.Root(agent, durationMs: 2000);
            t.Chat(root, input: 10, output: 5, startMs: 10);
            var tool = t.Tool(root, "search", startMs: 500, durationMs: 400);
            t.Span("retrieve docs", tool, 600, 100, 1, null, null, ("gen_ai.operation.name", "retrieval"));
            t.Tool(root, "refund", startMs: 1000, durationMs: 50, status: 2, message: "card declined");
            t.Span("late child", OtlpTrace.NewSpanId(), 1500, 20, 0);
        });

        var show = await rein.RunAsync("runs", "show", trace.TraceId);

        Expect.Exit(ExitCodes.Ok, show);
        Assert.StartsWith($"Run {trace.TraceId}: invoke_agent {agent}", show.StdOut, StringComparison.Ordinal);
        var tree = show.StdOut.Split('\n').SkipWhile(l => l.Length > 0).Skip(1).Where(l => l.Length > 0).ToList();
        Assert.Equal(6, tree.Count);
        Assert.StartsWith($"agent invoke_agent {agent}  2.00s", tree[0], StringComparison.Ordinal);
        Assert.StartsWith("  llm chat gpt-4o  200ms  10/5 tokens  $", tree[1], StringComparison.Ordinal);
        Assert.StartsWith("  tool execute_tool search  400ms", tree[2], StringComparison.Ordinal);
        Assert.Matches(@"^    \S+ retrieve docs  100ms", tree[3]);
        Assert.StartsWith("  tool execute_tool refund  50ms", tree[4], StringComparison.Ordinal);
        Assert.EndsWith("ERROR: card declined", tree[4], StringComparison.Ordinal);
        Assert.Matches(@"^\S+ late child  20ms  \(parent not received\)$", tree[5]);
    }

    [Fact]
    public async Task Show_WithJsonOutput_PrintsTheRunAndItsSpans()
    {
        var agent = NewAgent("showjson");
        var trace = await SendAsync(agent, DateTimeOffset.UtcNow.AddMinutes(-2), t => t.Chat(t.Root(agent)));

        var show = await rein.RunAsync("runs", "show", trace.TraceId, "-o", "json");

        Expect.Exit(ExitCodes.Ok, show);
        using var json = JsonDocument.Parse(show.StdOut);
        Assert.Equal(trace.TraceId, json.RootElement.GetProperty("run").GetProperty("id").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("spans").GetArrayLength());
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("spans")[0].GetProperty("startUnixNano").ValueKind);
    }

    [Fact]
    public async Task Show_UnknownRun_FailsWithOneLine()
    {
        var id = Guid.NewGuid().ToString("N");

        var show = await rein.RunAsync("runs", "show", id);

        Expect.Exit(ExitCodes.Failed, show);
        Assert.Contains($"refused (404): project default has no run {id}", Expect.OneErrorLine(show), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_RunThatArrivesAfterItStarted_IsPrintedOnceThenCtrlCExitsOk()
    {
        var agent = NewAgent("tail");
        var before = await SendAsync(agent, DateTimeOffset.UtcNow.AddMinutes(-1), t => t.Root(agent));
        await using var tail = ReinCommandProcess.Start(["runs", "tail", "--agent", agent, "--interval", "200ms", "--server", rein.Url, "--api-key", rein.Server.AdminKey]);
        await tail.WaitForLineAsync("Following runs", stderr: true);

        var after = await SendAsync(agent, DateTimeOffset.UtcNow, t => t.Tool(t.Root(agent, status: 2), "refund", status: 2));
        var line = await tail.WaitForLineAsync(after.TraceId);
        // A few more polls: the run must not be printed again.
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        tail.Signal(ReinCommandProcess.SIGINT);
        var result = await tail.WaitForExitAsync(TimeSpan.FromSeconds(15));

        Expect.Exit(ExitCodes.Ok, result);
        Assert.Contains("failure", line, StringComparison.Ordinal);
        Assert.Contains("2 errors", line, StringComparison.Ordinal);
        Assert.Single(Occurrences(result.StdOut, after.TraceId));
        Assert.DoesNotContain(before.TraceId, result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("rein:", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_RunStillRunningAfterTheWait_IsPrintedAsRunning()
    {
        var agent = NewAgent("tailrun");
        await using var tail = ReinCommandProcess.Start(["runs", "tail", "--agent", agent, "--interval", "200ms", "--running-after", "1s", "--server", rein.Url, "--api-key", rein.Server.AdminKey]);
        await tail.WaitForLineAsync("Following runs", stderr: true);

        // Only a child: the root span (which ends last, so is exported last) has not arrived.
        var trace = await SendAsync(agent, DateTimeOffset.UtcNow, t => t.Chat(OtlpTrace.NewSpanId()), status: "running");
        var line = await tail.WaitForLineAsync(trace.TraceId);

        Assert.Contains("running", line, StringComparison.Ordinal);
    }

    /// <summary>Builds a trace for the agent, sends it with the admin key and waits until the run can be read.</summary>
    private async Task<OtlpTrace> SendAsync(string agent, DateTimeOffset start, Action<OtlpTrace> build, string? status = null)
    {
        var trace = new OtlpTrace(agent, start);
        build(trace);
        using var http = rein.Server.CreateClient();
        await trace.SendAsync(http);
        await trace.WaitForRunAsync(http, status);
        return trace;
    }

    private static List<string> Columns(string row) => [.. Spaces().Split(row.Trim())];

    private static IEnumerable<int> Occurrences(string text, string value)
    {
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            yield return i;
        }
    }

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex Spaces();
}
