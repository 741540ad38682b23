using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace Rein.Server.Identity;

public static class IdentityRegistration
{
    /// <summary>Projects, keys, bearer-key authentication and the permission policies.</summary>
    public static ReinBuilder AddIdentity(this ReinBuilder rein)
    {
        ArgumentNullException.ThrowIfNull(rein);
        var services = rein.Services;
        services.AddSingleton<KeyService>();
        services.AddSingleton<ProjectService>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<Bootstrapper>();
        services.AddSingleton<FirstRunKey>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.Configure<AuthorizationOptions>(o => Permissions.AddPolicies(o, ApiKeyAuthenticationHandler.SchemeName));
        // Requirements are their own handlers (PassThroughAuthorizationHandler runs them).
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ExplainingAuthorizationResultHandler>();
        return rein;
    }
}
