using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rein.Core.Policies;
using Rein.Server.Identity;

namespace Rein.Server.Policies;

/// <summary>
/// <c>POST /api/v1/gate</c> (agent and admin keys), <c>/api/v1/decisions</c> (readers) and
/// <c>POST /api/v1/policies/{name}/backtest</c> (admins). The endpoints read, bound and map;
/// <see cref="GateService"/>, <see cref="DecisionLog"/> and <see cref="Backtest"/> do the work.
/// </summary>
public static class GateApi
{
    public const int MaxFilterLength = 256;

    public static IEndpointRouteBuilder MapGateApi(this IEndpointRouteBuilder api)
    {
        api.MapPost("/gate", async Task<Results<Ok<GateDecision>, ProblemHttpResult>> (HttpContext http, GateService gate, GateOptions options, CancellationToken cancellationToken) =>
        {
            var body = await JsonBody.ReadAsync<GateRequestBody>(
                http, options.MaxRequestBytes, max => $"a gate request may be at most {max} bytes (Gate:MaxRequestBytes)", GateJson.For(options.MaxJsonDepth), cancellationToken);
            var caller = http.Caller();
            var call = ToCall(body, AgentIdentity.Resolve(caller, body.Agent, body.ActAs), http.Request.Headers["traceparent"].ToString());
            return TypedResults.Ok(await gate.DecideAsync(caller, call, cancellationToken));
        }).WithTags("Gate").RequireAuthorization(Permissions.Act).Accepts<GateRequestBody>("application/json")
            .WithMetadata(new StorageUnavailableAnswer(DenyUnavailableAsync))
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        var decisions = api.MapGroup("/decisions").WithTags("Gate").RequireAuthorization(Permissions.Read);
        decisions.MapGet("", async (
            HttpContext http,
            DecisionLog log,
            string? effect,
            string? agent,
            string? tool,
            string? rule,
            string? runId,
            string? policy,
            string? from,
            string? to,
            int? limit,
            string? cursor,
            CancellationToken cancellationToken) =>
        {
            var filter = new DecisionFilter
            {
                Effect = effect is null ? null : PolicyNames.TryParseEffect(effect, out var e) ? e.ToName() : throw ReinProblemException.Invalid("effect", $"'{effect}' is not an effect; use allow, confirm, require_approval or deny"),
                Agent = Text("agent", agent),
                Tool = Text("tool", tool),
                Rule = Text("rule", rule),
                RunId = Text("runId", runId),
                Policy = Text("policy", policy),
                From = Time("from", from),
                To = Time("to", to),
            };
            if (filter is { From: { } start, To: { } end } && end <= start)
            {
                throw ReinProblemException.Invalid("to", "must be later than from");
            }

            if (cursor is not null && !DecisionIds.IsValid(cursor))
            {
                throw ReinProblemException.Invalid("cursor", "is not a cursor this server wrote; pass the next of the previous page");
            }

            var page = await log.ListAsync(http.Caller(), filter, cursor, Paging.Limit(limit, DecisionLog.MaxPageSize), cancellationToken);
            return TypedResults.Ok(new ListResponse<DecisionResponse>(page.Items, page.Next));
        }).ProducesProblem(StatusCodes.Status400BadRequest);

        decisions.MapGet("/{id}", async (HttpContext http, DecisionLog log, string id, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            var decision = DecisionIds.IsValid(id) ? await log.GetAsync(caller, id, cancellationToken) : null;
            return decision is null
                ? throw ReinProblemException.NotFound($"project {caller.ProjectId} has no decision {(id.Length > 40 ? id[..40] + "…" : id)}")
                : TypedResults.Ok(decision);
        }).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/policies/{name}/backtest", async (HttpContext http, Backtest backtest, string name, BacktestRequest request, CancellationToken cancellationToken) =>
            TypedResults.Ok(await backtest.RunAsync(http.Caller(), name, request, cancellationToken)))
            .WithTags("Policies").RequireAuthorization(Permissions.Administer)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <summary>Storage down before the gate could decide (the key lookup itself failed): the documented answer, deny
    /// with reason gate.unavailable, rather than an error an agent might read as permission.</summary>
    private static Task DenyUnavailableAsync(HttpContext http, Storage.StorageUnavailable outage)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        var json = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        return http.Response.WriteAsJsonAsync(GateService.Unavailable($"storage is unavailable ({outage.Reason})", ""), json, http.RequestAborted);
    }

    private static GateCall ToCall(GateRequestBody body, ActingAgent agent, string? traceparentHeader)
    {
        string? traceId = null, parentSpanId = null;
        if (body.Traceparent is { } field)
        {
            (traceId, parentSpanId) = TraceParent.Parse(field) ?? throw ReinProblemException.Invalid("traceparent", "is not W3C trace context (00-<32 hex trace id>-<16 hex span id>-<2 hex flags>)");
        }
        else if (TraceParent.Parse(traceparentHeader) is { } header)
        {
            // A malformed header is ignored, as W3C Trace Context asks of receivers.
            (traceId, parentSpanId) = header;
        }

        return new GateCall
        {
            Agent = agent.Agent,
            ActingAs = agent.ActingAs,
            Release = body.Release,
            RunId = body.RunId,
            SessionId = body.SessionId,
            ParentRunId = body.ParentRunId,
            PrincipalId = body.Principal?.Id,
            PrincipalRoles = body.Principal?.Roles ?? [],
            PrincipalAttributes = body.Principal?.Attributes,
            Tool = body.Tool!,
            Server = body.Server,
            Args = body.Args,
            Context = body.Context,
            TraceId = traceId,
            ParentSpanId = parentSpanId,
            ApprovalToken = body.ApprovalToken,
        };
    }

    private static string? Text(string field, string? value) =>
        string.IsNullOrEmpty(value) ? null
        : value.Length > MaxFilterLength ? throw ReinProblemException.Invalid(field, $"must be at most {MaxFilterLength} characters")
        : value;

    private static DateTimeOffset? Time(string field, string? value) =>
        string.IsNullOrEmpty(value) ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
        : throw ReinProblemException.Invalid(field, $"'{(value.Length > 40 ? value[..40] + "…" : value)}' is not a time; use ISO 8601 such as 2026-11-22T10:00:00Z");
}

