using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Rein.Core.Identity;

namespace Rein.Server.Identity;

/// <summary>Authorization policy names, one per permission; endpoints say which they need.</summary>
public static class Permissions
{
    public const string Act = "rein:act";
    public const string Read = "rein:read";
    public const string Approve = "rein:approve";
    public const string Administer = "rein:administer";

    /// <summary>Any valid key, whatever its role.</summary>
    public const string Any = "rein:any";

    /// <summary>Managing projects: an admin key of the default project.</summary>
    public const string ServerAdmin = "rein:server-admin";

    /// <summary>Why a caller may not do something that needs a permission; the same words on every transport.</summary>
    public static string Refusal(Permission permission, Caller? caller) =>
        $"this needs a key with role {string.Join(" or ", Roles.Holding(permission))}; this key has role {caller?.Role.ToName() ?? "none"}";

    /// <summary>Services check again what endpoints already checked, so a new transport cannot forget it.</summary>
    public static void Demand(Caller caller, Permission permission)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.Role.Grants(permission))
        {
            throw new ReinProblemException(StatusCodes.Status403Forbidden, "Forbidden", Refusal(permission, caller));
        }
    }

    internal static void AddPolicies(AuthorizationOptions options, string scheme, string prefix = "")
    {
        foreach (var (name, permission) in new[] { (Act, Permission.Act), (Read, Permission.Read), (Approve, Permission.Approve), (Administer, Permission.Administer) })
        {
            options.AddPolicy(prefix + name, p => p.AddAuthenticationSchemes(scheme).RequireAuthenticatedUser().AddRequirements(new PermissionRequirement(permission)));
        }

        options.AddPolicy(prefix + Any, p => p.AddAuthenticationSchemes(scheme).RequireAuthenticatedUser());
        options.AddPolicy(prefix + ServerAdmin, p => p.AddAuthenticationSchemes(scheme).RequireAuthenticatedUser().AddRequirements(new ServerAdminRequirement()));
    }
}

/// <summary>Met when the caller's role grants a permission.</summary>
public sealed class PermissionRequirement(Permission permission) : AuthorizationHandler<PermissionRequirement>, IAuthorizationRequirement
{
    public Permission Permission { get; } = permission;

    public string Describe(Caller? caller) => Permissions.Refusal(Permission, caller);

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PermissionRequirement requirement)
    {
        if (Caller.FromPrincipal(context.User) is { } caller && caller.Role.Grants(requirement.Permission))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}

/// <summary>Met by an admin key of the default project.</summary>
public sealed class ServerAdminRequirement : AuthorizationHandler<ServerAdminRequirement>, IAuthorizationRequirement
{
    public static string Describe() => $"managing projects needs an admin key of the '{Project.DefaultId}' project";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ServerAdminRequirement requirement)
    {
        if (Caller.FromPrincipal(context.User) is { IsServerAdmin: true })
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}

/// <summary>Leaves the reason of a refusal where the authentication handler writes its 403.</summary>
internal sealed class ExplainingAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure is { } failure)
        {
            var caller = Caller.FromPrincipal(context.User);
            context.Items[ApiKeyAuthenticationHandler.ForbiddenReasonItem] = failure.FailedRequirements.FirstOrDefault() switch
            {
                PermissionRequirement p => p.Describe(caller),
                ServerAdminRequirement => ServerAdminRequirement.Describe(),
                _ => null,
            };
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
