using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rein.Server.Approvals;
using Rein.Server.Approvals.Webhooks;
using Rein.Server.Audit;
using Rein.Server.Dashboard;
using Rein.Server.Gateway;
using Rein.Server.Identity;
using Rein.Server.Policies;
using Rein.Server.Traces;

namespace Rein.Server;

/// <summary>How to start a server: where its configuration comes from beyond the defaults.</summary>
public sealed class ReinServerSettings
{
    /// <summary>Folder holding an optional appsettings.json; relative paths in the configuration resolve from the
    /// process's working folder.</summary>
    public string ContentRoot { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>An extra JSON settings file (<c>--config</c>), which must exist.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Settings from command-line flags; they win over everything else.</summary>
    public IReadOnlyDictionary<string, string?> Overrides { get; init; } = new Dictionary<string, string?>();

    /// <summary>Whether <c>REIN_*</c> environment variables are read (tests that run in-process turn it off).</summary>
    public bool ReadEnvironment { get; init; } = true;

    /// <summary>A clock for tests; the system clock otherwise.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Extra logging setup, such as a test's capture provider.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}

/// <summary>Builds the Rein web application: the composition root, read as a table of contents.</summary>
public static class ReinServer
{
    /// <exception cref="ReinConfigurationException">A setting is invalid; the message names it and its source.</exception>
    /// <exception cref="ReinStartupException">The data folder cannot be created, or other users may read or write it.</exception>
    public static WebApplication Build(ReinServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // Not the user's folder: the default builder would read its appsettings.json before Rein can report a
            // malformed one properly (LoadConfiguration reads it instead).
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
            Args = [],
        });

        var configuration = LoadConfiguration(builder.Configuration, settings);
        var options = configuration.Get<ReinOptions>();
        Storage.DataFolder.CreateAndCheck(options.DataDir, options.AllowSharedDataDir);

        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        ConfigureLogging(builder.Logging, settings);

        builder.Services.AddRein(configuration, settings.TimeProvider)
            .AddAudit()
            .AddIdentity()
            .AddTraces()
            .AddPolicies()
            .AddApprovals()
            .AddApprovalWebhooks()
            .AddGateway()
            .AddDashboard();

        var app = builder.Build();
        app.UseRein();
        app.MapRein();
        return app;
    }

    /// <summary>Reads and checks the settings as <c>rein serve</c> would, without building a server (offline commands).</summary>
    /// <exception cref="ReinConfigurationException">A setting is invalid.</exception>
    public static ReinConfiguration LoadConfiguration(ReinServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var configuration = new ConfigurationManager();
        return LoadConfiguration(configuration, settings);
    }

    private static ReinConfiguration LoadConfiguration(ConfigurationManager configuration, ReinServerSettings settings)
    {
        configuration.Sources.Clear();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft"] = "Warning",
            // Rein logs its own "listening" line (event 1001); the framework's would also name its content root, which is
            // not where appsettings.json is read from and only misleads.
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            // Keys are kept unencrypted in Rein's own database on purpose (docs/operations.md); the warning says nothing new.
            ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
            // The MCP SDK logs three lines per request at Information; the gateway logs what matters (connections,
            // failures, sessions) itself.
            ["Logging:LogLevel:ModelContextProtocol"] = "Warning",
        });
        try
        {
            configuration.AddJsonFile(Path.Combine(settings.ContentRoot, "appsettings.json"), optional: true, reloadOnChange: false);
            if (settings.ConfigFile is { } file)
            {
                var path = Path.GetFullPath(file);
                if (!File.Exists(path))
                {
                    throw new ReinConfigurationException([$"--config: the file {path} does not exist"]);
                }

                configuration.AddJsonFile(path, optional: false, reloadOnChange: false);
            }
        }
        catch (InvalidDataException e)
        {
            throw new ReinConfigurationException([$"{e.Message} {e.InnerException?.Message}".Trim()]);
        }

        if (settings.ReadEnvironment)
        {
            configuration.AddEnvironmentVariables("REIN_");
        }

        configuration.AddInMemoryCollection(settings.Overrides);
        return ReinConfiguration.Load(configuration);
    }

    private static void ConfigureLogging(ILoggingBuilder logging, ReinServerSettings settings)
    {
        logging.ClearProviders();
        // One line per entry; the hosting scope puts the request id on every line logged while serving a request.
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.IncludeScopes = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.None);
        settings.ConfigureLogging?.Invoke(logging);
    }
}
