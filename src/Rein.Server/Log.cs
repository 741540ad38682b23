using Microsoft.Extensions.Logging;

namespace Rein.Server;

/// <summary>Every log message of the server, with stable event ids grouped by capability:
/// 1xxx hosting, 2xxx storage, 3xxx identity, 4xxx audit, 5xxx dashboard, 6xxx traces, 7xxx policies and the gate,
/// 80xx approvals (85xx their webhooks).</summary>
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

    // Hosting: the data folder and storage outages (1010-1029)
    [LoggerMessage(1010, LogLevel.Warning, "Made {Files} readable by their owner only (mode 0600): an earlier version had created them readable by others")]
    public static partial void DatabaseFilesNarrowed(ILogger logger, string files);

    // Storage
    [LoggerMessage(2001, LogLevel.Information, "Applied migration {Version} ({Name}) to {DatabaseKind}")]
    public static partial void MigrationApplied(ILogger logger, int version, string name, string databaseKind);

    [LoggerMessage(2002, LogLevel.Information, "Database schema is at version {Version} on {DatabaseKind} {DatabaseLocation}")]
    public static partial void SchemaReady(ILogger logger, int version, string databaseKind, string databaseLocation);

    // Storage outages (2010-2029): one line when an outage starts and one when it ends, never one per request.
    [LoggerMessage(2010, LogLevel.Error, "Storage unavailable: {DatabaseKind} {DatabaseLocation}: {Reason} ({ExceptionType}: {ExceptionMessage}); requests are answered 503 with Retry-After and the gate denies (gate.unavailable) until a write succeeds again")]
    public static partial void StorageUnavailable(ILogger logger, string databaseKind, string databaseLocation, string reason, string exceptionType, string exceptionMessage);

    [LoggerMessage(2011, LogLevel.Information, "Storage available again: {DatabaseKind} {DatabaseLocation} after {Duration}")]
    public static partial void StorageAvailable(ILogger logger, string databaseKind, string databaseLocation, TimeSpan duration);

    [LoggerMessage(2012, LogLevel.Debug, "{Method} {Path} answered 503: storage unavailable ({Reason})")]
    public static partial void StorageUnavailableRequest(ILogger logger, string method, string path, string reason);

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

    // Traces (6xxx). Span contents never reach a log line: only counts, ids and the project.
    [LoggerMessage(6001, LogLevel.Warning, "Trace writer could not commit {Spans} spans of {Requests} requests; they are answered 503 and will be re-sent")]
    public static partial void TraceWriteFailed(ILogger logger, int spans, int requests, Exception exception);

    [LoggerMessage(6002, LogLevel.Warning, "Trace ingest queue full ({Queued} of {Capacity} spans waiting); a request of {Spans} spans from project {ProjectId} is answered 503")]
    public static partial void TraceQueueFull(ILogger logger, int queued, int capacity, int spans, string projectId);

    [LoggerMessage(6003, LogLevel.Information, "Trace retention deleted {Runs} runs of project {ProjectId} started before {Cutoff:o}")]
    public static partial void TraceRetentionDeleted(ILogger logger, int runs, string projectId, DateTimeOffset cutoff);

    [LoggerMessage(6004, LogLevel.Warning, "Trace retention pass failed; it runs again in {Interval}")]
    public static partial void TraceRetentionFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(6005, LogLevel.Debug, "Ingested {Stored} spans for project {ProjectId} ({Duplicates} already stored, {Rejected} rejected, {Redactions} secrets redacted)")]
    public static partial void TraceIngested(ILogger logger, string projectId, int stored, int duplicates, int rejected, int redactions);

    [LoggerMessage(6006, LogLevel.Information, "Trace settings of project {ProjectId} changed by key {KeyId}: retention {RetentionDays} days, content capture {CaptureContent}")]
    public static partial void TraceSettingsChanged(ILogger logger, string projectId, string keyId, int retentionDays, bool captureContent);

    // Policies (7001-7049: the lifecycle and kill switches). Policy sources never reach a log line: names, versions, hashes.
    [LoggerMessage(7001, LogLevel.Information, "Policy {Name} version {Version} ({Hash}) pushed to project {ProjectId} by {Actor}")]
    public static partial void PolicyPushed(ILogger logger, string name, int version, string hash, string projectId, string actor);

    [LoggerMessage(7002, LogLevel.Information, "Policy push {What} to project {ProjectId} by {Actor} refused: {Reason}")]
    public static partial void PolicyRefused(ILogger logger, string what, string projectId, string actor, string reason);

    [LoggerMessage(7003, LogLevel.Information, "Policy {Name} {Action}: active version {Version} (was {Previous}) in project {ProjectId} by {Actor}")]
    public static partial void PolicyActiveChanged(ILogger logger, string name, string action, string version, string previous, string projectId, string actor);

    [LoggerMessage(7004, LogLevel.Warning, "Kill switch {Switch} on in project {ProjectId}, by {Actor}")]
    public static partial void KillSwitchAdded(ILogger logger, string @switch, string projectId, string actor);

    [LoggerMessage(7005, LogLevel.Information, "Kill switch {Switch} off in project {ProjectId}, by {Actor}")]
    public static partial void KillSwitchRemoved(ILogger logger, string @switch, string projectId, string actor);

    [LoggerMessage(7501, LogLevel.Warning, "Gate could not record {Decisions} decisions; they are answered deny (fail closed)")]
    public static partial void GateWriteFailed(ILogger logger, int decisions, Exception exception);

    [LoggerMessage(7502, LogLevel.Warning, "Gate queue full ({Queued} of {Capacity} decisions waiting); a request of project {ProjectId} is answered deny")]
    public static partial void GateQueueFull(ILogger logger, int queued, int capacity, string projectId);

    [LoggerMessage(7503, LogLevel.Warning, "Gate could not write the spans of {Decisions} decisions into their traces")]
    public static partial void GateSpansFailed(ILogger logger, int decisions, Exception exception);

    [LoggerMessage(7504, LogLevel.Debug, "Gate reloaded the rules of project {ProjectId} at epoch {Epoch}: {Policies} active policies, {KillSwitches} kill switches")]
    public static partial void GateRulesLoaded(ILogger logger, string projectId, long epoch, int policies, int killSwitches);

    // Approvals
    [LoggerMessage(8001, LogLevel.Information, "Approval request {RequestId} {Outcome} in queue {Queue} of project {ProjectId} by {Actor}")]
    public static partial void ApprovalDecided(ILogger logger, string requestId, string outcome, string queue, string projectId, string actor);

    [LoggerMessage(8002, LogLevel.Warning, "Approval expiry pass failed; it runs again in {Interval}")]
    public static partial void ApprovalExpiryFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(8003, LogLevel.Warning, "Listening for approval notifications failed; retrying in {Delay} (waiters re-read on their own meanwhile)")]
    public static partial void ApprovalListenerFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(8004, LogLevel.Information, "Approval queue {Queue} of project {ProjectId} set to expiry {Expiry} by {Actor}")]
    public static partial void ApprovalQueueSet(ILogger logger, string queue, string projectId, string expiry, string actor);

    // Approval webhooks (8501-8599). Secrets never reach a log line, nor webhook URLs (chat tools put a credential in
    // the path): only their scheme, host and port.
    [LoggerMessage(8501, LogLevel.Information, "Webhook of approval queue '{Queue}' set to {Origin} in project {ProjectId} by {Actor}")]
    public static partial void ApprovalWebhookSet(ILogger logger, string queue, string origin, string projectId, string actor);

    [LoggerMessage(8502, LogLevel.Information, "Webhook of approval queue '{Queue}' removed in project {ProjectId} by {Actor}")]
    public static partial void ApprovalWebhookRemoved(ILogger logger, string queue, string projectId, string actor);

    [LoggerMessage(8503, LogLevel.Debug, "Webhook delivery {DeliveryId} of approval request {RequestId} queued for queue '{Queue}' of project {ProjectId}")]
    public static partial void ApprovalWebhookQueued(ILogger logger, string deliveryId, string requestId, string queue, string projectId);

    [LoggerMessage(8504, LogLevel.Warning, "Could not queue the webhook of approval request {RequestId} (queue '{Queue}', project {ProjectId}); the request stands, without a notification")]
    public static partial void ApprovalWebhookNotQueued(ILogger logger, string requestId, string queue, string projectId, Exception exception);

    [LoggerMessage(8505, LogLevel.Information, "Webhook delivery {DeliveryId} of approval request {RequestId} (project {ProjectId}) delivered to {Origin} at attempt {Attempt}: HTTP {StatusCode}")]
    public static partial void ApprovalWebhookDelivered(ILogger logger, string deliveryId, string requestId, string projectId, string origin, int attempt, int statusCode);

    [LoggerMessage(8506, LogLevel.Information, "Webhook delivery {DeliveryId} of approval request {RequestId} (project {ProjectId}) to {Origin}: attempt {Attempt} of {MaxAttempts} failed ({Error}); next in {Delay}")]
    public static partial void ApprovalWebhookRetrying(ILogger logger, string deliveryId, string requestId, string projectId, string origin, int attempt, int maxAttempts, string error, TimeSpan delay);

    [LoggerMessage(8507, LogLevel.Warning, "Webhook delivery {DeliveryId} of approval request {RequestId} (project {ProjectId}) to {Origin} failed after {Attempts} attempts: {Error}")]
    public static partial void ApprovalWebhookFailed(ILogger logger, string deliveryId, string requestId, string projectId, string origin, int attempts, string error);

    [LoggerMessage(8508, LogLevel.Warning, "Webhook dispatcher pass failed; it runs again in {Interval}")]
    public static partial void ApprovalWebhookPassFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(8509, LogLevel.Information, "Deleted {Deliveries} finished webhook deliveries created before {Cutoff:o}")]
    public static partial void ApprovalWebhookDeliveriesDeleted(ILogger logger, int deliveries, DateTimeOffset cutoff);

    // Tool gateway (9001-9099). Server credentials never reach a log line; upstream errors are logged as the SDK or
    // the process reports them, which does not include the configured environment or headers.
    [LoggerMessage(9001, LogLevel.Information, "Tool server '{Server}' ({Transport}) set in project {ProjectId} by {Actor}")]
    public static partial void GatewayServerSet(ILogger logger, string server, string transport, string projectId, string actor);

    [LoggerMessage(9002, LogLevel.Information, "Tool server '{Server}' removed in project {ProjectId} by {Actor}")]
    public static partial void GatewayServerRemoved(ILogger logger, string server, string projectId, string actor);

    [LoggerMessage(9003, LogLevel.Warning, "Tool {Tool} of project {ProjectId} changed its definition; it is withheld until someone pins the new one")]
    public static partial void GatewayToolChanged(ILogger logger, string tool, string projectId);

    [LoggerMessage(9004, LogLevel.Information, "{Count} tools of server '{Server}' pinned in project {ProjectId} by {Actor}")]
    public static partial void GatewayToolsPinned(ILogger logger, int count, string server, string projectId, string actor);

    [LoggerMessage(9005, LogLevel.Information, "{Count} fault rules set in project {ProjectId} by {Actor}")]
    public static partial void GatewayFaultsSet(ILogger logger, int count, string projectId, string actor);

    [LoggerMessage(9006, LogLevel.Information, "Connected to tool server '{Server}' of project {ProjectId} ({Transport}, {ServerName} {ServerVersion})")]
    public static partial void GatewayUpstreamConnected(ILogger logger, string server, string projectId, string transport, string serverName, string serverVersion);

    [LoggerMessage(9007, LogLevel.Warning, "Tool server '{Server}' of project {ProjectId} failed: {Error}")]
    public static partial void GatewayUpstreamFailed(ILogger logger, string server, string projectId, string error);

    [LoggerMessage(9080, LogLevel.Debug, "Tool server '{Server}' of project {ProjectId} still failing: {Error}")]
    public static partial void GatewayUpstreamStillFailing(ILogger logger, string server, string projectId, string error);

    [LoggerMessage(9081, LogLevel.Debug, "Tool server '{Server}' of project {ProjectId}: the failure in detail")]
    public static partial void GatewayUpstreamFailureDetail(ILogger logger, string server, string projectId, Exception exception);

    [LoggerMessage(9008, LogLevel.Information, "MCP session {SessionId} opened for agent '{Agent}' of project {ProjectId}")]
    public static partial void GatewaySessionOpened(ILogger logger, string sessionId, string agent, string projectId);

    [LoggerMessage(9009, LogLevel.Information, "MCP session {SessionId} closed ({Why})")]
    public static partial void GatewaySessionClosed(ILogger logger, string sessionId, string why);

    [LoggerMessage(9010, LogLevel.Warning, "Could not record the gateway call of {Tool} (project {ProjectId}) in the trace")]
    public static partial void GatewaySpanNotWritten(ILogger logger, string tool, string projectId, Exception exception);

    // Fair shares (9050-9079): a bounded resource refused to a key or project over its share, or full for everyone.
    [LoggerMessage(9050, LogLevel.Debug, "MCP session refused to key {KeyId} of project {ProjectId}: {Bound} bound reached")]
    public static partial void GatewaySessionRefused(ILogger logger, string keyId, string projectId, ShareBound bound);

    [LoggerMessage(9051, LogLevel.Debug, "Gate request of key {KeyId} of project {ProjectId} answered deny: {Bound} share of the gate's queue reached")]
    public static partial void GateOverShare(ILogger logger, string keyId, string projectId, ShareBound bound);

    [LoggerMessage(9052, LogLevel.Debug, "OTLP request of {Spans} spans of key {KeyId} of project {ProjectId} answered 429: {Bound} share of the ingest queue reached")]
    public static partial void TraceOverShare(ILogger logger, int spans, string keyId, string projectId, ShareBound bound);
}
