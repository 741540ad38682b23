using System.Net;

namespace Rein.Client.Tests;

/// <summary>Answers a real Rein server does not give (a proxy's HTML page, a server path prefix), from a hand-written
/// handler.</summary>
public sealed class ResponseHandlingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ErrorWithHtmlBody_KeepsTheReasonPhraseAndTheBodysStart()
    {
        var handler = new CannedHandler(HttpStatusCode.BadGateway, "<html><body>upstream is down</body></html>", "text/html");
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.GetStatusAsync(Ct));

        Assert.Equal(HttpStatusCode.BadGateway, e.StatusCode);
        Assert.Equal("Bad Gateway", e.Title);
        Assert.Contains("upstream is down", e.Detail, StringComparison.Ordinal);
        Assert.Equal("req-7", e.RequestId);
        Assert.Empty(e.Errors);
    }

    [Fact]
    public async Task ErrorWithHugeBody_KeepsOnlyTheStartOfIt()
    {
        using var client = Client(new CannedHandler(HttpStatusCode.InternalServerError, new string('x', 1_000_000), "text/plain"));

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.GetStatusAsync(Ct));

        Assert.InRange(e.Detail!.Length, 1, 301);
    }

    [Fact]
    public async Task ErrorWithEmptyBody_HasNoDetail()
    {
        using var client = Client(new CannedHandler(HttpStatusCode.ServiceUnavailable, "", "text/plain"));

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.GetReadinessAsync(Ct));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        Assert.Null(e.Detail);
        Assert.Equal("503 Service Unavailable", e.Message);
    }

    [Fact]
    public async Task ValidationProblemWithErrors_ExposesEveryField()
    {
        const string body = """{"title":"One or more validation errors occurred.","status":400,"errors":{"name":["is required"],"role":["is not a role","try admin"]},"requestId":"r-1"}""";
        using var client = Client(new CannedHandler(HttpStatusCode.BadRequest, body, "application/problem+json"));

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.Keys.CreateAsync("", "x", cancellationToken: Ct));

        Assert.Equal("name", e.Field);
        Assert.Equal(["is not a role", "try admin"], e.Errors["role"]);
        Assert.Equal("r-1", e.RequestId);
    }

    [Fact]
    public async Task SuccessWithHtmlBody_ThrowsHttpRequestExceptionForAnInvalidResponse()
    {
        using var client = Client(new CannedHandler(HttpStatusCode.OK, "<html>captive portal</html>", "text/html"));

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetHealthAsync(Ct));

        Assert.Equal(HttpRequestError.InvalidResponse, e.HttpRequestError);
    }

    [Fact]
    public async Task ServerUnderAPath_RequestsGoBelowThatPath()
    {
        var handler = new CannedHandler(HttpStatusCode.OK, """{"status":"ok","version":"9.9.9","extra":"ignored"}""", "application/json");
        using var http = new HttpClient(handler) { BaseAddress = new Uri("http://proxy.example/rein") };
        using var client = new ReinClient(http, "rein_key");

        var health = await client.GetHealthAsync(Ct);

        Assert.Equal(new Health("ok", "9.9.9"), health);
        Assert.Equal("http://proxy.example/rein/healthz", handler.LastRequest!.RequestUri!.AbsoluteUri);
        Assert.Equal("Bearer rein_key", handler.LastRequest.Headers.Authorization!.ToString());
    }

    [Fact]
    public async Task ListAsync_EscapesQueryValues()
    {
        var handler = new CannedHandler(HttpStatusCode.OK, """{"items":[],"next":null}""", "application/json");
        using var client = Client(handler);

        await client.Audit.ListAsync(limit: 5, before: 10, action: "a&b=c", cancellationToken: Ct);

        Assert.Equal("?limit=5&before=10&action=a%26b%3Dc", handler.LastRequest!.RequestUri!.Query);
    }

    [Fact]
    public async Task ListAllAsync_ServerRepeatingACursor_StopsInsteadOfLooping()
    {
        var handler = new CannedHandler(HttpStatusCode.OK, """{"items":[{"id":"p1","name":"p1","createdAt":"2026-01-01T00:00:00Z","createdBy":null}],"next":"p1"}""", "application/json");
        using var client = Client(handler);

        var count = 0;
        await foreach (var _ in client.Projects.ListAllAsync(cancellationToken: Ct))
        {
            count++;
            Assert.True(count < 10, "the walk did not stop");
        }

        Assert.Equal(2, count);
    }

    [Fact]
    public async Task ProblemWithExtensionMembers_KeepsThemAndReadsAPolicyRejection()
    {
        const string body = """{"title":"Invalid policy","status":422,"detail":"p.yaml:3:1: unknown key 'rulez'","requestId":"r-2","problems":[{"file":"p.yaml","line":3,"column":1,"message":"unknown key 'rulez'"}],"hint":"see docs"}""";
        using var client = Client(new CannedHandler(HttpStatusCode.UnprocessableEntity, body, "application/problem+json"));

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.Policies.PushAsync("name: p", "p.yaml", cancellationToken: Ct));

        Assert.Equal(["hint", "problems"], e.Extensions.Keys.Order());
        Assert.Equal("see docs", e.Extensions["hint"].GetString());
        var rejection = PolicyRejection.From(e);
        Assert.NotNull(rejection);
        Assert.Equal([new PolicyFileProblem("p.yaml", 3, 1, "unknown key 'rulez'")], rejection.Problems);
        Assert.Empty(rejection.Tests);
    }

    [Fact]
    public async Task PolicyRejectionFrom_ErrorThatIsNotA422_IsNull()
    {
        const string body = """{"title":"Conflict","status":409,"detail":"no","problems":[{"file":"p.yaml","line":3,"column":1,"message":"x"}]}""";
        using var client = Client(new CannedHandler(HttpStatusCode.Conflict, body, "application/problem+json"));

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.Policies.PushAsync("name: p", cancellationToken: Ct));

        Assert.Null(PolicyRejection.From(e));
    }

    private static ReinClient Client(HttpMessageHandler handler) =>
        new(new HttpClient(handler) { BaseAddress = new Uri("http://rein.test/") }, "rein_key");
}
