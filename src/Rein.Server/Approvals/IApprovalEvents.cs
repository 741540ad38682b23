using System.Data.Common;
using System.Text.Json;

namespace Rein.Server.Approvals;

/// <summary>Implemented by the webhooks helper; the core registers a no-op default with TryAddSingleton.</summary>
public interface IApprovalEvents
{
    /// <summary>Called inside the transaction that created the request: write an outbox row here, never call out.</summary>
    Task RequestCreatedAsync(DbConnection c, DbTransaction t, ApprovalCreated created);
}

public sealed record ApprovalCreated(string ProjectId, string RequestId, string Queue, string Severity,
  string Agent, string Tool, string? Rule, string? Message, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt,
  JsonElement RedactedArgs);
