using System.Data.Common;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;
using Rein.Core.Traces;

namespace Rein.Server.Approvals.Webhooks;

/// <summary>
/// Queues the <c>approval.requested</c> webhook of a new request: when the request's queue has a webhook, one row in
/// <c>approval_deliveries</c>, written in the transaction that creates the request, so the notification exists exactly
/// when the request does. Nothing is sent here; <see cref="WebhookDispatcher"/> sends it after the commit. The work
/// runs inside a savepoint: if it fails, it is rolled back alone and logged, and the request (and the gate decision
/// that asked for it) commits regardless. The body passes through the secret redactor before it is stored.
/// </summary>
public sealed class WebhookOutbox(ApprovalWebhookOptions options, TimeProvider time, ILogger<WebhookOutbox> logger, IServer? server = null, Redactor? redactor = null) : IApprovalEvents
{
    private const string Savepoint = "rein_approval_webhook";

    public async Task RequestCreatedAsync(DbConnection c, DbTransaction t, ApprovalCreated created)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(created);
        await t.SaveAsync(Savepoint);
        try
        {
            var url = await WebhookStore.GetUrlAsync(c, t, created.ProjectId, created.Queue);
            if (url is not null)
            {
                var now = time.GetUtcNow();
                var redactions = 0;
                var row = new DeliveryRow
                {
                    ProjectId = created.ProjectId,
                    Id = DeliveryIds.New(now),
                    RequestId = created.RequestId,
                    Queue = created.Queue,
                    Url = url,
                    Event = WebhookBody.RequestedEvent,
                    Status = DeliveryStatus.Pending,
                    Attempts = 0,
                    NextAttemptAt = now.ToUnixTimeMilliseconds(),
                    CreatedAt = now.ToUnixTimeMilliseconds(),
                    Body = (redactor ?? Redactor.Default).RedactJson(WebhookBody.Serialize(WebhookBody.Build(created, Link(created.RequestId))), ref redactions),
                };
                await WebhookStore.InsertDeliveryAsync(c, t, row);
                Log.ApprovalWebhookQueued(logger, row.Id, created.RequestId, created.Queue, created.ProjectId);
            }

            await t.ReleaseAsync(Savepoint);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await t.RollbackAsync(Savepoint);
            Log.ApprovalWebhookNotQueued(logger, created.RequestId, created.Queue, created.ProjectId, e);
        }
    }

    /// <summary>The dashboard page of a request, on <see cref="ApprovalWebhookOptions.PublicUrl"/> or else on the
    /// server's first listening address.</summary>
    internal string Link(string requestId) => $"{PublicBase()}/approvals/{Uri.EscapeDataString(requestId)}";

    private string PublicBase()
    {
        if (options.PublicUrl.Length > 0)
        {
            return options.PublicUrl.TrimEnd('/');
        }

        var address = server?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null || !Uri.TryCreate(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return $"http://127.0.0.1:{ReinOptions.DefaultPort}";
        }

        // Listening on every interface says nothing about the name people use; localhost is at least a valid link.
        var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "localhost" : uri.Host;
        return new UriBuilder(uri.Scheme, host, uri.Port).Uri.GetLeftPart(UriPartial.Authority);
    }
}
