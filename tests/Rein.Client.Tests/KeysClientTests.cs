using System.Net;

namespace Rein.Client.Tests;

public sealed class KeysClientTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateAsync_ThenGetAsync_ReturnsTheSameRecord()
    {
        var expires = new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var created = await rein.Admin.Keys.CreateAsync("sdk-get", KeyRoles.Approver, expires, Ct);
        var fetched = await rein.Admin.Keys.GetAsync(created.Key.Id, Ct);

        Assert.Equal(created.Key, fetched);
        Assert.Equal("sdk-get", fetched.Name);
        Assert.Equal(KeyRoles.Approver, fetched.Role);
        Assert.Equal(KeyStates.Active, fetched.State);
        Assert.Equal(expires, fetched.ExpiresAt);
        Assert.Equal("default", fetched.ProjectId);
        Assert.StartsWith($"rein_{created.Key.Id}_", created.ApiKey, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_ReturnsAKeyThatAuthenticatesAsItself()
    {
        var created = await rein.Admin.Keys.CreateAsync("sdk-me", KeyRoles.Agent, cancellationToken: Ct);
        using var client = rein.ClientWith(created.ApiKey);

        var me = await client.WhoAmIAsync(Ct);

        Assert.Equal(new CallerInfo(created.Key.Id, "sdk-me", KeyRoles.Agent, "default", false), me);
    }

    [Fact]
    public async Task RevokeAsync_ThenUseTheKey_ThrowsUnauthorizedSayingRevoked()
    {
        var created = await rein.Admin.Keys.CreateAsync("sdk-revoke", KeyRoles.Viewer, cancellationToken: Ct);
        using var client = rein.ClientWith(created.ApiKey);
        await client.WhoAmIAsync(Ct);

        var revoked = await rein.Admin.Keys.RevokeAsync(created.Key.Id, Ct);
        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.WhoAmIAsync(Ct));

        Assert.Equal(KeyStates.Revoked, revoked.State);
        Assert.NotNull(revoked.RevokedAt);
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.Equal("Unauthorized", e.Title);
        Assert.Equal("the API key was revoked", e.Detail);
        Assert.False(string.IsNullOrEmpty(e.RequestId));
        Assert.Null(e.Field);
    }

    [Fact]
    public async Task RevokeAsync_AlreadyRevoked_ReturnsItUnchanged()
    {
        var created = await rein.Admin.Keys.CreateAsync("sdk-twice", KeyRoles.Viewer, cancellationToken: Ct);
        var first = await rein.Admin.Keys.RevokeAsync(created.Key.Id, Ct);

        var second = await rein.Admin.Keys.RevokeAsync(created.Key.Id, Ct);

        Assert.Equal(first.RevokedAt, second.RevokedAt);
        Assert.Equal(first.RevokedBy, second.RevokedBy);
    }

    [Fact]
    public async Task ListAllAsync_WithPagesOfTwo_ReturnsEveryKeyOnceInOrder()
    {
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await rein.Admin.Keys.CreateAsync($"sdk-page-{i}", KeyRoles.Viewer, cancellationToken: Ct)).Key.Id);
        }

        var all = new List<ApiKeyInfo>();
        await foreach (var key in rein.Admin.Keys.ListAllAsync(pageSize: 2, Ct))
        {
            all.Add(key);
        }

        var ids = all.Select(k => k.Id).ToList();
        Assert.Equal(ids.Distinct().Count(), ids.Count);
        Assert.Equal(created, ids.Where(created.Contains));
        Assert.Equal(all.OrderBy(k => k.CreatedAt).Select(k => k.Id), ids);
    }

    [Fact]
    public async Task ListAsync_WithLimit_ReturnsOnePageAndACursorToTheNext()
    {
        await rein.Admin.Keys.CreateAsync("sdk-cursor-a", KeyRoles.Viewer, cancellationToken: Ct);
        await rein.Admin.Keys.CreateAsync("sdk-cursor-b", KeyRoles.Viewer, cancellationToken: Ct);

        var first = await rein.Admin.Keys.ListAsync(limit: 1, cancellationToken: Ct);
        var second = await rein.Admin.Keys.ListAsync(limit: 1, after: first.Next, cancellationToken: Ct);

        Assert.Single(first.Items);
        Assert.NotNull(first.Next);
        Assert.Single(second.Items);
        Assert.NotEqual(first.Items[0].Id, second.Items[0].Id);
    }

    [Fact]
    public async Task ListAsync_WithZeroLimit_ThrowsBadRequestNamingLimit()
    {
        var e = await Assert.ThrowsAsync<ReinApiException>(() => rein.Admin.Keys.ListAsync(limit: 0, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("limit", e.Field);
        Assert.Equal(["must be at least 1"], e.Errors["limit"]);
    }

    [Fact]
    public async Task CreateAsync_WithUnknownRole_ThrowsBadRequestNamingRole()
    {
        var e = await Assert.ThrowsAsync<ReinApiException>(() => rein.Admin.Keys.CreateAsync("sdk-bad-role", "owner", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("Invalid request", e.Title);
        Assert.Equal("role", e.Field);
        Assert.Contains("'owner' is not a role", e.Detail, StringComparison.Ordinal);
        Assert.Contains("400", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_WithPastExpiry_ThrowsBadRequestNamingExpiresAt()
    {
        var e = await Assert.ThrowsAsync<ReinApiException>(() =>
            rein.Admin.Keys.CreateAsync("sdk-past", KeyRoles.Viewer, new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("expiresAt", e.Field);
    }

    [Fact]
    public async Task GetAsync_UnknownKey_ThrowsNotFound()
    {
        var e = await Assert.ThrowsAsync<ReinApiException>(() => rein.Admin.Keys.GetAsync("zzzzzzzzzzzz", Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Equal("Not found", e.Title);
        Assert.Equal("project default has no key zzzzzzzzzzzz", e.Detail);
        Assert.Equal("/api/v1/keys/zzzzzzzzzzzz", e.Instance);
    }

    [Fact]
    public async Task RevokeAsync_LastAdminKeyOfAProject_ThrowsConflict()
    {
        var project = await rein.Admin.Projects.CreateAsync(ReinServerFixture.NewName("sdk-last"), cancellationToken: Ct);
        using var client = rein.ClientWith(project.ApiKey);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.Keys.RevokeAsync(project.Key.Id, Ct));

        Assert.Equal(HttpStatusCode.Conflict, e.StatusCode);
        Assert.Contains("last active admin key", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListAsync_WithViewerKey_ThrowsForbiddenNamingTheRoles()
    {
        var viewer = await rein.Admin.Keys.CreateAsync("sdk-viewer", KeyRoles.Viewer, cancellationToken: Ct);
        using var client = rein.ClientWith(viewer.ApiKey);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.Keys.ListAsync(cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal("this needs a key with role admin; this key has role viewer", e.Detail);
    }
}
