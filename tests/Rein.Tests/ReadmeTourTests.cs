using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Rein.Cli.Tests.Cli;
using Rein.Testing;

namespace Rein.Cli.Tests;

/// <summary>
/// README.md's "A short tour", run as written, top to bottom, against a real <c>rein serve</c> on a fresh data folder:
/// every command of its <c>sh</c> blocks goes through bash in order. The README is the only source of the commands; the
/// test stands in for what the README leaves to the reader (the <c>&lt;placeholders&gt;</c>, taken from what earlier
/// commands printed, and "run your instrumented agent", a trace sent with the exported OTLP settings), follows the
/// commands that run until stopped, and fails with the command and its output when any command fails.
/// </summary>
public sealed partial class ReadmeTourTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string TourHeading = "## A short tour";

    [Fact]
    public async Task ReadmeTour_RunsTopToBottom_OnAFreshServer()
    {
        // The tour puts a real MCP server from npm behind Rein (npx finds it in the folder's node_modules).
        McpServers.Bin(McpServers.Everything);
        var commands = TourCommands(await File.ReadAllTextAsync(Path.Combine(ReinBinary.RepositoryRoot, "README.md"), Ct));
        Assert.True(commands.Count > 20, $"the tour has only {commands.Count} commands; did the heading '{TourHeading}' move?");

        using var folder = new TempDirectory("rein-tour");
        Directory.CreateSymbolicLink(folder.Combine("examples"), Path.Combine(ReinBinary.RepositoryRoot, "examples"));
        Directory.CreateSymbolicLink(folder.Combine("node_modules"), Path.Combine(McpServers.Prefix, "node_modules"));
        var bin = Directory.CreateDirectory(folder.Combine(".bin")).FullName;
        var rein = Path.Combine(bin, "rein");
        await File.WriteAllTextAsync(rein, $"#!/bin/sh\nexec '{ReinBinary.DotnetHost}' '{ReinBinary.Dll}' \"$@\"\n", Ct);
        File.SetUnixFileMode(rein, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using var server = await ReinServerProcess.StartAsync(workingDirectory: folder.Path);
        var tour = new Tour(folder.Path, server, new Dictionary<string, string>
        {
            ["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            // The tour's server listens on 127.0.0.1:7346; this one has a free port of its own.
            ["REIN_URL"] = server.Url.AbsoluteUri.TrimEnd('/'),
        });
        foreach (var command in commands)
        {
            await tour.RunAsync(command);
        }
    }

    /// <summary>The commands of the tour's <c>sh</c> blocks in order: a line and the lines it continues with a trailing
    /// backslash; comment lines are kept (one of them is a step for the reader), blank lines are not.</summary>
    public static IReadOnlyList<string> TourCommands(string readme)
    {
        ArgumentNullException.ThrowIfNull(readme);
        var start = readme.IndexOf("\n" + TourHeading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no '{TourHeading}' section.");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = readme[start..(end < 0 ? readme.Length : end)];
        var commands = new List<string>();
        foreach (Match block in ShellBlock().Matches(section))
        {
            var current = new StringBuilder();
            foreach (var line in block.Groups[1].Value.Split('\n'))
            {
                if (current.Length == 0 && line.Trim().Length == 0)
                {
                    continue;
                }

                current.Append(line);
                if (line.EndsWith('\\'))
                {
                    current.Append('\n');
                    continue;
                }

                commands.Add(current.ToString().Trim());
                current.Clear();
            }
        }

        return commands;
    }

    /// <summary>The state of one tour: the exported variables and what each command printed.</summary>
    private sealed class Tour(string folder, ReinServerProcess server, Dictionary<string, string> environment)
    {
        private readonly List<(string Command, ProcessResult Result)> _history = [];

        public async Task RunAsync(string command)
        {
            if (command.StartsWith('#'))
            {
                if (command.Contains("run your instrumented agent", StringComparison.Ordinal))
                {
                    await SendAgentTraceAsync();
                }

                return;
            }

            if (AliasLine().Match(command) is { Success: true } alias)
            {
                // The alias names the build of the repository the reader is in; here the wrapper on PATH is that build.
                Assert.Equal(
                    Path.GetFullPath(ReinBinary.Dll).Replace(Path.Combine("bin", "Release"), Path.Combine("bin", "Debug"), StringComparison.Ordinal),
                    Path.GetFullPath(alias.Groups[1].Value.Replace("$PWD", ReinBinary.RepositoryRoot, StringComparison.Ordinal)));
                return;
            }

            var text = Substitute(command);
            if (ExportLine().Match(text) is { Success: true } export)
            {
                environment[export.Groups[1].Value] = export.Groups[2].Value.Trim('"', '\'');
                return;
            }

            if (text.StartsWith("rein runs tail", StringComparison.Ordinal))
            {
                await FollowTailAsync(text);
            }
            else if (text.StartsWith("rein mcp stdio", StringComparison.Ordinal))
            {
                await BridgeOneRequestAsync(text);
            }
            else
            {
                using var process = Start(text);
                var stdout = process.StandardOutput.ReadToEndAsync(Ct);
                var stderr = process.StandardError.ReadToEndAsync(Ct);
                process.StandardInput.Close();
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await process.WaitForExitAsync(timeout.Token);
                Record(command, new ProcessResult(process.ExitCode, await stdout, await stderr), ExpectedExit(text));
            }
        }

        /// <summary>0, except for <c>rein gate</c>, whose exit code is the decision (docs/cli.md): the tour's comment
        /// names the decision it shows, and the command must answer that.</summary>
        private static int ExpectedExit(string command)
        {
            if (!command.StartsWith("rein gate ", StringComparison.Ordinal))
            {
                return 0;
            }

            var comment = command[(command.LastIndexOf('#') + 1)..];
            return comment.Contains("require_approval", StringComparison.Ordinal) || comment.Contains("confirm", StringComparison.Ordinal) ? 4
                : comment.Contains("deny", StringComparison.Ordinal) ? 3
                : 0;
        }

        /// <summary>What the reader's instrumented agent does: one trace, sent with the settings the tour exported.</summary>
        private async Task SendAgentTraceAsync()
        {
            var trace = await SendTraceAsync();
            using var admin = server.CreateClient();
            await trace.WaitForRunAsync(admin);
        }

        private async Task<OtlpTrace> SendTraceAsync()
        {
            var endpoint = environment.GetValueOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT") ?? throw new Xunit.Sdk.XunitException("the tour runs an agent before it exports OTEL_EXPORTER_OTLP_ENDPOINT");
            var headers = environment.GetValueOrDefault("OTEL_EXPORTER_OTLP_HEADERS") ?? throw new Xunit.Sdk.XunitException("the tour runs an agent before it exports OTEL_EXPORTER_OTLP_HEADERS");
            Assert.Equal("http://127.0.0.1:7346", endpoint);
            var header = headers.Split('=', 2);
            Assert.Equal("Authorization", header[0]);
            using var http = new HttpClient { BaseAddress = server.Url };
            http.DefaultRequestHeaders.TryAddWithoutValidation(header[0], Uri.UnescapeDataString(header[1]));
            var trace = new OtlpTrace("support-bot");
            var root = trace.Root("support-bot", durationMs: 400);
            trace.Chat(root);
            trace.Tool(root, "crm.get_customer");
            await trace.SendAsync(http);
            return trace;
        }

        /// <summary><c>rein runs tail</c> follows until Ctrl-C: it must start following, print a run that finishes while
        /// it runs, and end cleanly on SIGINT.</summary>
        private async Task FollowTailAsync(string text)
        {
            using var process = Start(text);
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            Collect(process, stdout, stderr);
            await WaitForAsync(() => Read(stderr).Contains("Following runs", StringComparison.Ordinal), process, text, stdout, stderr);
            var trace = await SendTraceAsync();
            await WaitForAsync(() => Read(stdout).Contains(trace.TraceId[..8], StringComparison.Ordinal), process, text, stdout, stderr);
            ChildSignals.Send(process.Id, ReinCommandProcess.SIGINT);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            Record(text, new ProcessResult(process.ExitCode, Read(stdout), Read(stderr)));
        }

        /// <summary><c>rein mcp stdio</c> serves MCP on stdin until it closes: one initialize must be answered.</summary>
        private async Task BridgeOneRequestAsync(string text)
        {
            using var process = Start(text);
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            Collect(process, stdout, stderr);
            await process.StandardInput.WriteLineAsync(
                """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"readme-tour","version":"1"}}}""");
            await process.StandardInput.FlushAsync(Ct);
            await WaitForAsync(() => Read(stdout).Contains("\"id\":1", StringComparison.Ordinal), process, text, stdout, stderr);
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            Record(text, new ProcessResult(process.ExitCode, Read(stdout), Read(stderr)));
        }

        private void Record(string command, ProcessResult result, int expectedExit = 0)
        {
            Assert.True(result.ExitCode == expectedExit, $"README tour command failed (expected exit {expectedExit}):\n$ {command}\n{result}");
            _history.Add((command, result));
        }

        /// <summary>Placeholders are what the reader fills in from an earlier command's output.</summary>
        private string Substitute(string command) => Placeholder().Replace(command, m => m.Value switch
        {
            "<the agent key>" => Latest("rein keys create", Expect.KeyValue),
            "<run id>" => Latest("rein runs list", text => RunId().Match(text) is { Success: true } id ? id.Value : throw new Xunit.Sdk.XunitException($"'rein runs list' listed no run:\n{text}")),
            "<request id>" => Latest("rein approvals list", text => RequestId().Match(text) is { Success: true } id ? id.Value : throw new Xunit.Sdk.XunitException($"'rein approvals list' listed no request:\n{text}")),
            _ => throw new Xunit.Sdk.XunitException($"the tour's placeholder {m.Value} in '{command}' is not one this test knows how to fill in; teach ReadmeTourTests.Substitute"),
        });

        private string Latest(string commandPrefix, Func<string, string> find)
        {
            var (_, result) = _history.LastOrDefault(h => h.Command.StartsWith(commandPrefix, StringComparison.Ordinal));
            return result is null
                ? throw new Xunit.Sdk.XunitException($"the tour uses what '{commandPrefix}' prints before it runs it")
                : find(result.StdOut);
        }

        private Process Start(string command)
        {
            var info = new ProcessStartInfo("/bin/bash")
            {
                WorkingDirectory = folder,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // bash -c runs a lone simple command in its own process (exec), so a signal sent to the child reaches it.
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(command);
            foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("REIN_", StringComparison.Ordinal) || k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
            {
                info.Environment.Remove(key);
            }

            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }

            ChildSignals.EnsureDefaultsForChildren();
            return Process.Start(info)!;
        }
    }

    private static void Collect(Process process, StringBuilder stdout, StringBuilder stderr)
    {
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is not null)
        {
            lock (buffer)
            {
                buffer.AppendLine(line);
            }
        }
    }

    private static string Read(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, Process process, string command, StringBuilder stdout, StringBuilder stderr)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(
                !process.HasExited && DateTime.UtcNow < deadline,
                $"README tour command did not do what the tour says{(process.HasExited ? $" (it exited with {process.ExitCode})" : "")}:\n$ {command}\n--- stdout ---\n{Read(stdout)}\n--- stderr ---\n{Read(stderr)}");
            await Task.Delay(100, Ct);
        }
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"^alias rein=""dotnet (\S+)""")]
    private static partial Regex AliasLine();

    [GeneratedRegex(@"^export (\w+)=(.*?)(\s+#.*)?$")]
    private static partial Regex ExportLine();

    [GeneratedRegex("<[a-z][a-z ]*>")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\b[0-9a-f]{32}\b")]
    private static partial Regex RunId();

    [GeneratedRegex(@"\bapr_[0-9a-z]+\b")]
    private static partial Regex RequestId();
}
