using System.Diagnostics;

namespace Rein.Testing;

/// <summary>
/// Real MCP servers from npm for gateway tests: <c>@modelcontextprotocol/server-everything</c> and
/// <c>server-filesystem</c>, installed once into <c>tests/.npm</c> (git-ignored). <c>.ci/run</c> installs them before the
/// tests; locally the first test that needs them installs them when Node.js is there, and skips otherwise.
/// </summary>
public static class McpServers
{
    public const string Everything = "mcp-server-everything";

    public const string Filesystem = "mcp-server-filesystem";

    /// <summary>The packages, one per line in <c>tests/npm-packages.txt</c> (which <c>.ci/run</c> installs too).</summary>
    private static string[] Packages => File.ReadAllLines(Path.Combine(ReinBinary.RepositoryRoot, "tests", "npm-packages.txt")).Where(l => l.Length > 0).ToArray();

    private static readonly Lazy<string?> Installed = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A small scripted MCP server (node, stdio) whose <c>lookup</c> tool's description comes from
    /// <c>LOOKUP_DESCRIPTION</c>, with a <c>crash</c> and a <c>slow</c> tool: what the npm servers cannot do on demand.</summary>
    public static string ScriptedServer => Path.Combine(AppContext.BaseDirectory, "scripted-mcp-server.js");

    public static string Prefix => Path.Combine(ReinBinary.RepositoryRoot, "tests", ".npm");

    /// <summary>The path of an installed server's executable, installing the packages first if needed; skips the test
    /// (fails it in CI) when Node.js or npm is missing.</summary>
    public static string Bin(string name)
    {
        if (Installed.Value is { } problem)
        {
            Requirements.Unavailable(problem);
        }

        return Path.Combine(Prefix, "node_modules", ".bin", name);
    }

    private static string? Install()
    {
        if (File.Exists(Path.Combine(Prefix, "node_modules", ".bin", Everything)) && File.Exists(Path.Combine(Prefix, "node_modules", ".bin", Filesystem)))
        {
            return null;
        }

        if (Requirements.FindExecutable("npm", "/usr/bin/npm", "/usr/local/bin/npm") is not { } npm || Requirements.FindExecutable("node", "/usr/bin/node", "/usr/local/bin/node") is null)
        {
            return "Node.js and npm are needed to install the MCP servers the gateway tests run (apt-get install nodejs npm).";
        }

        Directory.CreateDirectory(Prefix);

        // Test assemblies run in parallel processes: one installs, the others wait on the lock file.
        using var lockFile = WaitForLock(Path.Combine(Prefix, ".install.lock"));
        if (File.Exists(Path.Combine(Prefix, "node_modules", ".bin", Everything)) && File.Exists(Path.Combine(Prefix, "node_modules", ".bin", Filesystem)))
        {
            return null;
        }

        var info = new ProcessStartInfo(npm) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["install", "--no-audit", "--no-fund", "--no-save", "--prefix", Prefix, .. Packages])
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            return "npm install of the MCP servers did not finish in 5 minutes.";
        }

        return process.ExitCode == 0 ? null : $"npm install of the MCP servers failed (exit {process.ExitCode}): {stderr.Result}{stdout.Result}";
    }

    private static FileStream WaitForLock(string path)
    {
        var deadline = DateTime.UtcNow.AddMinutes(6);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }
}
