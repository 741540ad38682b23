namespace Rein.Client;

/// <summary>An API key's record; never its secret.</summary>
/// <param name="Id">The key's public id (the 12 characters after <c>rein_</c> in the key).</param>
/// <param name="ProjectId">The project the key belongs to.</param>
/// <param name="Name">What the key is for.</param>
/// <param name="Role">One of <see cref="KeyRoles.All"/>.</param>
/// <param name="State">One of <see cref="KeyStates.Active"/>, <see cref="KeyStates.Expired"/>, <see cref="KeyStates.Revoked"/>, as of the answer.</param>
/// <param name="CreatedAt">When the key was created.</param>
/// <param name="CreatedBy">The id of the key that created it.</param>
/// <param name="ExpiresAt">When the key stops working; null for never.</param>
/// <param name="RevokedAt">When the key was revoked; null when it was not.</param>
/// <param name="RevokedBy">The id of the key that revoked it.</param>
/// <param name="LastUsedAt">When the key last authenticated a request (to within a minute); null for never.</param>
public sealed record ApiKeyInfo(
    string Id,
    string ProjectId,
    string Name,
    string Role,
    string State,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? RevokedBy,
    DateTimeOffset? LastUsedAt)
{
    /// <summary>The approval queues an approver key may decide; null for every queue (and for keys of other roles).</summary>
    public IReadOnlyList<string>? Queues { get; init; }
}

/// <summary>A key as just created.</summary>
/// <param name="Key">The new key's record.</param>
/// <param name="ApiKey">The full key, <c>rein_&lt;id&gt;_&lt;secret&gt;</c>. It is shown only in this answer: the server
/// keeps only its hash.</param>
public sealed record CreatedApiKey(ApiKeyInfo Key, string ApiKey);

/// <summary>The roles an API key can have.</summary>
public static class KeyRoles
{
    /// <summary>Sends traces, asks the gate, uses memory and the tool gateway.</summary>
    public const string Agent = "agent";

    /// <summary>Reads everything in the project.</summary>
    public const string Viewer = "viewer";

    /// <summary>Viewer plus deciding approvals.</summary>
    public const string Approver = "approver";

    /// <summary>Everything in the project, keys included.</summary>
    public const string Admin = "admin";

    /// <summary>Every role, in order of increasing reach.</summary>
    public static IReadOnlyList<string> All { get; } = [Agent, Viewer, Approver, Admin];
}

/// <summary>The states of an API key.</summary>
public static class KeyStates
{
    /// <summary>The key works.</summary>
    public const string Active = "active";

    /// <summary>The key's expiry time has passed.</summary>
    public const string Expired = "expired";

    /// <summary>The key was revoked.</summary>
    public const string Revoked = "revoked";
}
