using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Rein.Server.Identity;

namespace Rein.Server.Approvals.Webhooks;

/// <summary>The body of <c>PUT /api/v1/approvals/queues/{name}/webhook</c>. Without <see cref="Secret"/> a webhook
/// that exists keeps its secret.</summary>
public sealed record SetWebhookRequest(string? Url, string? Secret);

/// <summary>
/// <c>/api/v1/approvals/queues/{name}/webhook</c> (set, read, remove) and <c>/api/v1/approvals/deliveries</c> (the
/// delivery log), for admins. The endpoints only read and map; <see cref="ApprovalWebhookService"/> validates.
/// </summary>
public static class ApprovalWebhooksApi
{
    /// <summary>A set body: the longest URL and secret however escaped (JSON escaping grows a character at most six
    /// times), and room for the field names.</summary>
    public const long MaxSetBodyBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapApprovalWebhooksApi(this IEndpointRouteBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var approvals = api.MapGroup("/approvals").WithTags("Approvals").RequireAuthorization(Permissions.Administer);

        approvals.MapPut("/queues/{name}/webhook", async Task<Results<Created<ApprovalWebhook>, Ok<ApprovalWebhook>>> (HttpContext http, ApprovalWebhookService service, string name, CancellationToken cancellationToken) =>
        {
            var request = await JsonBody.ReadAsync<SetWebhookRequest>(http, MaxSetBodyBytes, max => $"a webhook body is at most {max} bytes", null, cancellationToken);
            var set = await service.SetAsync(http.Caller(), Queue(name), request.Url, request.Secret, cancellationToken);
            return set.Created
                ? TypedResults.Created($"/api/v1/approvals/queues/{Uri.EscapeDataString(set.Webhook.Queue)}/webhook", set.Webhook)
                : TypedResults.Ok(set.Webhook);
        })
            .Accepts<SetWebhookRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        approvals.MapGet("/queues/{name}/webhook", async (HttpContext http, ApprovalWebhookService service, string name, CancellationToken cancellationToken) =>
            TypedResults.Ok(await service.GetAsync(http.Caller(), Queue(name), cancellationToken)))
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        approvals.MapDelete("/queues/{name}/webhook", async (HttpContext http, ApprovalWebhookService service, string name, CancellationToken cancellationToken) =>
            TypedResults.Ok(await service.RemoveAsync(http.Caller(), Queue(name), cancellationToken)))
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        approvals.MapGet("/deliveries", async (
            HttpContext http,
            ApprovalWebhookService service,
            string? requestId,
            string? status,
            string? queue,
            int? limit,
            string? cursor,
            CancellationToken cancellationToken) =>
        {
            var page = await service.ListDeliveriesAsync(
                http.Caller(), new DeliveryFilter(requestId, status, queue), cursor, Paging.Limit(limit, ApprovalWebhookService.MaxPageSize), cancellationToken);
            return TypedResults.Ok(new ListResponse<ApprovalDelivery>(page.Items, page.Next));
        }).ProducesProblem(StatusCodes.Status400BadRequest);

        return api;
    }

    /// <summary>Queue names may hold '/', which a path segment carries as %2F (left encoded by the server).</summary>
    private static string Queue(string name) => Uri.UnescapeDataString(name);
}
