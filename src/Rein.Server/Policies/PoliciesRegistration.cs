using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

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

        // gate and decision log (gate part) register here
        return rein;
    }

    /// <summary><c>/api/v1/policies</c>, <c>/api/v1/kill-switches</c>, <c>/api/v1/gate</c>, <c>/api/v1/decisions</c>.</summary>
    public static IEndpointRouteBuilder MapPoliciesApi(this IEndpointRouteBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        // policy lifecycle endpoints
        api.MapPoliciesLifecycleApi().MapKillSwitchesApi();

        // gate and decision endpoints (gate part) map here
        return api;
    }
}
