using System.Data.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Rein.Server.Storage;

namespace Rein.Server;

public sealed record HealthResponse(string Status, string Version);

public sealed record ReadyResponse(string Status, string Database, int SchemaVersion);

/// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: the database answers and its schema is the one this
/// build expects. Neither needs a key, so load balancers and orchestrators can probe them.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok", ServerInfo.Version)))
            .WithTags("Health").AllowAnonymous();

        app.MapGet("/readyz", async Task<Results<Ok<ReadyResponse>, ProblemHttpResult>> (ReinDatabase database, Migrator migrator, CancellationToken cancellationToken) =>
        {
            try
            {
                var version = await migrator.GetVersionAsync(cancellationToken);
                return version == migrator.LatestVersion
                    ? TypedResults.Ok(new ReadyResponse("ready", database.KindName, version))
                    : TypedResults.Problem(
                        $"the database schema is at version {version}; this build needs version {migrator.LatestVersion}",
                        statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready");
            }
            catch (Exception e) when (e is DbException or TimeoutException or InvalidOperationException or IOException)
            {
                return TypedResults.Problem($"the {database.KindName} database does not answer: {e.Message}",
                    statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready");
            }
        }).WithTags("Health").AllowAnonymous();

        return app;
    }
}
