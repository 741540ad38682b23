using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Rein.Core.Identity;

namespace Rein.Server.Identity;

public sealed record CreateKeyRequest(string? Name, string? Role, DateTimeOffset? ExpiresAt, IReadOnlyList<string>? Queues = null);

public sealed record KeyResponse(
    string Id,
    string ProjectId,
    string Name,
    string Role,
    string State,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? RevokedBy,
    DateTimeOffset? LastUsedAt,
    IReadOnlyList<string>? Queues)
{
    public static KeyResponse From(ApiKey key, DateTimeOffset now) => new(
        key.Id, key.ProjectId, key.Name, key.Role.ToName(), key.StateAt(now).ToString().ToLowerInvariant(),
        key.CreatedAt, key.CreatedBy, key.ExpiresAt, key.RevokedAt, key.RevokedBy, key.LastUsedAt, key.Queues);
}

/// <summary>The new key's record plus its full value, which is never shown again.</summary>
public sealed record CreatedKeyResponse(KeyResponse Key, string ApiKey);

public sealed record ListResponse<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>
/// <c>/api/v1/keys</c>: the caller's project's keys, for admins. Another project's key id is answered 404, the same
/// as a key that does not exist, so ids cannot be probed across projects.
/// </summary>
public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder api)
    {
        var keys = api.MapGroup("/keys").WithTags("Keys").RequireAuthorization(Permissions.Administer);

        keys.MapGet("", async (HttpContext http, KeyService service, TimeProvider time, int? limit, string? after, CancellationToken cancellationToken) =>
        {
            var page = await service.ListAsync(http.Caller(), after, Paging.Limit(limit, KeyService.MaxPageSize), cancellationToken);
            var now = time.GetUtcNow();
            return TypedResults.Ok(new ListResponse<KeyResponse>([.. page.Items.Select(k => KeyResponse.From(k, now))], page.Next));
        });

        keys.MapPost("", async (HttpContext http, KeyService service, TimeProvider time, CreateKeyRequest request, CancellationToken cancellationToken) =>
        {
            var created = await service.CreateAsync(http.Caller(), request.Name, request.Role, request.ExpiresAt, request.Queues, cancellationToken);
            return TypedResults.Created($"/api/v1/keys/{created.Key.Id}", new CreatedKeyResponse(KeyResponse.From(created.Key, time.GetUtcNow()), created.Value));
        }).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);

        keys.MapGet("/{id}", async Task<Results<Ok<KeyResponse>, ProblemHttpResult>> (HttpContext http, KeyService service, TimeProvider time, string id, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            var key = ApiKeyToken.IsValidId(id) ? await service.GetAsync(caller, id, cancellationToken) : null;
            return key is null
                ? TypedResults.Problem($"project {caller.ProjectId} has no key {id}", statusCode: StatusCodes.Status404NotFound, title: "Not found")
                : TypedResults.Ok(KeyResponse.From(key, time.GetUtcNow()));
        });

        keys.MapDelete("/{id}", async (HttpContext http, KeyService service, TimeProvider time, string id, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            if (!ApiKeyToken.IsValidId(id))
            {
                throw ReinProblemException.NotFound($"project {caller.ProjectId} has no key {id}");
            }

            var key = await service.RevokeAsync(caller, id, cancellationToken);
            return TypedResults.Ok(KeyResponse.From(key, time.GetUtcNow()));
        }).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        return api;
    }

    /// <summary>The authenticated caller; endpoints behind an authorization policy always have one.</summary>
    public static Caller Caller(this HttpContext http) =>
        Identity.Caller.FromPrincipal(http.User) ?? throw new InvalidOperationException("No authenticated caller on an authorized endpoint.");
}
