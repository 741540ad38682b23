using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Rein.Core.Audit;
using Rein.Server.Identity;

namespace Rein.Server.Audit;

public sealed record AuditEntryResponse(
    long Seq,
    DateTimeOffset At,
    string Actor,
    string Action,
    string ObjectType,
    string ObjectId,
    string? BeforeDigest,
    string? AfterDigest,
    string? Details,
    string PrevHash,
    string Hash)
{
    public static AuditEntryResponse From(AuditEntry e) =>
        new(e.Seq, e.At, e.Actor, e.Action, e.ObjectType, e.ObjectId, e.BeforeDigest, e.AfterDigest, e.Details, e.PrevHash, e.Hash);
}

public sealed record AuditProblemResponse(long Seq, string Problem);

public sealed record AuditHeadResponse(long Seq, string Hash);

public sealed record AuditVerificationResponse(bool Valid, long Checked, AuditHeadResponse? Head, AuditProblemResponse? Problem);

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
            var page = entries.Take(take).Select(AuditEntryResponse.From).ToList();
            return TypedResults.Ok(new ListResponse<AuditEntryResponse>(page, entries.Count > take ? page[^1].Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
        });

        audit.MapGet("/verify", async (HttpContext http, AuditLog log, CancellationToken cancellationToken) =>
        {
            var result = await log.VerifyAsync(http.Caller().ProjectId, cancellationToken);
            return TypedResults.Ok(new AuditVerificationResponse(
                result.Valid,
                result.Checked,
                result.Head is { } h ? new AuditHeadResponse(h.Seq, h.Hash) : null,
                result.Problem is { } p ? new AuditProblemResponse(p.Seq, p.Problem) : null));
        });

        return api;
    }
}
