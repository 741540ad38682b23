using Rein.Core.Identity;
using Rein.Server.Identity;
using Rein.Server.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Storage;

public abstract class ApiKeyAuthenticatorTests : StorageTestBase
{
    [Fact]
    public async Task AuthenticateAsync_ActiveKey_GivesItsCaller()
    {
        var created = await H.Keys.CreateAsync(H.Admin, "bot", "agent", null, Ct);

        var check = await H.Authenticator.AuthenticateAsync(created.Value, Ct);

        Assert.Equal(new Caller(created.Key.Id, "bot", "default", Role.Agent), check.Caller);
        Assert.Null(check.Failure);
    }

    [Fact]
    public async Task AuthenticateAsync_RevokedKey_FailsOnTheNextCall()
    {
        var created = await H.Keys.CreateAsync(H.Admin, "bot", "agent", null, Ct);
        Assert.NotNull((await H.Authenticator.AuthenticateAsync(created.Value, Ct)).Caller);

        await H.Keys.RevokeAsync(H.Admin, created.Key.Id, Ct);

        var check = await H.Authenticator.AuthenticateAsync(created.Value, Ct);
        Assert.Null(check.Caller);
        Assert.Equal("the API key was revoked", check.Failure);
        Assert.False(await H.Authenticator.IsActiveAsync(created.Key.Id, Ct));
    }

    [Fact]
    public async Task AuthenticateAsync_ExpiredKey_Fails()
    {
        var created = await H.Keys.CreateAsync(H.Admin, "bot", "agent", H.Time.GetUtcNow().AddHours(1), Ct);
        Assert.NotNull((await H.Authenticator.AuthenticateAsync(created.Value, Ct)).Caller);

        H.Time.Advance(TimeSpan.FromHours(1));

        var check = await H.Authenticator.AuthenticateAsync(created.Value, Ct);
        Assert.Null(check.Caller);
        Assert.StartsWith("the API key expired at", check.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_RightIdWrongSecret_IsNotRecognised()
    {
        var created = await H.Keys.CreateAsync(H.Admin, "bot", "agent", null, Ct);
        var forged = created.Value[..^4] + (created.Value.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");

        var check = await H.Authenticator.AuthenticateAsync(forged, Ct);

        Assert.Null(check.Caller);
        Assert.Equal("the API key is not recognised", check.Failure);
    }

    [Fact]
    public async Task AuthenticateAsync_UnknownAndMalformedKeys_Fail()
    {
        Assert.Equal("the API key is not recognised", (await H.Authenticator.AuthenticateAsync(ApiKeyToken.Create().Value, Ct)).Failure);
        Assert.StartsWith("the API key is malformed", (await H.Authenticator.AuthenticateAsync("sk-not-a-rein-key", Ct)).Failure, StringComparison.Ordinal);
        Assert.StartsWith("the API key is malformed", (await H.Authenticator.AuthenticateAsync(null, Ct)).Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_RecordsLastUse_AtMostOncePerResolution()
    {
        var created = await H.Keys.CreateAsync(H.Admin, "bot", "agent", null, Ct);
        var first = H.Time.GetUtcNow();
        await H.Authenticator.AuthenticateAsync(created.Value, Ct);
        H.Time.Advance(TimeSpan.FromSeconds(30));
        await H.Authenticator.AuthenticateAsync(created.Value, Ct);

        Assert.Equal(first, (await H.Keys.GetAsync(H.Admin, created.Key.Id, Ct))!.LastUsedAt);

        H.Time.Advance(H.IdentityOptions.LastUsedResolution);
        await H.Authenticator.AuthenticateAsync(created.Value, Ct);

        Assert.Equal(H.Time.GetUtcNow(), (await H.Keys.GetAsync(H.Admin, created.Key.Id, Ct))!.LastUsedAt);
    }
}

public sealed class SqliteApiKeyAuthenticatorTests : ApiKeyAuthenticatorTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.SqliteAsync(directory);
}

public sealed class PostgresApiKeyAuthenticatorTests(PostgresCluster cluster) : ApiKeyAuthenticatorTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.PostgresAsync(cluster);
}
