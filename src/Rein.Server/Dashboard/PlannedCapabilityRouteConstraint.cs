using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Rein.Server.Dashboard;

/// <summary>
/// Matches only the slugs of capabilities that are not built yet, so their one placeholder page answers
/// <c>/traces</c> or <c>/memory</c> while any other path stays a plain 404 rather than a sign-in redirect.
/// </summary>
internal sealed class PlannedCapabilityRouteConstraint : IRouteConstraint
{
    public const string Name = "planned-capability";

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var value) && DashboardSections.Planned(value as string) is not null;
}
