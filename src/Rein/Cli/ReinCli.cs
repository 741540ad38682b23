using System.CommandLine;
using Rein.Cli.Serve;

namespace Rein.Cli;

/// <summary>The <c>rein</c> command tree.</summary>
public static class ReinCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        return await parse.InvokeAsync(new InvocationConfiguration
        {
            // `rein serve` drains in-flight requests on SIGINT/SIGTERM itself (for up to ShutdownTimeout);
            // System.CommandLine's own handler would cut that short.
            ProcessTerminationTimeout = null,
        });
    }

    public static RootCommand Build()
    {
        var root = new RootCommand("Rein: the control plane for autonomous AI agents.");
        root.Subcommands.Add(ServeCommand.Create());
        return root;
    }
}
