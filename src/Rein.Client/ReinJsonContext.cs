using System.Text.Json;
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
internal sealed partial class ReinJsonContext : JsonSerializerContext;

internal sealed record CreateKeyBody(string Name, string Role, DateTimeOffset? ExpiresAt);

internal sealed record CreateProjectBody(string Id, string? Name);
