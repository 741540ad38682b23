using Npgsql;

namespace Rein.Server.Storage;

/// <summary>
/// The <c>Database</c> setting, read: empty means SQLite in the data folder; <c>sqlite:&lt;path&gt;</c> means SQLite at
/// that path; a PostgreSQL keyword connection string (<c>Host=...;Database=...</c>) or URL
/// (<c>postgresql://user:password@host:port/db</c>) means PostgreSQL.
/// </summary>
public sealed record DatabaseTarget(DatabaseKind Kind, string Value)
{
    public const string SqliteFileName = "rein.db";

    /// <summary>Reads the setting; on failure returns an error that never repeats the connection string (it may hold a password).</summary>
    public static bool TryParse(string? setting, string dataDir, out DatabaseTarget? target, out string? error)
    {
        target = null;
        error = null;
        var value = setting?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            target = new DatabaseTarget(DatabaseKind.Sqlite, Path.GetFullPath(Path.Combine(dataDir, SqliteFileName)));
            return true;
        }

        if (value.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = value["sqlite:".Length..].Trim();
            if (path.Length == 0)
            {
                error = "'sqlite:' must be followed by a file path, as in sqlite:/var/lib/rein/rein.db";
                return false;
            }

            target = new DatabaseTarget(DatabaseKind.Sqlite, Path.GetFullPath(path));
            return true;
        }

        try
        {
            var connectionString = value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
                                   value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? FromUrl(value)
                : value;
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrEmpty(builder.Host))
            {
                error = "a PostgreSQL connection string needs a Host (Host=...;Database=...;Username=...), or use postgresql://user@host/db, or sqlite:<path>";
                return false;
            }

            target = new DatabaseTarget(DatabaseKind.Postgres, builder.ConnectionString);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException)
        {
            error = $"not a PostgreSQL connection string or URL, nor sqlite:<path> ({Describe(e)})";
            return false;
        }
    }

    private static string Describe(Exception e) => e switch
    {
        // Npgsql names the keyword it could not set; never echo a value, which may be a password.
        ArgumentException { ParamName: { Length: > 0 } keyword } => $"'{keyword}' is an unknown keyword or has a value that does not parse",
        ArgumentException => "it does not have the form Key=value;Key=value",
        UriFormatException => "the URL does not parse",
        _ => "a value does not parse",
    };

    private static string FromUrl(string url)
    {
        var uri = new Uri(url);
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (!uri.IsDefaultPort && uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var val = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            // libpq spells it sslmode; Npgsql spells it "SSL Mode". Other keys pass through unchanged.
            builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = val;
        }

        return builder.ConnectionString;
    }

    public ReinDatabase Open() => Kind == DatabaseKind.Sqlite
        ? new SqliteReinDatabase(Value)
        : new PostgresReinDatabase(Value);
}
