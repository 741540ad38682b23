using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Approvals;

/// <summary>
/// <c>/api/v1/approvals</c>: the inbox and the feedback export (readers), a request long-polled by its agent (any key
/// of the project), approve and reject (approvers and admins, limited to the key's queues), queues (admins set, readers
/// list). The endpoints read, bound and map; <see cref="ApprovalService"/> does the work.
/// </summary>
public static class ApprovalsApi
{
    public const string NdjsonContentType = "application/x-ndjson";

    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    public static IEndpointRouteBuilder MapApprovalsApi(this IEndpointRouteBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var approvals = api.MapGroup("/approvals").WithTags("Approvals");

        approvals.MapGet("", async (HttpContext http, ApprovalService service, string? status, string? queue, string? cursor, int? limit, CancellationToken cancellationToken) =>
        {
            var filter = new ApprovalFilter { Status = Empty(status), Queue = Empty(queue) };
            var page = await service.ListAsync(http.Caller(), filter, Empty(cursor), Paging.Limit(limit, ApprovalService.MaxPageSize), cancellationToken);
            return TypedResults.Ok(page);
        }).RequireAuthorization(Permissions.Read).ProducesProblem(StatusCodes.Status400BadRequest);

        approvals.MapGet("/export", async (HttpContext http, ApprovalService service, string? since, string? format, CancellationToken cancellationToken) =>
        {
            if (format is not (null or "" or "jsonl"))
            {
                throw ReinProblemException.Invalid("format", $"'{ApprovalQueueNames.Shorten(format)}' is not an export format; use jsonl");
            }

            var records = service.ExportAsync(http.Caller(), Window("since", since, TimeSpan.FromHours(24)), cancellationToken);
            var json = http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            http.Response.ContentType = NdjsonContentType;
            await foreach (var record in records)
            {
                await JsonSerializer.SerializeAsync(http.Response.Body, record, json, cancellationToken);
                await http.Response.Body.WriteAsync(NewLine, cancellationToken);
            }
        }).RequireAuthorization(Permissions.Read).Produces<FeedbackRecord>(contentType: NdjsonContentType).ProducesProblem(StatusCodes.Status400BadRequest);

        approvals.MapGet("/stats", async (HttpContext http, ApprovalService service, string? since, CancellationToken cancellationToken) =>
            TypedResults.Ok(await service.StatsAsync(http.Caller(), Window("since", since, TimeSpan.FromHours(24)), cancellationToken)))
            .RequireAuthorization(Permissions.Read).ProducesProblem(StatusCodes.Status400BadRequest);

        approvals.MapGet("/queues", async (HttpContext http, ApprovalService service, CancellationToken cancellationToken) =>
            TypedResults.Ok(new ListResponse<ApprovalQueue>(await service.ListQueuesAsync(http.Caller(), cancellationToken), null)))
            .RequireAuthorization(Permissions.Read);

        approvals.MapPut("/queues/{name}", async (HttpContext http, ApprovalService service, string name, CancellationToken cancellationToken) =>
        {
            var body = await JsonBody.ReadAsync<QueueRequest>(http, 4096, max => $"a queue's settings may be at most {max} bytes", null, cancellationToken);
            return TypedResults.Ok(await service.SetQueueAsync(http.Caller(), name, body.Expiry, cancellationToken));
        }).RequireAuthorization(Permissions.Administer).Accepts<QueueRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

        approvals.MapGet("/{id}", async (HttpContext http, ApprovalService service, string id, string? wait, CancellationToken cancellationToken) =>
            TypedResults.Ok(await service.GetAsync(http.Caller(), id, Wait(wait), cancellationToken)))
            .RequireAuthorization(Permissions.Any).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        approvals.MapPost("/{id}/approve", async (HttpContext http, ApprovalService service, ApprovalsOptions options, GateOptions gate, string id, CancellationToken cancellationToken) =>
        {
            var body = await JsonBody.ReadAsync<ApproveRequest>(http, MaxBody(options), TooLarge, GateJson.For(gate.MaxJsonDepth), cancellationToken);
            return TypedResults.Ok(await service.ApproveAsync(http.Caller(), id, body.Note, body.Args, cancellationToken));
        }).RequireAuthorization(Permissions.Approve).Accepts<ApproveRequest>("application/json").ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        approvals.MapPost("/{id}/reject", async (HttpContext http, ApprovalService service, ApprovalsOptions options, string id, CancellationToken cancellationToken) =>
        {
            var body = await JsonBody.ReadAsync<RejectRequest>(http, MaxBody(options), TooLarge, null, cancellationToken);
            return TypedResults.Ok(await service.RejectAsync(http.Caller(), id, body.Note, cancellationToken));
        }).RequireAuthorization(Permissions.Approve).Accepts<RejectRequest>("application/json").ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        return api;
    }

    /// <summary>Room for the largest arguments and note (six bytes a character when escaped) and the JSON around them.</summary>
    private static long MaxBody(ApprovalsOptions options) => options.MaxArgsBytes + (options.MaxNoteLength * 6L) + 1024;

    private static string TooLarge(long max) =>
        $"a decision may be at most {max} bytes: arguments up to Approvals:MaxArgsBytes and a note up to Approvals:MaxNoteLength characters";

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static TimeSpan Wait(string? wait) =>
        string.IsNullOrEmpty(wait) ? TimeSpan.Zero
        : Durations.TryParse(wait, out var span) ? span
        : throw ReinProblemException.Invalid("wait", $"'{ApprovalQueueNames.Shorten(wait)}' is not a duration such as 30s");

    private static TimeSpan Window(string field, string? value, TimeSpan fallback) =>
        string.IsNullOrEmpty(value) ? fallback
        : Durations.TryParse(value, out var span) ? span
        : throw ReinProblemException.Invalid(field, $"'{ApprovalQueueNames.Shorten(value)}' is not a duration such as 24h or 7d");
}
