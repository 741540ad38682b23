using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Rein.Server.Policies;

public static class PoliciesRegistration
{
    /// <summary>Policy versions and activation, kill switches, the gate and its decision log.</summary>
    public static ReinBuilder AddPolicies(this ReinBuilder rein)
    {
        ArgumentNullException.ThrowIfNull(rein);
        var services = rein.Services;
        services.AddSingleton<PolicyCatalog>();
        // policy lifecycle
        services.AddSingleton<PolicyService>();
        services.AddSingleton<KillSwitchService>();

        // gate and decision log (gate part)
        services.AddSingleton(sp => new GateStore(sp.GetRequiredService<Storage.ReinDatabase>()));
        services.AddSingleton(sp => new DecisionSpans(sp.GetRequiredService<Traces.TraceIngest>(), sp.GetRequiredService<ILogger<DecisionSpans>>()));
        services.AddHostedService(sp => sp.GetRequiredService<DecisionSpans>());
        services.AddSingleton(sp => new GateWriter(
            sp.GetRequiredService<Storage.ReinDatabase>(), sp.GetRequiredService<PolicyCatalog>(), sp.GetRequiredService<Traces.TraceQueries>(),
            sp.GetRequiredService<DecisionSpans>(), sp.GetRequiredService<Core.Traces.Redactor>(), sp.GetRequiredService<Approvals.ApprovalRequests>(),
            sp.GetRequiredService<Audit.AuditLog>(), sp.GetRequiredService<GateOptions>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<GateWriter>>()));
        services.AddHostedService(sp => sp.GetRequiredService<GateWriter>());
        services.AddSingleton(sp => new GateService(sp.GetRequiredService<GateWriter>(), sp.GetRequiredService<Traces.TraceQueries>()));
        services.AddSingleton(sp => new DecisionLog(sp.GetRequiredService<GateStore>()));
        services.AddSingleton(sp => new Backtest(
            sp.GetRequiredService<GateStore>(), sp.GetRequiredService<PolicyCatalog>(), sp.GetRequiredService<Storage.ReinDatabase>(), sp.GetRequiredService<GateOptions>(),
            sp.GetRequiredService<TimeProvider>()));
        return rein;
    }

    /// <summary><c>/api/v1/policies</c>, <c>/api/v1/kill-switches</c>, <c>/api/v1/gate</c>, <c>/api/v1/decisions</c>.</summary>
    public static IEndpointRouteBuilder MapPoliciesApi(this IEndpointRouteBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        // policy lifecycle endpoints
        api.MapPoliciesLifecycleApi().MapKillSwitchesApi();

        // gate and decision endpoints (gate part)
        api.MapGateApi();
        return api;
    }
}
