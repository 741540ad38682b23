using System.CommandLine;
using Rein.Client;

namespace Rein.Cli;

/// <summary>What a command that talks to a server gets: the parsed command line, a connected client and the output.</summary>
public sealed record CliContext(ParseResult Parse, ReinClient Client, CliOutput Output, Connection Connection);

public static class ApiCommand
{
    /// <summary>How long one request may take before the CLI gives up on the server.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs the action with a client for the resolved server and key, and reports any failure as one line. A
    /// command whose own exit codes could be mistaken for a failure's (<c>rein gate</c>) passes the one code every failure
    /// exits with.</summary>
    public static void SetApiAction(this Command command, GlobalOptions globals, Func<CliContext, CancellationToken, Task<int>> action, int? failureExitCode = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(globals);
        command.SetAction(async (parse, cancellationToken) =>
        {
            Connection? connection = null;
            try
            {
                connection = Connection.Resolve(parse.GetValue(globals.Server), parse.GetValue(globals.ApiKey), Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory());
                using var http = new HttpClient { BaseAddress = connection.Server, Timeout = RequestTimeout };
                ReinClient client;
                try
                {
                    client = new ReinClient(http, connection.ApiKey);
                }
                catch (ArgumentException)
                {
                    throw new CliException(ExitCodes.Unauthorized, $"unauthorized: the API key from {connection.KeySource} is malformed (it holds spaces or control characters)");
                }

                using (client)
                {
                    var output = CliOutput.Create(parse.GetValue(globals.Output) ?? GlobalOptions.Table);
                    return await action(new CliContext(parse, client, output, connection), cancellationToken);
                }
            }
            catch (Exception e)
            {
                var code = Failures.Report(e, connection, Console.Error);
                return failureExitCode ?? code;
            }
        });
    }
}
