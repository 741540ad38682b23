using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Rein.Core.Policies;
using Rein.Server.Identity;

namespace Rein.Server.Policies;

/// <summary>The body of <c>POST /api/v1/policies</c>. <see cref="File"/> names the file in problems' locations.</summary>
public sealed record PushPolicyRequest(string? Source, string? File, bool? Activate);

public sealed record ActivatePolicyRequest(int? Version);

/// <summary>A version. <see cref="Source"/> and <see cref="Tests"/> are present only when one version is asked for.</summary>
public sealed record PolicyVersionResponse(
    string Name,
    int Version,
    string Hash,
    string Mode,
    IReadOnlyList<string> Agents,
    int Rules,
    int TestsPassed,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    bool Active,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Source = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<PolicyTestOutcome>? Tests = null)
{
    public static PolicyVersionResponse From(PolicyVersionRecord v, bool active)
    {
        ArgumentNullException.ThrowIfNull(v);
        return new(v.Name, v.Version, v.Hash, v.Mode.ToName(), v.Agents, v.Rules, v.TestsPassed, v.CreatedAt, v.CreatedBy, active);
    }
}

public sealed record PolicySummaryResponse(string Name, int? ActiveVersion, int LatestVersion, string Mode, IReadOnlyList<string> Agents, DateTimeOffset UpdatedAt);

public sealed record PolicyActivationResponse(int? Version, string Action, DateTimeOffset At, string? Actor);

/// <summary>A policy's newest versions and activations, newest first (at most <see cref="PolicyService.MaxHistory"/> of each).</summary>
public sealed record PolicyDetailResponse(
    string Name,
    int? ActiveVersion,
    int LatestVersion,
    IReadOnlyList<PolicyVersionResponse> Versions,
    IReadOnlyList<PolicyActivationResponse> Activations);

/// <summary>Which version is active after a deactivation (none).</summary>
public sealed record PolicyStateResponse(string Name, int? ActiveVersion, int LatestVersion, DateTimeOffset UpdatedAt);

public sealed record DiffLineResponse(string Kind, string Text, int? OldLine, int? NewLine);

public sealed record PolicyDiffResponse(string Name, int From, int To, IReadOnlyList<DiffLineResponse> Lines);

/// <summary>A whole, unpaged listing: <c>{ items: [...] }</c>.</summary>
public sealed record ItemsResponse<T>(IReadOnlyList<T> Items);

/// <summary>
/// <c>/api/v1/policies</c>: push, read, compare and activate policy versions. Reading needs the read permission,
/// changing needs admin. Another project's policy is answered 404, the same as one that does not exist. The
/// endpoints only parse, bound and map; <see cref="PolicyService"/> does the work.
/// </summary>
public static class PoliciesApi
{
    /// <summary>The largest push body: any policy file within <see cref="PolicyLimits.MaxSourceBytes"/> (256 KiB)
    /// must fit however its client escapes it. JSON escaping grows a UTF-8 byte at most six times (<c>"</c> becomes
    /// <c>\u0022</c> with System.Text.Json's default encoder, as do <c>'</c>, <c>&lt;</c>, <c>&gt;</c> and
    /// <c>&amp;</c>); 64 KiB more covers the other fields. The source itself is then held to the policy limit.</summary>
    public static readonly long MaxPushBodyBytes = (6L * PolicyLimits.Default.MaxSourceBytes) + (64 * 1024);

