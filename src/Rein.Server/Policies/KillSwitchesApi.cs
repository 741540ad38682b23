using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Rein.Server.Identity;

namespace Rein.Server.Policies;

/// <summary>The body of <c>POST /api/v1/kill-switches</c>: scope tool, agent or release; <see cref="Agent"/> limits a
/// tool switch to one agent.</summary>
public sealed record KillSwitchRequest(string? Scope, string? Target, string? Agent, string? Reason);

public sealed record RemoveKillSwitchRequest(string? Scope, string? Target, string? Agent);

/// <summary>A switch as the API answers it; <see cref="Agent"/> is empty when it applies to every agent.</summary>
public sealed record KillSwitchResponse(string Scope, string Target, string Agent, string? Reason, DateTimeOffset CreatedAt, string? CreatedBy)
{
    public static KillSwitchResponse From(KillSwitch s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.Scope, s.Target, s.Agent, s.Reason, s.CreatedAt, s.CreatedBy);
    }
}

/// <summary><c>/api/v1/kill-switches</c>: list (read), turn on and off (admin). The endpoints only map;
/// <see cref="KillSwitchService"/> validates and does the work.</summary>
public static class KillSwitchesApi
{
    public static IEndpointRouteBuilder MapKillSwitchesApi(this IEndpointRouteBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var switches = api.MapGroup("/kill-switches").WithTags("Kill switches");

        switches.MapGet("", async (HttpContext http, KillSwitchService service, CancellationToken cancellationToken) =>
        {
            var items = await service.ListAsync(http.Caller(), cancellationToken);
            return TypedResults.Ok(new ItemsResponse<KillSwitchResponse>([.. items.Select(KillSwitchResponse.From)]));
        }).RequireAuthorization(Permissions.Read);

        switches.MapPost("", async Task<Results<Created<KillSwitchResponse>, Ok<KillSwitchResponse>>> (HttpContext http, KillSwitchService service, KillSwitchRequest request, CancellationToken cancellationToken) =>
        {
            var added = await service.AddAsync(http.Caller(), request.Scope, request.Target, request.Agent, request.Reason, cancellationToken);
            var response = KillSwitchResponse.From(added.Switch);
            return added.Created ? TypedResults.Created((string?)null, response) : TypedResults.Ok(response);
        }).RequireAuthorization(Permissions.Administer).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);

        switches.MapPost("/remove", async (HttpContext http, KillSwitchService service, RemoveKillSwitchRequest request, CancellationToken cancellationToken) =>
            TypedResults.Ok(KillSwitchResponse.From(await service.RemoveAsync(http.Caller(), request.Scope, request.Target, request.Agent, cancellationToken))))
            .RequireAuthorization(Permissions.Administer).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }
}