/// <summary>W3C Trace Context <c>traceparent</c>: version 00, a non-zero trace id and parent id.</summary>
internal static class TraceParent
{
    public static (string TraceId, string SpanId)? Parse(string? value)
    {
        if (value is not { Length: 55 } || !value.StartsWith("00-", StringComparison.Ordinal) || value[35] != '-' || value[52] != '-')
        {
            return null;
        }

        var trace = value.AsSpan(3, 32);
        var span = value.AsSpan(36, 16);
        if (!IsHex(trace) || !IsHex(span) || !IsHex(value.AsSpan(53, 2)) || trace.IndexOfAnyExcept('0') < 0 || span.IndexOfAnyExcept('0') < 0)
        {
            return null;
        }

        return (trace.ToString().ToLowerInvariant(), span.ToString().ToLowerInvariant());
    }

    private static readonly System.Buffers.SearchValues<char> Hex = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    internal static bool IsHex(ReadOnlySpan<char> text) => text.IndexOfAnyExcept(Hex) < 0;
}

/// <summary>How gate requests are read: strict (an unknown field is an error), camelCase, nesting bounded.</summary>
internal static class GateJson
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, JsonSerializerOptions> ByDepth = new();

    public static JsonSerializerOptions For(int maxDepth) => ByDepth.GetOrAdd(maxDepth, static depth =>
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { MaxDepth = depth };
        ReinServiceCollectionExtensions.ConfigureJson(options);
        return options;
    });
}
