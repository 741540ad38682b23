using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Rein.Core.Audit;
using Rein.Server.Identity;

namespace Rein.Server.Audit;

/// <summary>The verification as the API answers it; entries, heads and problems are Rein.Core's own records.</summary>
public sealed record AuditVerificationResponse(bool Valid, long Checked, AuditHead? Head, AuditProblem? Problem);

/// <summary><c>/api/v1/audit</c>: the project's log, newest first, and its verification. Reading it needs the read
/// permission; nothing can write it but the changes it records.</summary>
public static class AuditApi
{
    public const int MaxPageSize = 1000;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit").RequireAuthorization(Permissions.Read);

        audit.MapGet("", async (HttpContext http, AuditLog log, int? limit, long? before, string? action, CancellationToken cancellationToken) =>
        {
            var take = Paging.Limit(limit, MaxPageSize);
            var entries = await log.ListAsync(http.Caller().ProjectId, before, take + 1, string.IsNullOrWhiteSpace(action) ? null : action.Trim(), cancellationToken);
            var page = entries.Take(take).ToList();
            return TypedResults.Ok(new ListResponse<AuditEntry>(page, entries.Count > take ? page[^1].Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
        });

        audit.MapGet("/verify", async (HttpContext http, AuditLog log, CancellationToken cancellationToken) =>
        {
            var result = await log.VerifyAsync(http.Caller().ProjectId, cancellationToken);
            return TypedResults.Ok(new AuditVerificationResponse(result.Valid, result.Checked, result.Head, result.Problem));
        });

        return api;
    }
}
