namespace Rein.Client;

/// <summary>The answer of <c>GET /healthz</c>: the server process answers.</summary>
/// <param name="Status">Always <c>ok</c> when the server answers.</param>
/// <param name="Version">The server's version.</param>
public sealed record Health(string Status, string Version);

/// <summary>The answer of <c>GET /readyz</c> when the server is ready to serve.</summary>
/// <param name="Status"><c>ready</c>.</param>
/// <param name="Database">The database kind: <c>sqlite</c> or <c>postgres</c>.</param>
/// <param name="SchemaVersion">The database schema version the server runs on.</param>
public sealed record Readiness(string Status, string Database, int SchemaVersion);

/// <summary>The key that made a request, as the server sees it (<c>GET /api/v1/me</c>).</summary>
/// <param name="KeyId">The key's public id.</param>
/// <param name="KeyName">The name given to the key when it was created.</param>
/// <param name="Role">The key's role: one of <see cref="KeyRoles.All"/>.</param>
/// <param name="ProjectId">The project the key belongs to.</param>
/// <param name="ServerAdmin">True for admin keys of the <c>default</c> project, which manage projects.</param>
public sealed record CallerInfo(string KeyId, string KeyName, string Role, string ProjectId, bool ServerAdmin);

/// <summary>The server's database as <c>GET /api/v1/status</c> describes it.</summary>
/// <param name="Kind"><c>sqlite</c> or <c>postgres</c>.</param>
/// <param name="SchemaVersion">The schema version.</param>
/// <param name="Location">The database file or host; null unless the caller is an admin.</param>
public sealed record DatabaseStatus(string Kind, int SchemaVersion, string? Location);

/// <summary>How many objects the caller's project holds.</summary>
/// <param name="Projects">Projects the caller can see (all of them for a server admin, otherwise 1).</param>
/// <param name="Keys">The project's keys, revoked and expired ones included.</param>
/// <param name="ActiveKeys">The project's keys that are neither revoked nor expired.</param>
/// <param name="AuditEntries">Entries in the project's audit log.</param>
public sealed record StatusCounts(long Projects, long Keys, long ActiveKeys, long AuditEntries);

/// <summary>The answer of <c>GET /api/v1/status</c>.</summary>
/// <param name="Version">The server's version.</param>
/// <param name="StartedAt">When the server process started.</param>
/// <param name="Database">The database the server uses.</param>
/// <param name="Project">The caller's project.</param>
/// <param name="Caller">The calling key.</param>
/// <param name="Counts">Counts of the caller's project.</param>
public sealed record ServerStatus(string Version, DateTimeOffset StartedAt, DatabaseStatus Database, Project Project, CallerInfo Caller, StatusCounts Counts);
