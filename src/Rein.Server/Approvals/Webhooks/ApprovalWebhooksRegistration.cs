using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Rein.Server.Approvals.Webhooks;

public static class ApprovalWebhooksRegistration
{
    /// <summary>Per-queue webhooks: their admin service, the outbox that is the approvals' <see cref="IApprovalEvents"/>,
    /// and the dispatcher that sends it. Settings: section <c>Approvals:Webhooks</c>.</summary>
    public static ReinBuilder AddApprovalWebhooks(this ReinBuilder rein)
    {
        ArgumentNullException.ThrowIfNull(rein);
        var services = rein.Services;
        services.AddSingleton<ApprovalWebhookService>();
        services.AddSingleton<WebhookOutbox>();
        // The approvals register a no-op IApprovalEvents with TryAdd. Whichever of the two registrations runs first,
        // the outbox is the one: any earlier registration is removed here, and a later TryAdd finds this one.
        services.RemoveAll<IApprovalEvents>();
        services.AddSingleton<IApprovalEvents>(sp => sp.GetRequiredService<WebhookOutbox>());
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return rein;
    }
}
