using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Rein.Server.Tests.Hosting;

public sealed class HttpConventionsFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    // A small body limit so the bound is exercised without megabytes of test data.
    public async ValueTask InitializeAsync() =>
        Host = await TestHost.StartAsync(settings: new Dictionary<string, string?> { ["MaxRequestBodyBytes"] = "4096" });

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

public sealed class HttpConventionsTests(HttpConventionsFixture fixture) : IClassFixture<HttpConventionsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Admin() => fixture.Host.Client(fixture.Host.AdminKey);

    private static async Task<(HttpResponseMessage Response, JsonElement Problem)> ProblemOf(Task<HttpResponseMessage> call)
    {
        var response = await call;
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), problem.GetProperty("requestId").GetString());
        return (response, problem);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Healthz_AnswersWithoutAKey()
    {
        using var client = fixture.Host.Client();

        var health = await client.GetFromJsonAsync<JsonElement>("/healthz", Ct);

        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(ServerInfo.Version, health.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Readyz_ReportsTheDatabaseAndSchema()
    {
        using var client = fixture.Host.Client();

        var ready = await client.GetFromJsonAsync<JsonElement>("/readyz", Ct);

        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal("sqlite", ready.GetProperty("database").GetString());
        Assert.Equal(Rein.Server.Storage.Migrator.Load(Rein.Server.Storage.DatabaseKind.Sqlite).Count, ready.GetProperty("schemaVersion").GetInt32());
    }

    [Fact]
    public async Task OpenApi_DescribesThePublicApi()
    {
        using var client = fixture.Host.Client();

        var doc = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);

        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/keys", paths);
        Assert.Contains("/api/v1/audit/verify", paths);
        Assert.Contains("/healthz", paths);
    }

    [Fact]
    public async Task EveryResponse_CarriesARequestIdAndSecurityHeaders()
    {
        using var client = fixture.Host.Client();

        using var a = await client.GetAsync("/healthz", Ct);
        using var b = await client.GetAsync("/healthz", Ct);

        var idA = a.Headers.GetValues("X-Request-Id").Single();
        Assert.NotEqual(idA, b.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal("nosniff", a.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", a.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRoute_IsAProblem404()
    {
        using var client = Admin();

        var (response, _) = await ProblemOf(client.GetAsync("/api/v1/nothing-here", Ct));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task UnknownRoute_SaysWhatWasAskedFor_InTheApisWording()
    {
        using var client = Admin();

        var (_, problem) = await ProblemOf(client.GetAsync("/api/v1/nothing-here", Ct));

        Assert.Equal("Not found", problem.GetProperty("title").GetString());
        Assert.Equal("nothing answers GET /api/v1/nothing-here", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task InvalidField_IsNamedInErrors()
    {
        using var client = Admin();

        var (_, problem) = await ProblemOf(client.PostAsJsonAsync("/api/v1/keys", new { name = "x", role = "root" }, Ct));

        var errors = problem.GetProperty("errors");
        Assert.StartsWith("'root' is not a role", errors.GetProperty("role")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownPagingCursor_Is400()
    {
        using var client = Admin();

        var (response, problem) = await ProblemOf(client.GetAsync("/api/v1/keys?after=zzzzzzzzzzzz", Ct));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("after: 'zzzzzzzzzzzz' is not a key of project default", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongMethod_IsAProblem405()
    {
        using var client = Admin();

        var (response, _) = await ProblemOf(client.PutAsync("/api/v1/keys", Json("{}"), Ct));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Theory]
    [InlineData("{\"name\": \"x\", \"role\": ", "not valid JSON")]
    [InlineData("{\"nmae\": \"x\", \"role\": \"agent\"}", "unknown field 'nmae'")]
    [InlineData("{\"name\": \"x\", \"role\": \"agent\", \"expiresAt\": \"soon\"}", "at expiresAt: expected a date and time")]
    [InlineData("{\"name\": 42, \"role\": \"agent\"}", "at name: expected a string")]
    [InlineData("{\"name\": \"x\", \"role\": \"superuser\"}", "role: 'superuser' is not a role")]
    [InlineData("{\"role\": \"agent\"}", "name: is required")]
    [InlineData("[]", "must be a JSON object")]
    public async Task BadJsonBody_Is400_SayingWhatAndWhere(string body, string detail)
    {
        using var client = Admin();

        var (response, problem) = await ProblemOf(client.PostAsync("/api/v1/keys", Json(body), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingBody_Is400()
    {
        using var client = Admin();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/keys");
        request.Content = new ByteArrayContent([]);
        request.Content.Headers.ContentType = new("application/json");

        var (response, problem) = await ProblemOf(client.SendAsync(request, Ct));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("JSON body", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonJsonContentType_Is415()
    {
        using var client = Admin();

        var (response, problem) = await ProblemOf(client.PostAsync("/api/v1/keys", new StringContent("name=x", Encoding.UTF8, "text/plain"), Ct));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BodyOverMaxRequestBodyBytes_Is413_AndNothingIsCreated()
    {
        using var client = Admin();
        var before = (await client.GetFromJsonAsync<JsonElement>("/api/v1/status", Ct)).GetProperty("counts").GetProperty("keys").GetInt64();
        var body = JsonSerializer.Serialize(new { name = "big", role = "agent", padding = new string('x', 5000) });

        var (response, problem) = await ProblemOf(client.PostAsync("/api/v1/keys", Json(body), Ct));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("4096", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var after = (await client.GetFromJsonAsync<JsonElement>("/api/v1/status", Ct)).GetProperty("counts").GetProperty("keys").GetInt64();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task BodyJustUnderMaxRequestBodyBytes_IsRead()
    {
        using var client = Admin();
        var name = new string('n', 100);
        var body = JsonSerializer.Serialize(new { name, role = "agent" }) + new string(' ', 3900);

        using var response = await client.PostAsync("/api/v1/keys", Json(body), Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("limit=0", "limit: must be at least 1")]
    [InlineData("limit=1001", "limit: must be at most 1000")]
    [InlineData("limit=abc", "'abc' is not a valid value for 'limit'")]
    public async Task BadPagingParameter_Is400_NamingIt(string query, string detail)
    {
        using var client = Admin();

        var (response, problem) = await ProblemOf(client.GetAsync($"/api/v1/audit?{query}", Ct));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogLines_WrittenWhileServingARequest_CarryItsRequestId()
    {
        using var client = Admin();

        using var response = await client.PostAsJsonAsync("/api/v1/keys", new { name = "logged", role = "agent" }, Ct);
        var keyId = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("key").GetProperty("id").GetString()!;

        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        var line = Assert.Single(fixture.Host.Logs.Entries, e => e.EventId.Id == 3003 && e.Message.Contains(keyId, StringComparison.Ordinal));
        Assert.Equal(requestId, line.Scope["RequestId"]);
    }

    [Fact]
    public async Task CreatedKeys_NeverReachTheLogsOrTheDatabaseFiles()
    {
        using var client = Admin();
        using var response = await client.PostAsJsonAsync("/api/v1/keys", new { name = "secret-check", role = "agent" }, Ct);
        var key = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("apiKey").GetString()!;
        using (var used = fixture.Host.Client(key))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await used.GetAsync("/api/v1/status", Ct)).StatusCode);
        }

        var secret = key[(key.LastIndexOf('_') + 1)..];
        var admin = fixture.Host.AdminKey;
        var adminSecret = admin[(admin.LastIndexOf('_') + 1)..];
        Assert.DoesNotContain(secret, fixture.Host.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(adminSecret, fixture.Host.Logs.AllText, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(fixture.Host.DataDir, "rein.db*"))
        {
            var bytes = await ReadSharedAsync(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(secret)));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(adminSecret)));
        }
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, Ct);
        return buffer.ToArray();
    }
}
