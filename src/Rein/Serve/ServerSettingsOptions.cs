using System.CommandLine;
using Rein.Server;

namespace Rein.Cli.Serve;

/// <summary>The flags that say where a server's data lives (<c>--data-dir</c>, <c>--database</c>, <c>--config</c>),
/// shared by <c>rein serve</c> and by the offline commands that must open the same database.</summary>
public sealed class ServerSettingsOptions
{
    public Option<string?> DataDir { get; } = new("--data-dir") { Description = "Folder for the SQLite database and admin.key (default ./.rein)." };

    public Option<string?> Database { get; } = new("--database") { Description = "PostgreSQL connection string or URL, or sqlite:<path> (default: SQLite in the data folder)." };

    public Option<string?> Config { get; } = new("--config") { Description = "An extra JSON settings file." };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(DataDir);
        command.Options.Add(Database);
        command.Options.Add(Config);
    }

    /// <summary>The settings these flags (plus any other given ones) make; a flag that was not passed sets nothing.</summary>
    public ReinServerSettings ToSettings(ParseResult parse, params (string Key, string? Value)[] others)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var overrides = new Dictionary<string, string?>();
        foreach (var (key, value) in others.Append(("DataDir", parse.GetValue(DataDir))).Append(("Database", parse.GetValue(Database))))
        {
            if (value is not null)
            {
                overrides[key] = value;
            }
        }

        return new ReinServerSettings { Overrides = overrides, ConfigFile = parse.GetValue(Config) };
    }
}
