using System.Data.Common;
using System.Text.Json;

namespace Rein.Server.Approvals;

/// <summary>A request just opened, as those who notify people about it see it: never the unredacted arguments.</summary>
public sealed record ApprovalCreated(
    string ProjectId,
    string RequestId,
    string Queue,
    string Severity,
    string Agent,
    string Tool,
    string? Rule,
    string? Message,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    JsonElement RedactedArgs);

/// <summary>What happens to approval requests that others react to (webhooks). The default does nothing.</summary>
public interface IApprovalEvents
{
    /// <summary>Called inside the transaction that created the request: write an outbox row here, never call out.
    /// A failure here fails the gate decision (deny, fail closed), so keep it to one insert.</summary>
    Task RequestCreatedAsync(DbConnection c, DbTransaction t, ApprovalCreated created);
}

/// <summary>No one is told: the registration when no notifier is configured.</summary>
internal sealed class NoApprovalEvents : IApprovalEvents
{
    public Task RequestCreatedAsync(DbConnection c, DbTransaction t, ApprovalCreated created) => Task.CompletedTask;
}
