using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Rein.Testing;

/// <summary>
/// A <c>rein</c> command that keeps running (<c>rein runs tail</c>): started, watched while it runs, signalled, and
/// killed on dispose if it is still there.
/// </summary>
public sealed partial class ReinCommandProcess : IAsyncDisposable
{
    public const int SIGINT = 2;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private ReinCommandProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string StdOut
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StdErr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static ReinCommandProcess Start(IEnumerable<string> args, string? workingDirectory = null) =>
        new(Process.Start(ReinBinary.StartInfo(args, workingDirectory ?? Path.GetTempPath(), null))!);

    /// <summary>Waits until stdout (or stderr) holds a line containing the text; fails the test after the timeout.</summary>
    public async Task<string> WaitForLineAsync(string text, bool stderr = false, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = (stderr ? StdErr : StdOut).Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }

            Assert.True(!_process.HasExited && DateTime.UtcNow < deadline, $"rein never wrote '{text}'{(_process.HasExited ? $" (it exited with {_process.ExitCode})" : "")}.\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>Waits for the exit and returns what the process left behind.</summary>
    public async Task<ProcessResult> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return new ProcessResult(_process.ExitCode, StdOut, StdErr);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
