using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Rein.Core.Traces;
using Rein.Server.Identity;

namespace Rein.Server.Traces;

public sealed record RunTokensResponse(long Input, long Output, long CachedInput, long Reasoning);

/// <summary>A run as the API answers it. <see cref="Cost"/> is null when any span used a model with no price. The exact
/// times are strings of Unix nanoseconds (a JSON number cannot hold them).</summary>
public sealed record RunResponse(
    string Id,
    string ProjectId,
    string? Name,
    string? Agent,
    string? Release,
    string? Session,
    string? User,
    RunStatus Status,
    DateTimeOffset StartedAt,
    double DurationMs,
    int Spans,
    int Steps,
    int ToolCalls,
    int Errors,
    RunTokensResponse Tokens,
    decimal? Cost,
    int UnpricedSpans,
    int Redactions,
    int Violations,
    string StartUnixNano,
    string EndUnixNano)
{
    public static RunResponse From(RunSummary run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new(
            run.Id, run.ProjectId, run.Name, run.Agent, run.Release, run.Session, run.User, run.Status, run.StartedAt, run.DurationMs,
            run.Spans, run.Steps, run.ToolCalls, run.Errors,
            new RunTokensResponse(run.InputTokens, run.OutputTokens, run.CachedInputTokens, run.ReasoningTokens),
            run.Cost, run.UnpricedSpans, run.Redactions, run.Violations,
            run.StartUnixNano.ToString(CultureInfo.InvariantCulture), run.EndUnixNano.ToString(CultureInfo.InvariantCulture));
    }
}

public sealed record SpanTokensResponse(long? Input, long? Output, long? CachedInput, long? Reasoning);

public sealed record SpanEventResponse(string Name, string Time, AttributeMap Attributes);

/// <summary>A span as the API answers it: times as ISO 8601 with microseconds plus the exact start and end in
/// nanoseconds as strings (a JSON number loses them past 2^53), attributes as plain JSON values.</summary>
public sealed record SpanResponse(
    string SpanId,
    string? ParentSpanId,
    string Name,
    StepKind Kind,
    string StartedAt,
    string StartUnixNano,
    double DurationMs,
    SpanStatus Status,
    string? StatusMessage,
    string? Operation,
    string? Provider,
    string? Model,
    string? Agent,
    string? Tool,
    string? Session,
    string? User,
    SpanTokensResponse Tokens,
    decimal? Cost,
    bool CostUnknown,
    AttributeMap Attributes,
    IReadOnlyList<SpanEventResponse> Events,
    AttributeMap Resource,
    string? Scope,
    int Redactions,
    int DroppedAttributes,
    int DroppedEvents,
    int TruncatedValues,
    string EndUnixNano)
{
    public static SpanResponse From(Span span)
    {
        ArgumentNullException.ThrowIfNull(span);
        return new(
            span.SpanId, span.ParentSpanId, span.Name, span.Kind,
            SpanTimes.Iso(span.StartUnixNano), span.StartUnixNano.ToString(CultureInfo.InvariantCulture), span.DurationNanos / 1e6,
            span.Status, span.StatusMessage, span.Operation, span.Provider, span.Model, span.AgentName, span.ToolName, span.SessionId, span.UserId,
            new SpanTokensResponse(span.Tokens.Input, span.Tokens.Output, span.Tokens.CachedInput, span.Tokens.Reasoning),
            span.Cost, span.CostUnknown,
            new AttributeMap(span.Attributes),
            [.. span.Events.Select(e => new SpanEventResponse(e.Name, SpanTimes.Iso(e.TimeUnixNano), new AttributeMap(e.Attributes)))],
            new AttributeMap(span.Resource),
            span.ScopeName, span.Redactions, span.DroppedAttributes, span.DroppedEvents, span.TruncatedValues,
            span.EndUnixNano.ToString(CultureInfo.InvariantCulture));
    }
}

public sealed record RunDetailResponse(RunResponse Run, IReadOnlyList<SpanResponse> Spans);

/// <summary>What a session's runs add up to. <see cref="Cost"/> is null when any run's cost is unknown.</summary>
public sealed record SessionTotalsResponse(int Runs, int Errors, long InputTokens, long OutputTokens, decimal? Cost, int Violations);

