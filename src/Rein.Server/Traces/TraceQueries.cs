using Rein.Server.Identity;

namespace Rein.Server.Traces;

/// <summary>Reading runs, sessions and aggregates: what the API, the CLI (through the API) and the dashboard show.</summary>
public sealed class TraceQueries
{
    public const int MaxPageSize = 500;

    /// <summary>Newest first; <paramref name="cursor"/> is the <c>Next</c> of the previous page.</summary>
    public Task<Page<RunSummary>> ListRunsAsync(Caller caller, RunFilter filter, string? cursor, int limit, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    /// <summary>The run with its spans, or null when the caller's project has no such run.</summary>
    public Task<RunDetail?> GetRunAsync(Caller caller, string runId, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<SessionDetail?> GetSessionAsync(Caller caller, string sessionId, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<IReadOnlyList<RunAggregate>> AggregateAsync(Caller caller, AggregateBucket bucket, DateTimeOffset from, DateTimeOffset to, string? agent, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<TraceSettings> GetSettingsAsync(Caller caller, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<TraceSettings> SetSettingsAsync(Caller caller, TraceSettings settings, CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
