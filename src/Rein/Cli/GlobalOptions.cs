using System.CommandLine;

namespace Rein.Cli;

/// <summary>The options every client command takes (recursive, so they go before or after the subcommand).</summary>
public sealed class GlobalOptions
{
    public const string Table = "table";
    public const string Json = "json";

    public Option<string?> Server { get; } = new("--server")
    {
        Description = $"The Rein server's address [env: REIN_URL] [default: {Connection.DefaultServer}]",
        HelpName = "url",
        Recursive = true,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "The API key [env: REIN_API_KEY] [default on this machine's server: .rein/admin.key, or admin.key in $REIN_DATA_DIR]",
        HelpName = "key",
        Recursive = true,
    };

    public Option<string> Output { get; } = new Option<string>("--output", "-o")
    {
        Description = "table for people, json (the server's objects, indented) for scripts",
        DefaultValueFactory = _ => Table,
        Recursive = true,
    }.AcceptOnlyFromAmong(Table, Json);

    public void AddTo(Command root)
    {
        root.Options.Add(Server);
        root.Options.Add(ApiKey);
        root.Options.Add(Output);
    }
}
