using System.Security.Claims;
using Rein.Core.Identity;

namespace Rein.Server.Identity;

/// <summary>A project: the boundary of all data. Nothing is shared between projects.</summary>
public sealed record Project(string Id, string Name, DateTimeOffset CreatedAt, string? CreatedBy)
{
    /// <summary>The project created on first start. Its admins are the server's admins: they manage projects.</summary>
    public const string DefaultId = "default";
}

public enum KeyState
{
    Active,
    Expired,
    Revoked,
}

/// <summary>An API key's record; never its secret.</summary>
public sealed record ApiKey(
    string Id,
    string ProjectId,
    string Name,
    Role Role,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? RevokedBy,
    DateTimeOffset? LastUsedAt)
{
    /// <summary>The approval queues an approver key may decide; null: every queue. Other roles never have a list.</summary>
    public IReadOnlyList<string>? Queues { get; init; }

    public KeyState StateAt(DateTimeOffset now) =>
        RevokedAt is not null ? KeyState.Revoked
        : ExpiresAt is { } expires && expires <= now ? KeyState.Expired
        : KeyState.Active;
}

/// <summary>Who is asking: the key that authenticated the request.</summary>
public sealed record Caller(string KeyId, string KeyName, string ProjectId, Role Role)
{
    public const string KeyIdClaim = "rein:key";
    public const string KeyNameClaim = "rein:key-name";
    public const string ProjectClaim = "rein:project";
    public const string RoleClaim = "rein:role";

    /// <summary>Admins of the default project manage the server's projects.</summary>
    public bool IsServerAdmin => Role == Role.Admin && ProjectId == Project.DefaultId;

    public ClaimsPrincipal ToPrincipal(string scheme) => new(new ClaimsIdentity(
        [
            new Claim(KeyIdClaim, KeyId),
            new Claim(KeyNameClaim, KeyName),
            new Claim(ProjectClaim, ProjectId),
            new Claim(RoleClaim, Role.ToName()),
        ],
        scheme,
        KeyNameClaim,
        RoleClaim));

    public static Caller? FromPrincipal(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var keyId = principal.FindFirstValue(KeyIdClaim);
        var project = principal.FindFirstValue(ProjectClaim);
        return keyId is null || project is null || !Roles.TryParse(principal.FindFirstValue(RoleClaim), out var role)
            ? null
            : new Caller(keyId, principal.FindFirstValue(KeyNameClaim) ?? "", project, role);
    }
}

/// <summary>A page of a listing and the cursor for the next one (null at the end).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);
