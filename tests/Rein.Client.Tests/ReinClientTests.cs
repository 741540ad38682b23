using System.Net;
using Rein.Testing;

namespace Rein.Client.Tests;

public sealed class ReinClientTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    private const string UnknownKey = "rein_aaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetHealthAsync_ReturnsOkAndTheVersion()
    {
        var health = await rein.Admin.GetHealthAsync(Ct);

        Assert.Equal("ok", health.Status);
        Assert.Matches(@"^\d+\.\d+\.\d+", health.Version);
    }

    [Fact]
    public async Task GetReadinessAsync_ReturnsReadyOnSqlite()
    {
        var ready = await rein.Admin.GetReadinessAsync(Ct);

        Assert.Equal("ready", ready.Status);
        Assert.Equal("sqlite", ready.Database);
        Assert.True(ready.SchemaVersion >= 1);
    }

    [Fact]
    public async Task GetStatusAsync_WithAdminKey_DescribesServerProjectAndCaller()
    {
        var status = await rein.Admin.GetStatusAsync(Ct);

        Assert.Equal((await rein.Admin.GetHealthAsync(Ct)).Version, status.Version);
        Assert.Equal("sqlite", status.Database.Kind);
        Assert.Equal(Path.Combine(rein.Server.DataDir, "rein.db"), status.Database.Location);
        Assert.Equal("default", status.Project.Id);
        Assert.Equal(KeyRoles.Admin, status.Caller.Role);
        Assert.True(status.Caller.ServerAdmin);
        Assert.True(status.Counts.ActiveKeys >= 1);
        Assert.True(status.Counts.AuditEntries >= 2);
    }

    [Fact]
    public async Task WhoAmIAsync_WithTheFirstAdminKey_IsTheDefaultProjectsServerAdmin()
    {
        var me = await rein.Admin.WhoAmIAsync(Ct);

        Assert.Equal(rein.Server.AdminKey.Split('_')[1], me.KeyId);
        Assert.Equal("default", me.ProjectId);
        Assert.True(me.ServerAdmin);
    }

    [Theory]
    [InlineData("rein_short", "malformed")]
    [InlineData(UnknownKey, "the API key is not recognised")]
    public async Task WhoAmIAsync_WithBadKey_ThrowsUnauthorizedSayingWhy(string apiKey, string why)
    {
        using var client = rein.ClientWith(apiKey);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.WhoAmIAsync(Ct));

        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.Contains(why, e.Detail, StringComparison.Ordinal);
        Assert.Equal("/api/v1/me", e.Instance);
    }

    [Fact]
    public async Task GetHealthAsync_ServerNobodyListensOn_ThrowsHttpRequestException()
    {
        using var client = new ReinClient(new Uri($"http://127.0.0.1:{Network.FreePort()}"), UnknownKey);

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetHealthAsync(Ct));

        Assert.Equal(HttpRequestError.ConnectionError, e.HttpRequestError);
    }

    [Fact]
    public async Task Constructor_WithCallerOwnedHttpClient_UsesItsBaseAddressAndLeavesItOpen()
    {
        using var http = new HttpClient { BaseAddress = rein.Server.Url };

        using (var client = new ReinClient(http, rein.Server.AdminKey))
        {
            Assert.True((await client.WhoAmIAsync(Ct)).ServerAdmin);
        }

        using var response = await http.GetAsync(new Uri(rein.Server.Url, "/healthz"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(http.DefaultRequestHeaders.Authorization);
    }

    [Fact]
    public async Task Constructor_WithHttpClientThatSendsItsOwnKey_Works()
    {
        using var http = rein.Server.CreateClient();
        using var client = new ReinClient(http);

        Assert.True((await client.WhoAmIAsync(Ct)).ServerAdmin);
    }

    [Fact]
    public void Constructor_WithHttpClientWithoutBaseAddress_ThrowsArgumentException()
    {
        using var http = new HttpClient();

        Assert.Throws<ArgumentException>(() => new ReinClient(http, UnknownKey));
    }

    [Theory]
    [InlineData("")]
    [InlineData("rein_abc def")]
    [InlineData("rein_abc\r\nX-Injected: 1")]
    public void Constructor_WithKeyHoldingWhitespace_ThrowsArgumentException(string apiKey)
    {
        Assert.Throws<ArgumentException>(() => new ReinClient(new Uri("http://127.0.0.1:7346"), apiKey));
    }

    [Fact]
    public void Constructor_WithNonHttpServer_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => new ReinClient(new Uri("ftp://127.0.0.1"), UnknownKey));
    }
}