public sealed record SessionResponse(string Id, IReadOnlyList<RunResponse> Runs, bool Truncated, SessionTotalsResponse Totals)
{
    public static SessionResponse From(SessionDetail session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var runs = session.Runs;
        var totals = new SessionTotalsResponse(
            runs.Count,
            runs.Sum(r => r.Errors),
            runs.Sum(r => r.InputTokens),
            runs.Sum(r => r.OutputTokens),
            runs.Any(r => r.Cost is null) ? null : runs.Sum(r => r.KnownCost),
            runs.Sum(r => r.Violations));
        return new(session.Id, [.. runs.Select(RunResponse.From)], session.Truncated, totals);
    }
}

/// <summary>One agent's runs in one bucket. <see cref="Cost"/> covers the priced runs only; <see cref="UnpricedRuns"/>
/// says how many runs it leaves out.</summary>
public sealed record AggregateItemResponse(
    string Agent,
    DateTimeOffset BucketStart,
    int Runs,
    int FailedRuns,
    int RunsWithErrors,
    double ErrorRate,
    double P50DurationMs,
    double P95DurationMs,
    long InputTokens,
    long OutputTokens,
    decimal Cost,
    int UnpricedRuns)
{
    public static AggregateItemResponse From(RunAggregate a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return new(a.Agent, a.BucketStart, a.Runs, a.FailedRuns, a.RunsWithErrors, a.ErrorRate, a.P50DurationMs, a.P95DurationMs,
            a.InputTokens, a.OutputTokens, a.KnownCost, a.UnpricedRuns);
    }
}

public sealed record AggregateResponse(AggregateBucket Bucket, IReadOnlyList<AggregateItemResponse> Items);

/// <summary>The body of <c>PUT /api/v1/traces/settings</c>: both fields, the whole settings.</summary>
public sealed record TraceSettingsRequest(int? RetentionDays, bool? CaptureContent);

/// <summary>
/// <c>/api/v1/runs</c>, <c>/api/v1/sessions</c> and <c>/api/v1/traces/settings</c>: the project's runs, read with the
/// read permission. A run or session of another project is answered 404, the same as one that does not exist. The
/// endpoints only parse, bound and map; <see cref="TraceQueries"/> does the work.
/// </summary>
public static class RunsApi
{
    /// <summary>Longest filter value accepted; longer ones cannot match anything an agent reports, and would only cost.</summary>
    public const int MaxFilterLength = 256;

    /// <summary>Cursors are short opaque strings written by the server.</summary>
    public const int MaxCursorLength = 512;

    /// <summary>Hourly buckets over more than a month is a chart nobody reads, and thousands of rows per agent.</summary>
    public static readonly TimeSpan MaxHourlyRange = TimeSpan.FromDays(31);

