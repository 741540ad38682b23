using System.Data.Common;
using System.Globalization;
using Dapper;

namespace Rein.Server.Traces;

/// <summary>Per-project trace settings, retention deletes, and the run-list cursor.</summary>
internal sealed partial class TraceStore
{
    public Task<TraceSettings?> GetSettingsAsync(string projectId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<(long RetentionDays, bool CaptureContent)?>(
                "SELECT retention_days, capture_content FROM trace_settings WHERE project_id = @projectId", new { projectId });
            return row is { } r ? new TraceSettings((int)r.RetentionDays, r.CaptureContent) : null;
        }, cancellationToken);

    public static Task SetSettingsAsync(DbConnection connection, DbTransaction transaction, string projectId, TraceSettings settings, string actor, long nowMs) =>
        connection.ExecuteAsync(
            """
            INSERT INTO trace_settings (project_id, retention_days, capture_content, updated_at, updated_by)
            VALUES (@projectId, @retentionDays, @captureContent, @nowMs, @actor)
            ON CONFLICT (project_id) DO UPDATE SET retention_days = excluded.retention_days, capture_content = excluded.capture_content,
                updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """,
            new { projectId, retentionDays = settings.RetentionDays, captureContent = settings.CaptureContent, nowMs, actor }, transaction);

    /// <summary>Every project with its own retention, or the default; projects without settings use the default.</summary>
    public Task<List<(string ProjectId, int? RetentionDays)>> ProjectRetentionAsync(CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.QueryAsync<(string, long?)>(
                "SELECT p.id, s.retention_days FROM projects p LEFT JOIN trace_settings s ON s.project_id = p.id ORDER BY p.id"))
                .Select(r => (r.Item1, r.Item2 is { } d ? (int?)d : null)).ToList(),
            cancellationToken);

    /// <summary>Deletes up to <paramref name="batchSize"/> of the project's runs that started before the cutoff, with
    /// their spans; returns how many runs went.</summary>
    public Task<int> DeleteRunsBeforeAsync(string projectId, long cutoffNs, int batchSize, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            var ids = (await connection.QueryAsync<string>(
                "SELECT trace_id FROM runs WHERE project_id = @projectId AND start_ns < @cutoffNs ORDER BY start_ns LIMIT @batchSize",
                new { projectId, cutoffNs, batchSize }, transaction)).ToList();
            if (ids.Count == 0)
            {
                return 0;
            }

            var inList = IsPostgres ? "= ANY(@ids)" : "IN @ids";
            var args = new { projectId, ids = ids.ToArray() };
            await connection.ExecuteAsync($"DELETE FROM spans WHERE project_id = @projectId AND trace_id {inList}", args, transaction);
            await connection.ExecuteAsync($"DELETE FROM run_tools WHERE project_id = @projectId AND trace_id {inList}", args, transaction);
            await connection.ExecuteAsync($"DELETE FROM runs WHERE project_id = @projectId AND trace_id {inList}", args, transaction);
            return ids.Count;
        }, cancellationToken);

    public static long ToUnixNanos(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    public static string FormatCursor(RunSummary run) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{run.StartUnixNano}:{run.Id}")));

    public static (long, string)? ParseCursor(string cursor)
    {
        try
        {
            var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 && long.TryParse(text.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ns)
                ? (ns, text[(colon + 1)..])
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
