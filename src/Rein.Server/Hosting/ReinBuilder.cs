using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rein.Server.Approvals;
using Rein.Server.Approvals.Webhooks;
using Rein.Server.Audit;
using Rein.Server.Dashboard;
using Rein.Server.Gateway;
using Rein.Server.Identity;
using Rein.Server.Policies;
using Rein.Server.Storage;
using Rein.Server.Traces;

namespace Rein.Server;

/// <summary>What capabilities register themselves on: <c>services.AddRein(config).AddAudit().AddIdentity()...</c></summary>
public sealed class ReinBuilder(IServiceCollection services, ReinConfiguration configuration)
{
    public IServiceCollection Services { get; } = services;

    public ReinConfiguration Configuration { get; } = configuration;
}

public static class ReinServiceCollectionExtensions
{
    /// <summary>The host's own services: clock, settings, storage and its start-up work, HTTP conventions.</summary>
    public static ReinBuilder AddRein(this IServiceCollection services, ReinConfiguration configuration, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.Get<ReinOptions>();

        // Registered first: it must run (migrations, bootstrap) before any other hosted service touches the database.
        services.AddHostedService<StorageInitializer>();
        services.AddSingleton(time ?? TimeProvider.System);
        foreach (var (_, type) in ReinConfiguration.Sections)
        {
            services.AddSingleton(type, configuration.Get(type));
        }

        services.AddSingleton(configuration);
        // Registered through a factory so that the container disposes it when the host stops: a PostgreSQL data
        // source closes its pooled connections then, instead of holding them open after the host is gone.
        var database = options.ResolveDatabase().Open();
        services.AddSingleton(_ => database);
        services.AddSingleton<Migrator>();

        services.AddDataProtection().SetApplicationName("rein");
        services.AddOptions<KeyManagementOptions>().Configure<ReinDatabase, TimeProvider>((o, db, clock) => o.XmlRepository = new DatabaseXmlRepository(db, clock));

        services.AddProblemDetails(p => p.CustomizeProblemDetails = ProblemDefaults.Fill);
        services.AddExceptionHandler<ReinExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(json => ConfigureJson(json.SerializerOptions));
        services.AddOpenApi();
        services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the listed proxies are believed; with none listed, the headers are ignored.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in options.TrustedProxyList())
            {
                if (System.Net.IPAddress.TryParse(proxy, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
                else
                {
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy));
                }
            }
        });
        services.AddAuthorization();
        return new ReinBuilder(services, configuration);
    }

    /// <summary>Strict on input: an unknown field is an error, not silently dropped.</summary>
    public static void ConfigureJson(JsonSerializerOptions json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
    }

    /// <summary>Middleware in order: response headers, errors as problem details (the dashboard's own page for a
    /// browser), authentication.</summary>
    public static WebApplication UseRein(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseForwardedHeaders();
        app.Use(ResponseConventions.Apply);
        app.UseExceptionHandler();
        app.UseDashboardStatusPages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Rein.Server");
            var database = app.Services.GetRequiredService<ReinDatabase>();
            Log.Listening(logger, ServerInfo.Version, string.Join(", ", app.Urls), database.KindName, database.Location);
        });
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Rein.Server");
            Log.ShuttingDown(logger, app.Services.GetRequiredService<ReinOptions>().ShutdownTimeout);
        });
        return app;
    }

    /// <summary>Every endpoint, one capability per line.</summary>
    public static WebApplication MapRein(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthApi();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapOtlpApi();
        var api = app.MapGroup("/api/v1");
        api.MapStatusApi()
            .MapKeysApi()
            .MapProjectsApi()
            .MapAuditApi()
            .MapRunsApi()
            .MapPoliciesApi()
            .MapApprovalsApi()
            .MapApprovalWebhooksApi()
            .MapGatewayApi();
        app.MapMcpEndpoint();
        app.MapDashboard();
        return app;
    }
}
