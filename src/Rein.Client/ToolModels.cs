using System.Text.Json;

namespace Rein.Client;

/// <summary>An upstream MCP server behind the gateway. Secret values in <see cref="Env"/> and <see cref="Headers"/> are
/// shown as <c>***</c>; <c>${env:NAME}</c> references as written.</summary>
public sealed record ToolServer(
    string Name,
    string Transport,
    string? Command,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Env,
    string? Url,
    IReadOnlyDictionary<string, string> Headers,
    string Timeout,
    bool Enabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>What one server replica knows of an upstream's health: <c>connected</c>, <c>idle</c> or <c>failing</c>, and
/// its circuit (<c>closed</c>, <c>open</c>, <c>halfopen</c>).</summary>
public sealed record ToolServerHealth(
    string Server, string State, string Circuit, DateTimeOffset? ConnectedAt, string? LastError, DateTimeOffset? LastErrorAt, int Restarts, int Tools);

/// <summary>A server and, once the replica that answered has used it, its health.</summary>
public sealed record ToolServerStatus(ToolServer Server, ToolServerHealth? Health);

/// <summary>What to set for a server: a <see cref="Command"/> (stdio) or a <see cref="Url"/> (Streamable HTTP). A value
/// of <c>***</c> keeps the stored secret of that name; <c>${env:NAME}</c> is read from the Rein server's environment.</summary>
public sealed record ToolServerSpec(
    string? Transport = null,
    string? Command = null,
    IReadOnlyList<string>? Args = null,
    IReadOnlyDictionary<string, string>? Env = null,
    string? Url = null,
    IReadOnlyDictionary<string, string>? Headers = null,
    string? Timeout = null,
    bool? Enabled = null);

/// <summary>A tool in the catalog. <see cref="State"/>: <c>pinned</c> (offered), <c>changed</c> (its definition changed
/// since it was pinned: withheld) or <c>pending</c> (never pinned, in explicit pin mode: withheld).</summary>
public sealed record GatewayTool(
    string Name,
    string Server,
    string Tool,
    string State,
    string Hash,
    string? PinnedHash,
    string? Description,
    JsonElement? InputSchema,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    DateTimeOffset? PinnedAt,
    string? PinnedBy,
    DateTimeOffset? ChangedAt);

/// <summary>The catalog and the servers that could not be listed when it was refreshed.</summary>
public sealed record ToolListing(IReadOnlyList<GatewayTool> Items, IReadOnlyDictionary<string, string> Errors);

/// <summary>A tool's pinned definition against the one its server offers now, with a line diff (<c>+ </c>, <c>- </c>).</summary>
public sealed record ToolDiff(string Name, string State, string? PinnedHash, string Hash, JsonElement? Pinned, JsonElement Current, IReadOnlyList<string> Lines);

/// <summary>The project's gateway settings: <c>tofu</c> (trust tools on first use) or <c>explicit</c> pinning.</summary>
public sealed record GatewaySettings(string PinMode, DateTimeOffset? UpdatedAt);

/// <summary>A fault injection rule: tools matching <see cref="Tool"/> (a glob) get <see cref="Kind"/> (<c>error</c>,
/// <c>delay</c>, <c>timeout</c> or <c>corrupt</c>) with <see cref="Probability"/>.</summary>
public sealed record FaultRule(string? Id, string Tool, string Kind, double? Probability = null, string? Delay = null, string? Message = null, bool? Enabled = null);

internal sealed record PinBody(string Server, string? Tool, string? Hash);

internal sealed record PinModeBody(string PinMode);

internal sealed record FaultsBody(IReadOnlyList<FaultRule> Rules);
