using System.Data.Common;
using System.Text.Json;
using Dapper;

namespace Rein.Server.Gateway;

internal static class GatewayJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}

internal sealed class ServerRow
{
    public string ProjectId { get; set; } = "";
    public string Name { get; set; } = "";
    public string Transport { get; set; } = "";
    public string Config { get; set; } = "";
    public long TimeoutMs { get; set; }
    public long Enabled { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>A tool a server offered: what it offers now and what was pinned.</summary>
internal sealed class ToolRow
{
    public string ProjectId { get; set; } = "";
    public string Server { get; set; } = "";
    public string Tool { get; set; } = "";
    public string Hash { get; set; } = "";
    public string Definition { get; set; } = "";
    public string? PinnedHash { get; set; }
    public string? PinnedDefinition { get; set; }
    public long? PinnedAt { get; set; }
    public string? PinnedBy { get; set; }
    public long FirstSeen { get; set; }
    public long LastSeen { get; set; }
    public long? ChangedAt { get; set; }
}

internal sealed class SettingsRow
{
    public string ProjectId { get; set; } = "";
    public string PinMode { get; set; } = "";
    public string Faults { get; set; } = "[]";
    public long UpdatedAt { get; set; }
}

/// <summary>The gateway's tables. Writes run inside the caller's transaction.</summary>
internal static class GatewayStore
{
    private const string ServerColumns = "project_id, name, transport, config, timeout_ms, enabled, created_at, updated_at";

    private const string ToolColumns =
        "project_id, server, tool, hash, definition, pinned_hash, pinned_definition, pinned_at, pinned_by, first_seen, last_seen, changed_at";

    public static Task<ServerRow?> GetServerAsync(DbConnection c, DbTransaction? t, string projectId, string name) =>
        c.QuerySingleOrDefaultAsync<ServerRow>(
            $"SELECT {ServerColumns} FROM gateway_servers WHERE project_id = @projectId AND name = @name", new { projectId, name }, t);

    public static async Task<IReadOnlyList<ServerRow>> ListServersAsync(DbConnection c, string projectId) =>
        [.. await c.QueryAsync<ServerRow>($"SELECT {ServerColumns} FROM gateway_servers WHERE project_id = @projectId ORDER BY name", new { projectId })];

    public static Task<long> CountServersAsync(DbConnection c, DbTransaction t, string projectId) =>
        c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM gateway_servers WHERE project_id = @projectId", new { projectId }, t);

    public static Task UpsertServerAsync(DbConnection c, DbTransaction t, ServerRow row) =>
        c.ExecuteAsync(
            $"""
            INSERT INTO gateway_servers ({ServerColumns})
            VALUES (@ProjectId, @Name, @Transport, @Config, @TimeoutMs, @Enabled, @CreatedAt, @UpdatedAt)
            ON CONFLICT (project_id, name) DO UPDATE SET transport = excluded.transport, config = excluded.config,
                timeout_ms = excluded.timeout_ms, enabled = excluded.enabled, updated_at = excluded.updated_at
            """,
            row,
            t);

    public static async Task<bool> DeleteServerAsync(DbConnection c, DbTransaction t, string projectId, string name) =>
        await c.ExecuteAsync("DELETE FROM gateway_servers WHERE project_id = @projectId AND name = @name", new { projectId, name }, t) > 0;

    public static async Task<IReadOnlyList<ToolRow>> ListToolsAsync(DbConnection c, DbTransaction? t, string projectId, string? server = null) =>
        [.. await c.QueryAsync<ToolRow>(
            $"SELECT {ToolColumns} FROM gateway_tools WHERE project_id = @projectId AND (@server IS NULL OR server = @server) ORDER BY server, tool",
            new { projectId, server },
            t)];

    public static Task<ToolRow?> GetToolAsync(DbConnection c, DbTransaction? t, string projectId, string server, string tool) =>
        c.QuerySingleOrDefaultAsync<ToolRow>(
            $"SELECT {ToolColumns} FROM gateway_tools WHERE project_id = @projectId AND server = @server AND tool = @tool", new { projectId, server, tool }, t);

    public static Task UpsertToolAsync(DbConnection c, DbTransaction t, ToolRow row) =>
        c.ExecuteAsync(
            $"""
            INSERT INTO gateway_tools ({ToolColumns})
            VALUES (@ProjectId, @Server, @Tool, @Hash, @Definition, @PinnedHash, @PinnedDefinition, @PinnedAt, @PinnedBy, @FirstSeen, @LastSeen, @ChangedAt)
            ON CONFLICT (project_id, server, tool) DO UPDATE SET hash = excluded.hash, definition = excluded.definition,
                pinned_hash = excluded.pinned_hash, pinned_definition = excluded.pinned_definition, pinned_at = excluded.pinned_at,
                pinned_by = excluded.pinned_by, last_seen = excluded.last_seen, changed_at = excluded.changed_at
            """,
            row,
            t);

    public static Task<SettingsRow?> GetSettingsAsync(DbConnection c, DbTransaction? t, string projectId) =>
        c.QuerySingleOrDefaultAsync<SettingsRow>(
            "SELECT project_id, pin_mode, faults, updated_at FROM gateway_settings WHERE project_id = @projectId", new { projectId }, t);

    public static Task UpsertSettingsAsync(DbConnection c, DbTransaction t, SettingsRow row) =>
        c.ExecuteAsync(
            """
            INSERT INTO gateway_settings (project_id, pin_mode, faults, updated_at) VALUES (@ProjectId, @PinMode, @Faults, @UpdatedAt)
            ON CONFLICT (project_id) DO UPDATE SET pin_mode = excluded.pin_mode, faults = excluded.faults, updated_at = excluded.updated_at
            """,
            row,
            t);
}
