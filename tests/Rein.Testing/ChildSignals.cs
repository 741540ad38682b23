using System.Runtime.InteropServices;

namespace Rein.Testing;

/// <summary>
/// A shell without job control starts background commands with SIGINT and SIGQUIT ignored, and an ignored signal stays
/// ignored in every child: a test run started that way (<c>./.ci/run &amp;</c>) would start rein deaf to Ctrl-C, and the
/// tests that send it SIGINT would fail for a reason that is not rein's. Before the first child starts, a signal this
/// process ignores is set back to its default, which children then inherit. A signal this process handles (the .NET
/// runtime's own handler) is left alone.
/// </summary>
public static partial class ChildSignals
{
    private const int SIGINT = 2;
    private const int SIGQUIT = 3;
    private static readonly nint Ignore = 1;
    private static readonly Lazy<bool> Done = new(Restore);

    public static void EnsureDefaultsForChildren() => _ = Done.Value;

    /// <summary>Sends a POSIX signal (SIGINT, SIGTERM) to a child process; fails when it cannot be sent.</summary>
    public static void Send(int processId, int signal)
    {
        if (kill(processId, signal) != 0)
        {
            throw new InvalidOperationException($"kill({processId}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    private static bool Restore()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        foreach (var number in new[] { SIGINT, SIGQUIT })
        {
            // struct sigaction on Linux begins with the handler; the rest (mask, flags, restorer) fits in 256 bytes.
            var old = new byte[256];
            if (sigaction(number, 0, old) == 0 && BitConverter.ToInt64(old, 0) == Ignore)
            {
                signal(number, 0);
            }
        }

        return true;
    }

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static partial int sigaction(int signum, nint act, [Out] byte[] oldact);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint signal(int signum, nint handler);
}
