using Rein.Server.Storage;

namespace Rein.Server;

/// <summary>A settings class of one capability: defaults in initialisers, and the checks that stop a start.</summary>
public interface IReinSettings
{
    /// <summary>Problems with the values, each as (property name, what is wrong).</summary>
    IEnumerable<(string Key, string Problem)> Validate();
}

/// <summary>Settings of the host itself, read from the top level of the configuration
/// (<c>REIN_DATABASE</c>, <c>--database</c>, <c>"Database"</c> in appsettings.json all set <see cref="Database"/>).</summary>
public sealed class ReinOptions : IReinSettings
{
    /// <summary>The fixed default port: 7346 spells REIN on a phone keypad.</summary>
    public const int DefaultPort = 7346;

    public const string DefaultUrls = "http://127.0.0.1:7346";

    /// <summary>Where to listen, ';'-separated. Loopback by default: exposing Rein is a decision, not an accident.</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary>Folder for the SQLite database and admin.key.</summary>
    public string DataDir { get; set; } = ".rein";

    /// <summary>Start even when other users may read the data folder or its group may write it (refused by default:
    /// the folder holds the database, with the dashboard's data-protection keys, and admin.key).</summary>
    public bool AllowSharedDataDir { get; set; }

    /// <summary>Empty for SQLite in <see cref="DataDir"/>; a PostgreSQL connection string or URL; or sqlite:&lt;path&gt;.</summary>
    public string? Database { get; set; }

    /// <summary>How long SIGTERM waits for in-flight requests before closing connections.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Proxies (addresses or CIDR networks, ';'-separated) whose X-Forwarded-For and X-Forwarded-Proto headers
    /// are believed. Empty: none, the headers are ignored. Needed behind a TLS-terminating proxy so that Rein knows the
    /// client used HTTPS (dashboard cookies are then marked Secure) and logs the client's address.</summary>
    public string TrustedProxies { get; set; } = "";

    /// <summary>Largest request body any endpoint reads, unless an endpoint sets its own (OTLP ingest does).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        foreach (var url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).DefaultIfEmpty(""))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/" || uri.Host.Length == 0)
            {
                yield return (nameof(Urls), $"'{url}' is not a listening address like http://127.0.0.1:{DefaultPort} (http only: terminate TLS in a proxy in front of Rein)");
            }
        }

        if (string.IsNullOrWhiteSpace(DataDir))
        {
            yield return (nameof(DataDir), "must name a folder");
        }
        else if (!DatabaseTarget.TryParse(Database, DataDir, out _, out var error))
        {
            yield return (nameof(Database), error!);
        }

        foreach (var proxy in TrustedProxyList())
        {
            if (!System.Net.IPAddress.TryParse(proxy, out _) && !System.Net.IPNetwork.TryParse(proxy, out _))
            {
                yield return (nameof(TrustedProxies), $"'{proxy}' is not an IP address or a CIDR network such as 10.0.0.0/8");
            }
        }

        if (ShutdownTimeout <= TimeSpan.Zero || ShutdownTimeout > TimeSpan.FromMinutes(10))
        {
            yield return (nameof(ShutdownTimeout), "must be more than 0 and at most 10 minutes");
        }

        if (MaxRequestBodyBytes is < 1024 or > 1024L * 1024 * 1024)
        {
            yield return (nameof(MaxRequestBodyBytes), "must be between 1024 (1 KiB) and 1073741824 (1 GiB)");
        }
    }

    public IEnumerable<string> TrustedProxyList() =>
        TrustedProxies.Split(';', ',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public DatabaseTarget ResolveDatabase()
    {
        Storage.DatabaseTarget.TryParse(Database, DataDir, out var target, out var error);
        return target ?? throw new ReinStartupException($"Database: {error}");
    }
}
