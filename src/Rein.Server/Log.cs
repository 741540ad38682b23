using Microsoft.Extensions.Logging;

namespace Rein.Server;

/// <summary>Every log message of the server, with stable event ids grouped by capability:
/// 1xxx hosting, 2xxx storage, 3xxx identity, 4xxx audit, 5xxx dashboard.</summary>
internal static partial class Log
{
    // Hosting
    [LoggerMessage(1001, LogLevel.Information, "Rein {Version} listening on {Urls} (database: {DatabaseKind} {DatabaseLocation})")]
    public static partial void Listening(ILogger logger, string version, string urls, string databaseKind, string databaseLocation);

    [LoggerMessage(1002, LogLevel.Error, "Unhandled error while serving {Method} {Path}")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(1003, LogLevel.Information, "Client error {StatusCode} on {Method} {Path}: {Reason}")]
    public static partial void ClientError(ILogger logger, int statusCode, string method, string path, string reason);

    [LoggerMessage(1004, LogLevel.Information, "Shutting down: draining in-flight requests for up to {Timeout}")]
    public static partial void ShuttingDown(ILogger logger, TimeSpan timeout);

    // Storage
    [LoggerMessage(2001, LogLevel.Information, "Applied migration {Version} ({Name}) to {DatabaseKind}")]
    public static partial void MigrationApplied(ILogger logger, int version, string name, string databaseKind);

    [LoggerMessage(2002, LogLevel.Information, "Database schema is at version {Version} on {DatabaseKind} {DatabaseLocation}")]
    public static partial void SchemaReady(ILogger logger, int version, string databaseKind, string databaseLocation);

    // Identity
    [LoggerMessage(3001, LogLevel.Warning, "First start: created project '{ProjectId}' and admin key {KeyId}; the key is in {KeyFile}")]
    public static partial void Bootstrapped(ILogger logger, string projectId, string keyId, string keyFile);

    [LoggerMessage(3002, LogLevel.Warning, "First start: created project '{ProjectId}' and admin key {KeyId}, but could not write {KeyFile}: {Reason}")]
    public static partial void BootstrapKeyFileFailed(ILogger logger, string projectId, string keyId, string keyFile, string reason);

    [LoggerMessage(3003, LogLevel.Information, "Key {KeyId} ({Role}) created in project {ProjectId} by {Actor}")]
    public static partial void KeyCreated(ILogger logger, string keyId, string role, string projectId, string actor);

    [LoggerMessage(3004, LogLevel.Information, "Key {KeyId} revoked in project {ProjectId} by {Actor}")]
    public static partial void KeyRevoked(ILogger logger, string keyId, string projectId, string actor);

    [LoggerMessage(3005, LogLevel.Information, "Project {ProjectId} created by {Actor}")]
    public static partial void ProjectCreated(ILogger logger, string projectId, string actor);

    [LoggerMessage(3006, LogLevel.Debug, "Authentication failed: {Reason}")]
    public static partial void AuthenticationFailed(ILogger logger, string reason);

    // Audit
    [LoggerMessage(4001, LogLevel.Warning, "Audit chain of project {ProjectId} failed verification at entry {Seq}: {Problem}")]
    public static partial void AuditChainBroken(ILogger logger, string projectId, long seq, string problem);

    // Dashboard
    [LoggerMessage(5001, LogLevel.Information, "Dashboard sign-in with key {KeyId} ({Role}) of project {ProjectId}")]
    public static partial void DashboardSignIn(ILogger logger, string keyId, string role, string projectId);

    // The reason is the authenticator's text or the role rule; it never contains the presented key.
    [LoggerMessage(5002, LogLevel.Information, "Dashboard sign-in refused from {RemoteAddress}: {Reason}")]
    public static partial void DashboardSignInRefused(ILogger logger, string remoteAddress, string reason);

    [LoggerMessage(5003, LogLevel.Information, "Dashboard sign-out of key {KeyId} of project {ProjectId}")]
    public static partial void DashboardSignOut(ILogger logger, string keyId, string projectId);
}
