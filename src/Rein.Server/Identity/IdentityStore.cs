using System.Data.Common;
using Dapper;
using Rein.Core.Identity;

namespace Rein.Server.Identity;

/// <summary>SQL for projects and keys, the same text on SQLite and PostgreSQL. Writes take the caller's transaction
/// so that a change and its audit entry commit together.</summary>
public static class IdentityStore
{
    private const string KeyColumns =
        "id, project_id, name, role, created_at, created_by, expires_at, revoked_at, revoked_by, last_used_at, queues";

    public static Task<long> CountProjectsAsync(DbConnection c, DbTransaction? t) =>
        c.ExecuteScalarAsync<long>("SELECT count(*) FROM projects", transaction: t);

    public static async Task<Project?> GetProjectAsync(DbConnection c, DbTransaction? t, string id) =>
        (await c.QueryFirstOrDefaultAsync<ProjectRow>("SELECT id, name, created_at, created_by FROM projects WHERE id = @id", new { id }, t))?.ToProject();

    public static async Task<IReadOnlyList<Project>> ListProjectsAsync(DbConnection c, string? after, int limit) =>
        [.. (await c.QueryAsync<ProjectRow>(
                "SELECT id, name, created_at, created_by FROM projects WHERE @after IS NULL OR id > @after ORDER BY id LIMIT @limit",
                new { after, limit }))
            .Select(r => r.ToProject())];

    public static Task InsertProjectAsync(DbConnection c, DbTransaction t, Project project) =>
        c.ExecuteAsync(
            "INSERT INTO projects (id, name, created_at, created_by) VALUES (@Id, @Name, @CreatedAt, @CreatedBy)",
            new { project.Id, project.Name, CreatedAt = project.CreatedAt.ToUnixTimeMilliseconds(), project.CreatedBy },
            t);

    public static Task InsertKeyAsync(DbConnection c, DbTransaction t, ApiKey key, byte[] secretHash) =>
        c.ExecuteAsync(
            $"INSERT INTO api_keys ({KeyColumns}, secret_hash) VALUES (@Id, @ProjectId, @Name, @Role, @CreatedAt, @CreatedBy, @ExpiresAt, NULL, NULL, NULL, @Queues, @SecretHash)",
            new
            {
                key.Id,
                key.ProjectId,
                key.Name,
                Role = key.Role.ToName(),
                CreatedAt = key.CreatedAt.ToUnixTimeMilliseconds(),
                key.CreatedBy,
                ExpiresAt = key.ExpiresAt?.ToUnixTimeMilliseconds(),
                Queues = key.Queues is null ? null : System.Text.Json.JsonSerializer.Serialize(key.Queues),
                SecretHash = secretHash,
            },
            t);

    /// <summary>The key and its secret digest, across all projects: used only to authenticate a presented key.</summary>
    public static async Task<(ApiKey Key, byte[] SecretHash)?> FindForAuthenticationAsync(DbConnection c, string keyId)
    {
        var row = await c.QueryFirstOrDefaultAsync<KeyRow>($"SELECT {KeyColumns}, secret_hash FROM api_keys WHERE id = @keyId", new { keyId });
        return row is null ? null : (row.ToKey(), row.SecretHash!);
    }

    /// <summary>A key of one project; another project's key is not found.</summary>
    public static async Task<ApiKey?> GetKeyAsync(DbConnection c, DbTransaction? t, string projectId, string keyId) =>
        (await c.QueryFirstOrDefaultAsync<KeyRow>(
            $"SELECT {KeyColumns} FROM api_keys WHERE project_id = @projectId AND id = @keyId", new { projectId, keyId }, t))?.ToKey();

    public static async Task<IReadOnlyList<ApiKey>> ListKeysAsync(DbConnection c, string projectId, string? after, int limit) =>
        [.. (await c.QueryAsync<KeyRow>(
                $"""
                SELECT {KeyColumns} FROM api_keys
                WHERE project_id = @projectId
                  AND (@after IS NULL OR (created_at, id) > (SELECT created_at, id FROM api_keys WHERE project_id = @projectId AND id = @after))
                ORDER BY created_at, id
                LIMIT @limit
                """,
                new { projectId, after, limit }))
            .Select(r => r.ToKey())];

    public static Task<long> CountActiveKeysAsync(DbConnection c, DbTransaction? t, string projectId, DateTimeOffset now, Role? role = null) =>
        c.ExecuteScalarAsync<long>(
            """
            SELECT count(*) FROM api_keys
            WHERE project_id = @projectId AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)
              AND (@role IS NULL OR role = @role)
            """,
            new { projectId, now = now.ToUnixTimeMilliseconds(), role = role?.ToName() },
            t);

    public static Task<long> CountKeysAsync(DbConnection c, string projectId) =>
        c.ExecuteScalarAsync<long>("SELECT count(*) FROM api_keys WHERE project_id = @projectId", new { projectId });

    public static Task RevokeKeyAsync(DbConnection c, DbTransaction t, string projectId, string keyId, DateTimeOffset at, string by) =>
        c.ExecuteAsync(
            "UPDATE api_keys SET revoked_at = @at, revoked_by = @by WHERE project_id = @projectId AND id = @keyId AND revoked_at IS NULL",
            new { projectId, keyId, at = at.ToUnixTimeMilliseconds(), by },
            t);

    public static Task TouchKeyAsync(DbConnection c, string keyId, DateTimeOffset at) =>
        c.ExecuteAsync("UPDATE api_keys SET last_used_at = @at WHERE id = @keyId", new { keyId, at = at.ToUnixTimeMilliseconds() });

    internal static DateTimeOffset? FromMs(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    private sealed class ProjectRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public long CreatedAt { get; set; }
        public string? CreatedBy { get; set; }

        public Project ToProject() => new(Id, Name, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), CreatedBy);
    }

    private sealed class KeyRow
    {
        public string Id { get; set; } = "";
        public string ProjectId { get; set; } = "";
        public string Name { get; set; } = "";
        public string Role { get; set; } = "";
        public long CreatedAt { get; set; }
        public string? CreatedBy { get; set; }
        public long? ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }
        public string? RevokedBy { get; set; }
        public long? LastUsedAt { get; set; }
        public string? Queues { get; set; }
        public byte[]? SecretHash { get; set; }

        public ApiKey ToKey() => new(
            Id,
            ProjectId,
            Name,
            Roles.TryParse(Role, out var role) ? role : throw new InvalidDataException($"api_keys.role '{Role}' of key {Id} is not a role"),
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
            CreatedBy,
            FromMs(ExpiresAt),
            FromMs(RevokedAt),
            RevokedBy,
            FromMs(LastUsedAt))
        {
            Queues = Queues is null ? null : System.Text.Json.JsonSerializer.Deserialize<string[]>(Queues),
        };
    }
}
