using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Rein.Client;

/// <summary>Source-generated serialization (the SDK is trimming- and AOT-safe), with the web defaults the server uses.
/// Unknown fields are ignored, so a newer server does not break an older client.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Health))]
[JsonSerializable(typeof(Readiness))]
[JsonSerializable(typeof(CallerInfo))]
[JsonSerializable(typeof(ServerStatus))]
[JsonSerializable(typeof(Page<ApiKeyInfo>))]
[JsonSerializable(typeof(ApiKeyInfo))]
[JsonSerializable(typeof(CreatedApiKey))]
[JsonSerializable(typeof(CreateKeyBody))]
[JsonSerializable(typeof(Page<Project>))]
[JsonSerializable(typeof(Project))]
[JsonSerializable(typeof(CreatedProject))]
[JsonSerializable(typeof(CreateProjectBody))]
[JsonSerializable(typeof(Page<AuditEntry>))]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(Page<Run>))]
[JsonSerializable(typeof(RunDetails))]
[JsonSerializable(typeof(SessionDetails))]
[JsonSerializable(typeof(RunAggregates))]
[JsonSerializable(typeof(TraceSettings))]
[JsonSerializable(typeof(PushPolicyBody))]
[JsonSerializable(typeof(ActivatePolicyBody))]
[JsonSerializable(typeof(BacktestBody))]
[JsonSerializable(typeof(PolicyVersion))]
[JsonSerializable(typeof(ItemList<PolicySummary>))]
[JsonSerializable(typeof(PolicyHistory))]
[JsonSerializable(typeof(PolicyDiff))]
[JsonSerializable(typeof(PolicyBacktest))]
[JsonSerializable(typeof(IReadOnlyList<PolicyFileProblem>))]
[JsonSerializable(typeof(IReadOnlyList<PolicyTestOutcome>))]
[JsonSerializable(typeof(KillSwitchBody))]
[JsonSerializable(typeof(ItemList<KillSwitch>))]
[JsonSerializable(typeof(GateRequest))]
[JsonSerializable(typeof(Decision))]
[JsonSerializable(typeof(Page<RecordedDecision>))]
[JsonSerializable(typeof(RecordedDecision))]
[JsonSerializable(typeof(Page<ApprovalSummary>))]
[JsonSerializable(typeof(Approval))]
[JsonSerializable(typeof(ApproveBody))]
[JsonSerializable(typeof(RejectBody))]
[JsonSerializable(typeof(FeedbackRecord))]
[JsonSerializable(typeof(ApprovalStats))]
[JsonSerializable(typeof(ItemList<ApprovalQueue>))]
[JsonSerializable(typeof(ApprovalQueue))]
[JsonSerializable(typeof(QueueBody))]
[JsonSerializable(typeof(ApprovalWebhook))]
[JsonSerializable(typeof(WebhookBody))]
[JsonSerializable(typeof(ItemList<ToolServerStatus>))]
[JsonSerializable(typeof(ToolServerStatus))]
[JsonSerializable(typeof(ToolServer))]
[JsonSerializable(typeof(ToolServerSpec))]
[JsonSerializable(typeof(ToolListing))]
[JsonSerializable(typeof(ToolDiff))]
[JsonSerializable(typeof(PinBody))]
[JsonSerializable(typeof(ItemList<GatewayTool>))]
[JsonSerializable(typeof(GatewaySettings))]
[JsonSerializable(typeof(PinModeBody))]
[JsonSerializable(typeof(ItemList<FaultRule>))]
[JsonSerializable(typeof(FaultsBody))]
internal sealed partial class ReinJsonContext : JsonSerializerContext;

internal sealed record CreateKeyBody(string Name, string Role, DateTimeOffset? ExpiresAt, IReadOnlyList<string>? Queues = null);

internal sealed record CreateProjectBody(string Id, string? Name);

/// <summary>A listing the server answers whole, without cursors.</summary>
internal sealed record ItemList<T>(IReadOnlyList<T> Items);

internal sealed record PushPolicyBody(string Source, string? File, bool Activate);

internal sealed record ActivatePolicyBody(int Version);

internal sealed record BacktestBody(int Version, DateTimeOffset? Since, int? Limit);

internal sealed record KillSwitchBody(string Scope, string Target, string? Agent, string? Reason);

internal sealed record ApproveBody(string? Note, JsonObject? Args);

internal sealed record RejectBody(string? Note);

internal sealed record QueueBody(string? Expiry);

internal sealed record WebhookBody(string Url, string? Secret);