    /// <summary>About a year of daily buckets, plus a margin for a "last 12 months" chart.</summary>
    public static readonly TimeSpan MaxDailyRange = TimeSpan.FromDays(400);

    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder api)
    {
        var runs = api.MapGroup("/runs").WithTags("Runs").RequireAuthorization(Permissions.Read);

        runs.MapGet("", async (
            HttpContext http,
            TraceQueries queries,
            string? agent,
            string? release,
            string? status,
            string? session,
            string? user,
            string? from,
            string? to,
            string? minCost,
            string? hasError,
            string? tool,
            int? limit,
            string? cursor,
            CancellationToken cancellationToken) =>
        {
            var filter = new RunFilter
            {
                Agent = Text("agent", agent),
                Release = Text("release", release),
                Status = Status(status),
                Session = Text("session", session),
                User = Text("user", user),
                From = Time("from", from),
                To = Time("to", to),
                MinCost = Cost(minCost),
                HasError = Flag("hasError", hasError),
                Tool = Text("tool", tool),
            };
            if (filter is { From: { } start, To: { } end } && end <= start)
            {
                throw ReinProblemException.Invalid("to", "must be later than from");
            }

            var take = Paging.Limit(limit, TraceQueries.MaxPageSize);
            var after = string.IsNullOrEmpty(cursor) ? null
                : cursor.Length > MaxCursorLength ? throw ReinProblemException.Invalid("cursor", "is not a cursor this server wrote; pass the next of the previous page")
                : cursor;
            var page = await queries.ListRunsAsync(http.Caller(), filter, after, take, cancellationToken);
            return TypedResults.Ok(new ListResponse<RunResponse>([.. page.Items.Select(RunResponse.From)], page.Next));
        }).ProducesProblem(StatusCodes.Status400BadRequest);

        runs.MapGet("/aggregate", async (HttpContext http, TraceQueries queries, TimeProvider time, string? bucket, string? from, string? to, string? agent, CancellationToken cancellationToken) =>
        {
            var size = bucket?.Trim().ToLowerInvariant() switch
            {
                null or "" or "hour" => AggregateBucket.Hour,
                "day" => AggregateBucket.Day,
                _ => throw ReinProblemException.Invalid("bucket", $"'{bucket}' is not a bucket; use hour or day"),
            };
            var (defaultRange, maxRange) = size == AggregateBucket.Hour ? (TimeSpan.FromHours(24), MaxHourlyRange) : (TimeSpan.FromDays(30), MaxDailyRange);
            var end = Time("to", to) ?? time.GetUtcNow();
            var start = Time("from", from) ?? end - defaultRange;
            if (end <= start)
            {
                throw ReinProblemException.Invalid("to", "must be later than from");
            }

            if (end - start > maxRange)
            {
                throw ReinProblemException.Invalid("from", $"{size.ToString().ToLowerInvariant()} buckets cover at most {maxRange.TotalDays:0} days; narrow from and to");
            }

            var items = await queries.AggregateAsync(http.Caller(), size, start, end, Text("agent", agent), cancellationToken);
            return TypedResults.Ok(new AggregateResponse(size, [.. items.Select(AggregateItemResponse.From)]));
        }).ProducesProblem(StatusCodes.Status400BadRequest);

        runs.MapGet("/{id}", async (HttpContext http, TraceQueries queries, string id, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            var detail = await queries.GetRunAsync(caller, id, cancellationToken);
            return detail is null
                ? throw ReinProblemException.NotFound($"project {caller.ProjectId} has no run {Shorten(id)}")
                : TypedResults.Ok(new RunDetailResponse(RunResponse.From(detail.Run), [.. detail.Spans.Select(SpanResponse.From)]));
        }).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/sessions/{id}", async (HttpContext http, TraceQueries queries, string id, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            var session = id.Length <= MaxFilterLength ? await queries.GetSessionAsync(caller, id, cancellationToken) : null;
            return session is null
                ? throw ReinProblemException.NotFound($"project {caller.ProjectId} has no session {Shorten(id)}")
                : TypedResults.Ok(SessionResponse.From(session));
        }).WithTags("Runs").RequireAuthorization(Permissions.Read).ProducesProblem(StatusCodes.Status404NotFound);

        var settings = api.MapGroup("/traces/settings").WithTags("Runs");
        settings.MapGet("", async (HttpContext http, TraceQueries queries, CancellationToken cancellationToken) =>
            TypedResults.Ok(await queries.GetSettingsAsync(http.Caller(), cancellationToken)))
            .RequireAuthorization(Permissions.Read);

        settings.MapPut("", async (HttpContext http, TraceQueries queries, TraceSettingsRequest request, CancellationToken cancellationToken) =>
        {
            var wanted = new TraceSettings(
                request.RetentionDays ?? throw ReinProblemException.Invalid("retentionDays", "is required"),
                request.CaptureContent ?? throw ReinProblemException.Invalid("captureContent", "is required"));
            return TypedResults.Ok(await queries.SetSettingsAsync(http.Caller(), wanted, cancellationToken));
        }).RequireAuthorization(Permissions.Administer).ProducesValidationProblem();

        return api;
    }

    private static string? Text(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return value.Length > MaxFilterLength
            ? throw ReinProblemException.Invalid(field, $"is longer than {MaxFilterLength} characters")
            : value.Trim();
    }

    private static RunStatus? Status(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "running" => RunStatus.Running,
        "success" => RunStatus.Success,
        "failure" => RunStatus.Failure,
        "escalated" => RunStatus.Escalated,
        _ => throw ReinProblemException.Invalid("status", $"'{Shorten(value)}' is not a run status; use running, success, failure or escalated"),
    };

    private static DateTimeOffset? Time(string field, string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : value.Length <= 64 && DateTimeOffset.TryParse(value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at
        : throw ReinProblemException.Invalid(field, $"'{Shorten(value)}' is not a time: use ISO 8601, such as 2026-12-31T00:00:00Z");

    private static decimal? Cost(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : value.Length <= 32 && decimal.TryParse(value.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cost) ? cost
        : throw ReinProblemException.Invalid("minCost", $"'{Shorten(value)}' is not a cost: use a number of US dollars of at least 0, such as 0.25");

    private static bool? Flag(string field, string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "true" => true,
        "false" => false,
        _ => throw ReinProblemException.Invalid(field, $"'{Shorten(value)}' is not true or false"),
    };

    /// <summary>Echoes at most the start of what the client sent: enough to recognise, never a page of it.</summary>
    private static string Shorten(string? value) => value is { Length: > 80 } ? value[..80] + "..." : value ?? "";
}
