using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rein.Server.Identity;

namespace Rein.Server.Dashboard;

/// <summary>
/// The dashboard: server-rendered Razor Pages under <c>/</c>, signed in with an API key. The cookie holds the key's
/// id (encrypted and signed by data protection), never its secret, and the key is re-checked on every request so a
/// revocation ends the session at once.
/// </summary>
public static class DashboardRegistration
{
    public const string CookieScheme = "Dashboard";
    public const string CookieName = "rein_session";

    /// <summary>Dashboard policies are the API's permission policies evaluated against the session cookie.</summary>
    public const string PolicyPrefix = "dashboard:";

    public static ReinBuilder AddDashboard(this ReinBuilder rein)
    {
        ArgumentNullException.ThrowIfNull(rein);
        var options = rein.Configuration.Get<DashboardOptions>();
        var services = rein.Services;
        services.AddRazorPages(pages =>
            {
                pages.RootDirectory = "/Dashboard/Pages";
                pages.Conventions.AuthorizeFolder("/", PolicyPrefix + Permissions.Read);
                pages.Conventions.AllowAnonymousToPage("/SignIn");
                pages.Conventions.AllowAnonymousToPage("/NotFound");
                pages.Conventions.AuthorizePage("/Keys", PolicyPrefix + Permissions.Administer);
                pages.Conventions.ConfigureFilter(new PageHandlerFilter());
            })
            .AddApplicationPart(typeof(DashboardRegistration).Assembly);

        services.AddAuthentication().AddCookie(CookieScheme, cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            // Secure whenever the client used HTTPS, also through a TLS proxy listed in TrustedProxies.
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.Cookie.IsEssential = true;
            cookie.LoginPath = "/signin";
            cookie.LogoutPath = "/signout";
            cookie.AccessDeniedPath = "/denied";
            cookie.ExpireTimeSpan = options.SessionLifetime;
            cookie.SlidingExpiration = true;
            cookie.Events.OnValidatePrincipal = async context =>
            {
                var caller = Caller.FromPrincipal(context.Principal);
                var authenticator = context.HttpContext.RequestServices.GetRequiredService<ApiKeyAuthenticator>();
                if (caller is null || !await authenticator.IsActiveAsync(caller.KeyId, context.HttpContext.RequestAborted))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(CookieScheme);
                }
            };
        });
        services.Configure<AuthorizationOptions>(o => Permissions.AddPolicies(o, CookieScheme, PolicyPrefix));
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<PlannedCapabilityRouteConstraint>(PlannedCapabilityRouteConstraint.Name));
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "rein_antiforgery";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.FormFieldName = "__rein_af";
        });
        return rein;
    }

    /// <summary>
    /// Error statuses without a body (a page's <c>NotFound()</c>, an address nothing answers) as the dashboard's own
    /// page for a browser, with the layout and a way back, and as problem details for everything else (the API, OTLP,
    /// MCP and any client that does not ask for HTML).
    /// </summary>
    public static IApplicationBuilder UseDashboardStatusPages(this IApplicationBuilder app)
    {
        // Re-execution must be on the main pipeline: a branch has no routing to find the page with.
        app.UseStatusCodePagesWithReExecute("/not-found");
        app.Use((http, next) =>
        {
            if (!IsDashboardRequest(http) && http.Features.Get<IStatusCodePagesFeature>() is { } dashboardPages)
            {
                dashboardPages.Enabled = false;
            }

            return next(http);
        });
        return app.UseWhen(http => !IsDashboardRequest(http), other => other.UseStatusCodePages());
    }

    /// <summary>A request for a dashboard page, or a browser's request for an address nothing answers outside the
    /// machine-facing paths.</summary>
    public static bool IsDashboardRequest(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.GetEndpoint() is { } endpoint)
        {
            return endpoint.Metadata.GetMetadata<PageActionDescriptor>() is not null;
        }

        var path = http.Request.Path;
        return HttpMethods.IsGet(http.Request.Method)
            && http.Request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true)
            && !MachinePaths.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));
    }

    private static readonly string[] MachinePaths = ["/api", "/v1", "/mcp", "/openapi", "/metrics", "/healthz", "/readyz", "/assets"];

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapRazorPages();
        app.MapGet("/assets/{name}", (HttpContext http, string name) => DashboardAssets.Serve(http, name))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}

/// <summary>The dashboard's stylesheet and script, embedded in the assembly: no CDN, no build step, nothing to install.</summary>
internal static class DashboardAssets
{
    private static readonly Dictionary<string, (byte[] Content, string Type, string ETag)> Assets = Load();

    private static Dictionary<string, (byte[], string, string)> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("assets/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var type = Path.GetExtension(resource) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[resource["assets/".Length..]] = (content, type, "\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..16] + "\"");
        }

        return assets;
    }

    public static IResult Serve(HttpContext http, string name)
    {
        if (!Assets.TryGetValue(name, out var asset))
        {
            return Results.NotFound();
        }

        http.Response.Headers.CacheControl = "public, max-age=3600";
        http.Response.Headers.ETag = asset.ETag;
        return http.Request.Headers.IfNoneMatch == asset.ETag
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(asset.Content, asset.Type);
    }
}
