using Rein.Core.Identity;
using Rein.Server.Storage;

namespace Rein.Server.Identity;

/// <summary>The outcome of checking a presented key: a caller, or why not (safe to show to the client).</summary>
public sealed record KeyCheck(Caller? Caller, string? Failure)
{
    public static KeyCheck Fail(string reason) => new(null, reason);
}

/// <summary>
/// Checks presented keys against storage on every request (no cache), so a revocation takes effect on the next
/// request on every replica. The secret's digest is compared in constant time, and a digest is computed even for an
/// unknown id so that the answer takes the same time either way.
/// </summary>
public sealed class ApiKeyAuthenticator(ReinDatabase database, TimeProvider time, IdentityOptions options)
{
    private static readonly byte[] DecoyHash = new byte[32];

    public async Task<KeyCheck> AuthenticateAsync(string? presented, CancellationToken cancellationToken)
    {
        if (!ApiKeyToken.TryParse(presented?.Trim(), out var token))
        {
            return KeyCheck.Fail($"the API key is malformed: Rein keys look like {ApiKeyToken.Prefix}<12 characters>_<40 characters>");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var found = await IdentityStore.FindForAuthenticationAsync(connection, token.Id);
        var matches = token.Matches(found?.SecretHash ?? DecoyHash);
        if (found is not { } stored || !matches)
        {
            return KeyCheck.Fail("the API key is not recognised");
        }

        var now = time.GetUtcNow();
        switch (stored.Key.StateAt(now))
        {
            case KeyState.Revoked:
                return KeyCheck.Fail("the API key was revoked");
            case KeyState.Expired:
                return KeyCheck.Fail($"the API key expired at {stored.Key.ExpiresAt:u}");
        }

        if (stored.Key.LastUsedAt is not { } last || now - last >= options.LastUsedResolution)
        {
            try
            {
                await IdentityStore.TouchKeyAsync(connection, stored.Key.Id, now);
            }
            catch (Exception e) when (database.Health.Failed(e, database.KindName, database.Location) is not null)
            {
                // The key was read and checked; only its last-used time could not be written (a full disk, a read-only
                // file). The request goes on, and whatever it writes answers for storage itself.
            }
        }

        return new KeyCheck(new Caller(stored.Key.Id, stored.Key.Name, stored.Key.ProjectId, stored.Key.Role), null);
    }

    /// <summary>Re-checks the key behind a dashboard session (the cookie holds its id, not its secret).</summary>
    public async Task<bool> IsActiveAsync(string keyId, CancellationToken cancellationToken)
    {
        var found = await database.ReadAsync(c => IdentityStore.FindForAuthenticationAsync(c, keyId), cancellationToken);
        return found is { } stored && stored.Key.StateAt(time.GetUtcNow()) == KeyState.Active;
    }
}
