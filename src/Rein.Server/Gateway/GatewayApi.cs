using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Rein.Server.Identity;

namespace Rein.Server.Gateway;

/// <summary>An upstream server with this replica's view of its health.</summary>
public sealed record GatewayServerStatus(GatewayServer Server, UpstreamHealth? Health);

/// <summary>What a refresh of the catalog found: the tools, and the servers that could not be listed.</summary>
public sealed record ToolListing(IReadOnlyList<CatalogTool> Items, IReadOnlyDictionary<string, string> Errors);

/// <summary>
/// <c>/api/v1/tools</c>: the project's upstream servers (admins set them), the tool catalog with pin states and
/// definition diffs, pinning, the pin mode and fault rules. The endpoints read and map; the services validate.
/// </summary>
public static class GatewayApi
{
    /// <summary>A server body: 64 args of 4 KiB and 64 env values of 8 KiB at most, however escaped.</summary>
    public const long MaxServerBodyBytes = 1024 * 1024;

    /// <summary>A fault rule list: 100 rules with 1000-character messages, however escaped.</summary>
    public const long MaxFaultsBodyBytes = 1024 * 1024;

    public const long MaxSmallBodyBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapGatewayApi(this IEndpointRouteBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var tools = api.MapGroup("/tools").WithTags("Tool gateway");

        tools.MapGet("/servers", async (HttpContext http, GatewayServerService servers, UpstreamPool pool, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            var list = await servers.ListAsync(caller, cancellationToken);
            return TypedResults.Ok(new ListResponse<GatewayServerStatus>([.. list.Select(s => new GatewayServerStatus(s, pool.Health(caller.ProjectId, s.Name)))], null));
        }).RequireAuthorization(Permissions.Read);

        tools.MapGet("/servers/{name}", async (HttpContext http, GatewayServerService servers, UpstreamPool pool, string name, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            var server = await servers.GetAsync(caller, name, cancellationToken);
            return TypedResults.Ok(new GatewayServerStatus(server, pool.Health(caller.ProjectId, server.Name)));
        }).RequireAuthorization(Permissions.Read).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        tools.MapPut("/servers/{name}", async Task<Results<Created<GatewayServer>, Ok<GatewayServer>>> (HttpContext http, GatewayServerService servers, string name, CancellationToken cancellationToken) =>
        {
            var spec = await JsonBody.ReadAsync<GatewayServerSpec>(http, MaxServerBodyBytes, max => $"a server body is at most {max} bytes", null, cancellationToken);
            var set = await servers.SetAsync(http.Caller(), name, spec, cancellationToken);
            return set.Created ? TypedResults.Created($"/api/v1/tools/servers/{set.Server.Name}", set.Server) : TypedResults.Ok(set.Server);
        }).RequireAuthorization(Permissions.Administer).Accepts<GatewayServerSpec>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        tools.MapDelete("/servers/{name}", async (HttpContext http, GatewayServerService servers, string name, CancellationToken cancellationToken) =>
            TypedResults.Ok(await servers.RemoveAsync(http.Caller(), name, cancellationToken)))
            .RequireAuthorization(Permissions.Administer).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        tools.MapGet("", async (HttpContext http, ToolCatalog catalog, GatewayCalls calls, string? server, bool? refresh, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            IReadOnlyDictionary<string, string> errors = new Dictionary<string, string>();
            if (refresh == true)
            {
                Permissions.Demand(caller, Core.Identity.Permission.Read);
                errors = await calls.RefreshAsync(caller.ProjectId, server, cancellationToken);
            }

            return TypedResults.Ok(new ToolListing(await catalog.ListAsync(caller, server, cancellationToken), errors));
        }).RequireAuthorization(Permissions.Read).ProducesProblem(StatusCodes.Status400BadRequest);

        tools.MapGet("/{name}/diff", async (HttpContext http, ToolCatalog catalog, string name, CancellationToken cancellationToken) =>
            TypedResults.Ok(await catalog.DiffAsync(http.Caller(), name, cancellationToken)))
            .RequireAuthorization(Permissions.Read).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        tools.MapPost("/pin", async (HttpContext http, ToolCatalog catalog, CancellationToken cancellationToken) =>
        {
            var request = await JsonBody.ReadAsync<PinRequest>(http, MaxSmallBodyBytes, max => $"a pin body is at most {max} bytes", null, cancellationToken);
            return TypedResults.Ok(new ListResponse<CatalogTool>(await catalog.PinAsync(http.Caller(), request, cancellationToken), null));
        }).RequireAuthorization(Permissions.Administer).Accepts<PinRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        tools.MapGet("/settings", async (HttpContext http, ToolCatalog catalog, CancellationToken cancellationToken) =>
            TypedResults.Ok(await catalog.GetSettingsAsync(http.Caller(), cancellationToken))).RequireAuthorization(Permissions.Read);

        tools.MapPut("/settings", async (HttpContext http, ToolCatalog catalog, CancellationToken cancellationToken) =>
        {
            var request = await JsonBody.ReadAsync<GatewaySettingsRequest>(http, MaxSmallBodyBytes, max => $"a settings body is at most {max} bytes", null, cancellationToken);
            return TypedResults.Ok(await catalog.SetSettingsAsync(http.Caller(), request, cancellationToken));
        }).RequireAuthorization(Permissions.Administer).Accepts<GatewaySettingsRequest>("application/json").ProducesProblem(StatusCodes.Status400BadRequest);

        tools.MapGet("/faults", async (HttpContext http, ToolCatalog catalog, CancellationToken cancellationToken) =>
            TypedResults.Ok(new ListResponse<FaultRuleBody>(await catalog.GetFaultsAsync(http.Caller(), cancellationToken), null))).RequireAuthorization(Permissions.Read);

        tools.MapPut("/faults", async (HttpContext http, ToolCatalog catalog, CancellationToken cancellationToken) =>
        {
            var request = await JsonBody.ReadAsync<FaultsRequest>(http, MaxFaultsBodyBytes, max => $"a fault rule list is at most {max} bytes", null, cancellationToken);
            return TypedResults.Ok(new ListResponse<FaultRuleBody>(await catalog.SetFaultsAsync(http.Caller(), request, cancellationToken), null));
        }).RequireAuthorization(Permissions.Administer).Accepts<FaultsRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        return api;
    }
}
