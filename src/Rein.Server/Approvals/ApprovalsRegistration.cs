using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Policies;
using Rein.Server.Storage;
using Rein.Server.Traces;

namespace Rein.Server.Approvals;

public static class ApprovalsRegistration
{
    /// <summary>Approval requests (opened by the gate), their decisions, expiry and the waking of waiting agents.
    /// A notifier (<see cref="IApprovalEvents"/>) registered before or after replaces the default, which does nothing.</summary>
    public static ReinBuilder AddApprovals(this ReinBuilder rein)
    {
        ArgumentNullException.ThrowIfNull(rein);
        var services = rein.Services;
        services.TryAddSingleton<IApprovalEvents, NoApprovalEvents>();
        services.AddSingleton(sp => new ApprovalRequests(sp.GetRequiredService<ApprovalsOptions>(), sp.GetRequiredService<IApprovalEvents>()));
        services.AddSingleton(sp => new ApprovalWaiters(sp.GetRequiredService<ApprovalsOptions>()));
        services.AddSingleton(sp => new ApprovalService(
            sp.GetRequiredService<ReinDatabase>(), sp.GetRequiredService<AuditLog>(), sp.GetRequiredService<KeyService>(), sp.GetRequiredService<TraceQueries>(),
            sp.GetRequiredService<ApprovalWaiters>(), sp.GetRequiredService<DecisionSpans>(), sp.GetRequiredService<IDataProtectionProvider>(),
            sp.GetRequiredService<ApprovalsOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ApprovalService>>(),
            sp.GetRequiredService<Core.Traces.Redactor>()));
        services.AddSingleton(sp => new ApprovalExpiry(
            sp.GetRequiredService<ApprovalService>(), sp.GetRequiredService<ApprovalsOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ApprovalExpiry>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ApprovalExpiry>());
        services.AddSingleton(sp => new PostgresApprovalListener(
            sp.GetRequiredService<ReinDatabase>(), sp.GetRequiredService<ApprovalWaiters>(), sp.GetRequiredService<ApprovalsOptions>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PostgresApprovalListener>>()));
        services.AddHostedService(sp => sp.GetRequiredService<PostgresApprovalListener>());
        return rein;
    }
}