    public static IEndpointRouteBuilder MapPoliciesLifecycleApi(this IEndpointRouteBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var policies = api.MapGroup("/policies").WithTags("Policies");
        var read = policies.MapGroup("").RequireAuthorization(Permissions.Read);
        var change = policies.MapGroup("").RequireAuthorization(Permissions.Administer);

        change.MapPost("", async Task<Results<Created<PolicyVersionResponse>, Ok<PolicyVersionResponse>>> (HttpContext http, PolicyService service, CancellationToken cancellationToken) =>
        {
            var request = await JsonBody.ReadAsync<PushPolicyRequest>(http, MaxPushBodyBytes, TooLarge, null, cancellationToken);
            var pushed = await service.PushAsync(http.Caller(), request.Source, request.File, request.Activate ?? false, cancellationToken);
            var response = PolicyVersionResponse.From(pushed.Version, pushed.Active);
            return pushed.Created
                ? TypedResults.Created($"/api/v1/policies/{pushed.Version.Name}/versions/{pushed.Version.Version}", response)
                : TypedResults.Ok(response);
        })
            .Accepts<PushPolicyRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        read.MapGet("", async (HttpContext http, PolicyService service, CancellationToken cancellationToken) =>
        {
            var items = await service.ListAsync(http.Caller(), cancellationToken);
            return TypedResults.Ok(new ItemsResponse<PolicySummaryResponse>(
                [.. items.Select(p => new PolicySummaryResponse(p.Name, p.ActiveVersion, p.LatestVersion, p.Mode.ToName(), p.Agents, p.UpdatedAt))]));
        });

        read.MapGet("/{name}", async (HttpContext http, PolicyService service, string name, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            var history = await service.GetAsync(caller, name, cancellationToken) ?? throw NoPolicy(caller, name);
            var policy = history.Policy;
            return TypedResults.Ok(new PolicyDetailResponse(
                policy.Name,
                policy.ActiveVersion,
                policy.LatestVersion,
                [.. history.Versions.Select(v => PolicyVersionResponse.From(v, v.Version == policy.ActiveVersion))],
                [.. history.Activations.Select(a => new PolicyActivationResponse(a.Version, a.Action, a.At, a.Actor))]));
        }).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        read.MapGet("/{name}/versions/{version}", async (HttpContext http, PolicyService service, string name, string version, CancellationToken cancellationToken) =>
        {
            var caller = http.Caller();
            PolicyService.ValidateName(name);
            var number = Version("version", version);
            var detail = await service.GetVersionAsync(caller, name, number, cancellationToken)
                ?? throw ReinProblemException.NotFound($"project {caller.ProjectId} has no version {number} of policy {name}");
            return TypedResults.Ok(PolicyVersionResponse.From(detail.Version, detail.Active) with
            {
                Source = detail.Version.Source,
                Tests = [.. detail.Tests.Results.Select(r => new PolicyTestOutcome(r.Name, r.Line, r.Passed, r.Failure))],
            });
        }).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        read.MapGet("/{name}/diff", async (HttpContext http, PolicyService service, string name, string? from, string? to, CancellationToken cancellationToken) =>
        {
            PolicyService.ValidateName(name);
            var diff = await service.DiffAsync(http.Caller(), name, Version("from", from), Version("to", to), cancellationToken);
            return TypedResults.Ok(new PolicyDiffResponse(diff.Name, diff.From, diff.To,
                [.. diff.Lines.Select(l => new DiffLineResponse(KindName(l.Kind), l.Text, l.OldLine, l.NewLine))]));
        }).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        change.MapPost("/{name}/activate", async (HttpContext http, PolicyService service, string name, ActivatePolicyRequest request, CancellationToken cancellationToken) =>
        {
            PolicyService.ValidateName(name);
            var version = request.Version switch
            {
                null => throw ReinProblemException.Invalid("version", "is required: the version to activate"),
                < 1 => throw ReinProblemException.Invalid("version", "must be at least 1"),
                var v => v.Value,
            };
            return TypedResults.Ok(PolicyVersionResponse.From(await service.ActivateAsync(http.Caller(), name, version, cancellationToken), active: true));
        }).ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);

        change.MapPost("/{name}/rollback", async (HttpContext http, PolicyService service, string name, CancellationToken cancellationToken) =>
        {
            PolicyService.ValidateName(name);
            return TypedResults.Ok(PolicyVersionResponse.From(await service.RollbackAsync(http.Caller(), name, cancellationToken), active: true));
        }).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        change.MapPost("/{name}/deactivate", async (HttpContext http, PolicyService service, string name, CancellationToken cancellationToken) =>
        {
            PolicyService.ValidateName(name);
            var policy = await service.DeactivateAsync(http.Caller(), name, cancellationToken);
            return TypedResults.Ok(new PolicyStateResponse(policy.Name, policy.ActiveVersion, policy.LatestVersion, policy.UpdatedAt));
        }).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    private static string TooLarge(long maxBytes) =>
        $"the request body is larger than this endpoint accepts (at most {maxBytes} bytes); a policy file may be at most {PolicyLimits.Default.MaxSourceBytes / 1024} KiB";

    private static int Version(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw ReinProblemException.Invalid(field, "is required: a version number");
        }

        return value.Length <= 10 && int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version >= 1
            ? version
            : throw ReinProblemException.Invalid(field, $"'{(value.Length > 20 ? value[..20] + "..." : value)}' is not a version: use a whole number from 1");
    }

    private static string KindName(DiffKind kind) => kind switch
    {
        DiffKind.Added => "added",
        DiffKind.Removed => "removed",
        _ => "same",
    };

    private static ReinProblemException NoPolicy(Caller caller, string name) =>
        ReinProblemException.NotFound($"project {caller.ProjectId} has no policy {name}");
}
