using Microsoft.Extensions.DependencyInjection;

namespace Rein.Server.Audit;

public static class AuditRegistration
{
    public static ReinBuilder AddAudit(this ReinBuilder rein)
    {
        ArgumentNullException.ThrowIfNull(rein);
        rein.Services.AddSingleton<AuditLog>();
        return rein;
    }
}
