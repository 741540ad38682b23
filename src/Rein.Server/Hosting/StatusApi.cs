using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Server;

public sealed record WhoAmIResponse(string KeyId, string KeyName, string Role, string ProjectId, bool ServerAdmin);

public sealed record DatabaseStatus(string Kind, int SchemaVersion, string? Location);

public sealed record StatusCounts(long Projects, long Keys, long ActiveKeys, long AuditEntries);

public sealed record StatusResponse(string Version, DateTimeOffset StartedAt, DatabaseStatus Database, ProjectResponse Project, WhoAmIResponse Caller, StatusCounts Counts);

/// <summary><c>/api/v1/me</c> tells any key who it is; <c>/api/v1/status</c> gives readers the server version, the
/// database and the project's counts.</summary>
public static class StatusApi
{
    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var startedAt = api.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        api.MapGet("/me", (HttpContext http) => TypedResults.Ok(WhoAmI(http.Caller())))
            .WithTags("Status").RequireAuthorization(Permissions.Any);

        api.MapGet("/status", async (HttpContext http, ReinDatabase database, Migrator migrator, ProjectService projects, KeyService keys, AuditLog audit, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            var project = await projects.GetAsync(caller, caller.ProjectId, cancellationToken)
                ?? throw ReinProblemException.NotFound($"project {caller.ProjectId} no longer exists");
            var keyCounts = await keys.CountAsync(caller, cancellationToken);
            var counts = new StatusCounts(
                await projects.CountAsync(caller, cancellationToken), keyCounts.Total, keyCounts.Active, await audit.CountAsync(caller.ProjectId, cancellationToken));
            return TypedResults.Ok(new StatusResponse(
                ServerInfo.Version,
                startedAt,
                // Where the data lives is for admins only: a file path or host name says more than a viewer needs.
                new DatabaseStatus(database.KindName, await migrator.GetVersionAsync(cancellationToken), caller.Role == Role.Admin ? database.Location : null),
                ProjectResponse.From(project),
                WhoAmI(caller),
                counts));
        }).WithTags("Status").RequireAuthorization(Permissions.Read);

        return api;
    }

    private static WhoAmIResponse WhoAmI(Caller caller) =>
        new(caller.KeyId, caller.KeyName, caller.Role.ToName(), caller.ProjectId, caller.IsServerAdmin);
}
