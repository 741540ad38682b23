using System.Diagnostics;
using System.Text;

namespace Rein.Testing;

/// <summary>What a finished process left behind.</summary>
public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";
}

/// <summary>The real <c>rein</c> executable as built from src/Rein, run as a child process.</summary>
public static class ReinBinary
{
    private static readonly Lazy<string> DllPath = new(Locate);

    /// <summary>Full path of rein.dll for the configuration the tests were built in.</summary>
    public static string Dll => DllPath.Value;

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The dotnet host that runs the tests (set by `dotnet test`), or `dotnet` from PATH.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>A start description for rein with the given arguments; REIN_* variables of the test process are not inherited.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args, string? workingDirectory, IReadOnlyDictionary<string, string?>? environment)
    {
        ChildSignals.EnsureDefaultsForChildren();
        var info = new ProcessStartInfo(DotnetHost)
        {
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("REIN_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        return info;
    }

    /// <summary>Runs rein to completion and returns its exit code and output.</summary>
    public static async Task<ProcessResult> RunAsync(
        IEnumerable<string> args,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? standardInput = null,
        TimeSpan? timeout = null)
    {
        using var process = Process.Start(StartInfo(args, workingDirectory, environment))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"rein {string.Join(' ', args)} did not finish in time.\n{await stdout}\n{await stderr}");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    private static string Locate()
    {
        // Tests run from tests/<Project>/bin/<Configuration>/net10.0; rein is built to src/Rein/bin/<Configuration>/net10.0.
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = baseDir.Name;
        var configuration = baseDir.Parent!.Name;
        var dll = Path.Combine(RepositoryRoot, "src", "Rein", "bin", configuration, framework, "rein.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"rein.dll is not built at {dll}; build the solution first.", dll);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rein.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Rein.slnx above {AppContext.BaseDirectory}.");
    }
}
