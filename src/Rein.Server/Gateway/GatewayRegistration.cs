using Microsoft.Extensions.DependencyInjection;

namespace Rein.Server.Gateway;

public static class GatewayRegistration
{
    /// <summary>The tool gateway: upstream servers and their connections, the tool catalog, the calls and the
    /// <c>/mcp</c> sessions. Settings: section <c>Gateway</c>.</summary>
    public static ReinBuilder AddGateway(this ReinBuilder rein)
    {
        ArgumentNullException.ThrowIfNull(rein);
        var services = rein.Services;
        services.AddSingleton<GatewayCache>();
        services.AddSingleton<GatewayServerService>();
        services.AddSingleton<ToolCatalog>();
        services.AddSingleton<UpstreamPool>();
        services.AddSingleton<ArgumentSchemas>();
        services.AddSingleton<GatewayCalls>();
        services.AddSingleton<McpSessions>();
        services.AddHostedService(sp => sp.GetRequiredService<McpSessions>());
        return rein;
    }
}
