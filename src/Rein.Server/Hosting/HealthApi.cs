using System.Data.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Rein.Server.Storage;

namespace Rein.Server;

public sealed record HealthResponse(string Status, string Version);

public sealed record ReadyResponse(string Status, string Database, int SchemaVersion);

/// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: the database answers, its schema is the one this
/// build expects, and a write commits. Neither needs a key, so load balancers and orchestrators can probe them.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok", ServerInfo.Version)))
            .WithTags("Health").AllowAnonymous();

        app.MapGet("/readyz", async Task<Results<Ok<ReadyResponse>, ProblemHttpResult>> (HttpContext http, ReinDatabase database, Migrator migrator, CancellationToken cancellationToken) =>
        {
            try
            {
                var version = await migrator.GetVersionAsync(cancellationToken);
                if (version != migrator.LatestVersion)
                {
                    return TypedResults.Problem(
                        $"the database schema is at version {version}; this build needs version {migrator.LatestVersion}",
                        statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready");
                }

                // Reading is not enough: a full disk or a read-only file still reads. A write that changes nothing
                // must commit, which also ends an outage the server's own writes had found.
                await database.ProbeWriteAsync(cancellationToken);
                if (database.Health.Outage is { } recent)
                {
                    http.Response.Headers.RetryAfter = recent.RetryAfterSeconds;
                    return TypedResults.Problem(
                        $"writes to the {database.KindName} database failed within the last {StorageHealth.QuietPeriod.TotalSeconds:0} s: {recent.Reason}",
                        statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready");
                }

                return TypedResults.Ok(new ReadyResponse("ready", database.KindName, version));
            }
            catch (Exception e) when (database.Health.Failed(e, database.KindName, database.Location) is { } outage)
            {
                http.Response.Headers.RetryAfter = outage.RetryAfterSeconds;
                return TypedResults.Problem($"the {database.KindName} database cannot be written: {outage.Reason}",
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
