using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Rein.Core.Policies;
using Rein.Server.Policies;
using Rein.Server.Tests.Hosting;

namespace Rein.Server.Tests.Policies;

/// <summary>One real host with a key of every role, and the admin of a second project. Each test works on policy
/// names of its own, so the tests share the host without seeing each other's changes.</summary>
public sealed class PoliciesApiFixture : IAsyncLifetime
{
    private TestHost? _host;

    public TestHost Host => _host ?? throw new InvalidOperationException("The host has not started.");

    /// <summary>Role name (agent, viewer, approver, admin) to key; "anonymous" has none.</summary>
    public Dictionary<string, string?> Keys { get; } = [];

    public string OtherProjectKey { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _host = await TestHost.StartAsync();
        Keys["admin"] = _host.AdminKey;
        Keys["anonymous"] = null;
        using var admin = _host.Client(_host.AdminKey);
        foreach (var role in new[] { "agent", "viewer", "approver" })
        {
            var created = await (await admin.PostAsJsonAsync("/api/v1/keys", new { name = role, role })).Content.ReadFromJsonAsync<JsonElement>();
            Keys[role] = created.GetProperty("apiKey").GetString();
        }

        var project = await (await admin.PostAsJsonAsync("/api/v1/projects", new { id = "elsewhere" })).Content.ReadFromJsonAsync<JsonElement>();
        OtherProjectKey = project.GetProperty("apiKey").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

public sealed class PoliciesApiTests(PoliciesApiFixture fixture) : IClassFixture<PoliciesApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Admin() => fixture.Host.Client(fixture.Host.AdminKey);

    private HttpClient As(string role) => fixture.Host.Client(fixture.Keys[role]);

    internal static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    internal static async Task<(HttpResponseMessage Response, JsonElement Problem)> ProblemOf(Task<HttpResponseMessage> call)
    {
        var response = await call;
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        return (response, problem);
    }

    private static async Task<JsonElement> PushAsync(HttpClient client, string name, int revision = 1, bool activate = false, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/policies", new { source = PolicySources.Valid(name, revision), file = $"{name}.yaml", activate }, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {body}");
        return body;
    }

    /// <summary>Version 1 of the policy, pushed by this test or an earlier case of a theory.</summary>
    private static async Task EnsurePushedAsync(HttpClient client, string name)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/policies", new { source = PolicySources.Valid(name) }, Ct);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, object? body = null)
    {
        using var response = await client.PostAsJsonAsync(path, body ?? new { }, Ct);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {json}");
        return json;
    }

    [Fact]
    public async Task Push_NewPolicy_Is201WithTheVersion()
    {
        using var admin = Admin();

        using var response = await admin.PostAsJsonAsync("/api/v1/policies", new { source = PolicySources.Valid("http-new"), file = "http-new.yaml" }, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/v1/policies/http-new/versions/1", response.Headers.Location?.OriginalString);
        Assert.Equal("http-new", body.GetProperty("name").GetString());
        Assert.Equal(1, body.GetProperty("version").GetInt32());
        Assert.StartsWith("sha256:", body.GetProperty("hash").GetString(), StringComparison.Ordinal);
        Assert.Equal("enforce", body.GetProperty("mode").GetString());
        Assert.Equal("support-*", body.GetProperty("agents")[0].GetString());
        Assert.Equal(1, body.GetProperty("rules").GetInt32());
        Assert.Equal(1, body.GetProperty("testsPassed").GetInt32());
        Assert.False(body.GetProperty("active").GetBoolean());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("createdBy").GetString()));
        Assert.True(body.TryGetProperty("createdAt", out _));
        Assert.False(body.TryGetProperty("source", out _));
    }

    [Fact]
    public async Task Push_SameSourceAgain_Is200WithTheExistingVersion_AndActivateStillApplies()
    {
        using var admin = Admin();
        var first = await PushAsync(admin, "http-same");

        var again = await PushAsync(admin, "http-same", activate: true, expected: HttpStatusCode.OK);

        Assert.Equal(first.GetProperty("hash").GetString(), again.GetProperty("hash").GetString());
        Assert.Equal(1, again.GetProperty("version").GetInt32());
        Assert.True(again.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Push_InvalidPolicy_Is422WithProblemsAtLineAndColumn()
    {
        using var admin = Admin();

        var (response, problem) = await ProblemOf(admin.PostAsJsonAsync("/api/v1/policies", new { source = PolicySources.UnknownKey, file = "refunds.yaml" }, Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("Invalid policy", problem.GetProperty("title").GetString());
        var first = problem.GetProperty("problems")[0];
        Assert.Equal("refunds.yaml", first.GetProperty("file").GetString());
        Assert.Equal(PolicySources.UnknownKeyLine, first.GetProperty("line").GetInt32());
        Assert.Equal(PolicySources.UnknownKeyColumn, first.GetProperty("column").GetInt32());
        Assert.Contains("efect", first.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_FailingEmbeddedTest_Is422WithTheFailedTests()
    {
        using var admin = Admin();

        var (response, problem) = await ProblemOf(admin.PostAsJsonAsync("/api/v1/policies", new { source = PolicySources.FailingTest }, Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("Policy tests failed", problem.GetProperty("title").GetString());
        var failed = Assert.Single(problem.GetProperty("tests").EnumerateArray());
        Assert.Equal("lookups are denied", failed.GetProperty("name").GetString());
        Assert.False(failed.GetProperty("passed").GetBoolean());
        Assert.False(string.IsNullOrEmpty(failed.GetProperty("failure").GetString()));
        Assert.True(failed.GetProperty("line").GetInt32() > 0);
    }

    [Theory]
    [InlineData("{\"source\": \"name: x\", ", "not valid JSON")]
    [InlineData("{\"source\": \"name: x\", \"activte\": true}", "unknown field 'activte'")]
    [InlineData("{\"source\": 42}", "at source: expected a string")]
    [InlineData("{\"source\": \"name: x\", \"activate\": \"yes\"}", "at activate: expected true or false")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("null", "must be a JSON object")]
    [InlineData("{}", "source: is required")]
    public async Task Push_BadJsonBody_Is400SayingWhat(string body, string detail)
    {
        using var admin = Admin();

        var (response, problem) = await ProblemOf(admin.PostAsync("/api/v1/policies", Json(body), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_EmptyBody_Is400()
    {
        using var admin = Admin();

        var (response, problem) = await ProblemOf(admin.PostAsync("/api/v1/policies", Json(""), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("JSON body", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_NotJson_Is415()
    {
        using var admin = Admin();

        var (response, _) = await ProblemOf(admin.PostAsync("/api/v1/policies", new StringContent(PolicySources.Valid(), Encoding.UTF8, "application/yaml"), Ct));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Push_BodyOverMaxPushBodyBytes_Is413SayingTheLimit_AndStoresNothing()
    {
        using var admin = Admin();
        var body = JsonSerializer.Serialize(new { source = PolicySources.Valid("http-huge") + "\n#" + new string('x', (int)PoliciesApi.MaxPushBodyBytes) });

        var (response, problem) = await ProblemOf(admin.PostAsync("/api/v1/policies", Json(body), Ct));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains($"at most {PoliciesApi.MaxPushBodyBytes} bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/policies/http-huge", Ct)).StatusCode);
    }

    [Fact]
    public async Task Push_ChunkedBodyOverMaxPushBodyBytes_Is413()
    {
        using var admin = Admin();
        var body = JsonSerializer.SerializeToUtf8Bytes(new { source = new string('x', (int)PoliciesApi.MaxPushBodyBytes) });
        using var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/policies") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var (response, problem) = await ProblemOf(admin.SendAsync(request, Ct));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains($"at most {PoliciesApi.MaxPushBodyBytes} bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_SourceOverMaxSourceBytes_InABodyUnderTheBound_Is413()
    {
        using var admin = Admin();
        var source = PolicySources.Valid("http-big") + "\n#" + new string('x', PolicyLimits.Default.MaxSourceBytes);

        var (response, problem) = await ProblemOf(admin.PostAsJsonAsync("/api/v1/policies", new { source }, Ct));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains($"at most {PolicyLimits.Default.MaxSourceBytes} bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_TheLargestPolicyFileAllQuotes_IsAcceptedThoughItsJsonIsSixTimesLarger()
    {
        using var admin = Admin();
        var valid = PolicySources.Valid("http-largest") + "\n#";
        var source = valid + new string('"', PolicyLimits.Default.MaxSourceBytes - Encoding.UTF8.GetByteCount(valid));
        var body = JsonSerializer.Serialize(new { source });

        using var response = await admin.PostAsync("/api/v1/policies", Json(body), Ct);

        Assert.True(body.Length > 5 * PolicyLimits.Default.MaxSourceBytes);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task ListGetVersionAndDiff_DescribeThePolicy()
    {
        using var admin = Admin();
        await PushAsync(admin, "http-read", 1, activate: true);
        await PushAsync(admin, "http-read", 2);
        using var viewer = As("viewer");

        var list = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/policies", Ct);
        var item = list.GetProperty("items").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "http-read");
        Assert.Equal(1, item.GetProperty("activeVersion").GetInt32());
        Assert.Equal(2, item.GetProperty("latestVersion").GetInt32());
        Assert.Equal("enforce", item.GetProperty("mode").GetString());
        Assert.Equal("support-*", item.GetProperty("agents")[0].GetString());
        Assert.True(item.TryGetProperty("updatedAt", out _));

        var detail = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/policies/http-read", Ct);
        Assert.Equal(1, detail.GetProperty("activeVersion").GetInt32());
        Assert.Equal([2, 1], detail.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal([false, true], detail.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("active").GetBoolean()));
        Assert.All(detail.GetProperty("versions").EnumerateArray(), v => Assert.False(v.TryGetProperty("source", out _)));
        var activation = Assert.Single(detail.GetProperty("activations").EnumerateArray());
        Assert.Equal((1, "activate"), (activation.GetProperty("version").GetInt32(), activation.GetProperty("action").GetString()));
        Assert.False(string.IsNullOrEmpty(activation.GetProperty("actor").GetString()));

        var version = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/policies/http-read/versions/1", Ct);
        Assert.Equal(PolicySources.Valid("http-read", 1), version.GetProperty("source").GetString());
        Assert.True(version.GetProperty("active").GetBoolean());
        var test = Assert.Single(version.GetProperty("tests").EnumerateArray());
        Assert.Equal(("lookups are allowed", true), (test.GetProperty("name").GetString(), test.GetProperty("passed").GetBoolean()));

        var diff = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/policies/http-read/diff?from=1&to=2", Ct);
        Assert.Equal((1, 2), (diff.GetProperty("from").GetInt32(), diff.GetProperty("to").GetInt32()));
        var lines = diff.GetProperty("lines").EnumerateArray().ToList();
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "removed" && l.GetProperty("text").GetString() == "# revision 1" && l.GetProperty("oldLine").GetInt32() == 1);
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "added" && l.GetProperty("text").GetString() == "# revision 2" && l.GetProperty("newLine").GetInt32() == 1);
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "same" && l.GetProperty("text").GetString() == "name: http-read");
    }

    [Fact]
    public async Task ActivateRollbackDeactivate_ChangeTheActiveVersion_AndAreAudited()
    {
        using var admin = Admin();
        await PushAsync(admin, "http-life", 1, activate: true);
        await PushAsync(admin, "http-life", 2);

        var activated = await PostAsync(admin, "/api/v1/policies/http-life/activate", new { version = 2 });
        Assert.Equal((2, true), (activated.GetProperty("version").GetInt32(), activated.GetProperty("active").GetBoolean()));

        var rolledBack = await PostAsync(admin, "/api/v1/policies/http-life/rollback");
        Assert.Equal(1, rolledBack.GetProperty("version").GetInt32());

        var deactivated = await PostAsync(admin, "/api/v1/policies/http-life/deactivate");
        Assert.Equal(JsonValueKind.Null, deactivated.GetProperty("activeVersion").ValueKind);
        Assert.Equal(2, deactivated.GetProperty("latestVersion").GetInt32());

        var (response, problem) = await ProblemOf(admin.PostAsync("/api/v1/policies/http-life/rollback", null, Ct));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("no active version to roll back from", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=policy&limit=20", Ct);
        var actions = audit.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("objectId").GetString() == "http-life").Select(e => e.GetProperty("action").GetString()).Reverse();
        Assert.Equal(["policy.push", "policy.activate", "policy.push", "policy.activate", "policy.rollback", "policy.deactivate"], actions);
    }

    [Fact]
    public async Task Rollback_WithNothingBefore_Is409()
    {
        using var admin = Admin();
        await PushAsync(admin, "http-first", activate: true);

        var (response, problem) = await ProblemOf(admin.PostAsync("/api/v1/policies/http-first/rollback", null, Ct));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("no active version before version 1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/api/v1/policies/Bad%20Name", "name: 'Bad Name' is not a policy name")]
    [InlineData("GET", "/api/v1/policies/http-bad/versions/abc", "version: 'abc' is not a version")]
    [InlineData("GET", "/api/v1/policies/http-bad/versions/0", "version: '0' is not a version")]
    [InlineData("GET", "/api/v1/policies/http-bad/versions/99999999999", "is not a version")]
    [InlineData("GET", "/api/v1/policies/http-bad/diff?to=1", "from: is required")]
    [InlineData("GET", "/api/v1/policies/http-bad/diff?from=1&to=x", "to: 'x' is not a version")]
    [InlineData("POST", "/api/v1/policies/-bad/rollback", "is not a policy name")]
    [InlineData("POST", "/api/v1/policies/http-bad/activate", "version: is required")]
    public async Task BadRouteOrQuery_Is400NamingTheField(string method, string path, string detail)
    {
        using var admin = Admin();
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? Json("{}") : null };

        var (response, problem) = await ProblemOf(admin.SendAsync(request, Ct));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"version\": \"two\"}", "at version: expected a whole number")]
    [InlineData("{\"version\": 0}", "version: must be at least 1")]
    [InlineData("{\"version\": 1, \"force\": true}", "unknown field 'force'")]
    public async Task Activate_BadBody_Is400(string body, string detail)
    {
        using var admin = Admin();
        await EnsurePushedAsync(admin, "http-activate-bad");

        var (response, problem) = await ProblemOf(admin.PostAsync("/api/v1/policies/http-activate-bad/activate", Json(body), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/api/v1/policies/http-missing")]
    [InlineData("GET", "/api/v1/policies/http-missing/versions/1")]
    [InlineData("GET", "/api/v1/policies/http-missing/diff?from=1&to=2")]
    [InlineData("POST", "/api/v1/policies/http-missing/rollback")]
    [InlineData("POST", "/api/v1/policies/http-missing/deactivate")]
    [InlineData("GET", "/api/v1/policies/http-known/versions/7")]
    [InlineData("GET", "/api/v1/policies/http-known/diff?from=1&to=7")]
    [InlineData("POST", "/api/v1/policies/http-known/activate")]
    public async Task UnknownPolicyOrVersion_Is404(string method, string path)
    {
        using var admin = Admin();
        await EnsurePushedAsync(admin, "http-known");
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? Json("{\"version\": 7}") : null };

        var (response, problem) = await ProblemOf(admin.SendAsync(request, Ct));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("http-", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherProjectsPolicy_Is404_AndNotListed()
    {
        using var admin = Admin();
        await PushAsync(admin, "http-private", activate: true);
        using var other = fixture.Host.Client(fixture.OtherProjectKey);

        var list = await other.GetFromJsonAsync<JsonElement>("/api/v1/policies", Ct);

        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), p => p.GetProperty("name").GetString() == "http-private");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/api/v1/policies/http-private", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/api/v1/policies/http-private/versions/1", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsJsonAsync("/api/v1/policies/http-private/activate", new { version = 1 }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync("/api/v1/policies/http-private/deactivate", null, Ct)).StatusCode);
        Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>("/api/v1/policies/http-private", Ct)).GetProperty("activeVersion").GetInt32());
    }

    /// <summary>Each endpoint with what it needs: "read" (viewer, approver, admin) or "admin".</summary>
    public static TheoryData<string, string, string, string> Endpoints()
    {
        var data = new TheoryData<string, string, string, string>();
        var cases = new (string Method, string Path, string Needs)[]
        {
            ("GET", "/api/v1/policies", "read"),
            ("GET", "/api/v1/policies/http-roles", "read"),
            ("GET", "/api/v1/policies/http-roles/versions/1", "read"),
            ("GET", "/api/v1/policies/http-roles/diff?from=1&to=1", "read"),
            ("POST", "/api/v1/policies", "admin"),
            ("POST", "/api/v1/policies/http-roles/activate", "admin"),
            ("POST", "/api/v1/policies/http-roles/rollback", "admin"),
            ("POST", "/api/v1/policies/http-roles/deactivate", "admin"),
            ("GET", "/api/v1/kill-switches", "read"),
            ("POST", "/api/v1/kill-switches", "admin"),
            ("POST", "/api/v1/kill-switches/remove", "admin"),
        };
        foreach (var (method, path, needs) in cases)
        {
            foreach (var role in new[] { "anonymous", "agent", "viewer", "approver", "admin" })
            {
                data.Add(method, path, needs, role);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_ByRole_IsAllowedOrRefused(string method, string path, string needs, string role)
    {
        using (var admin = Admin())
        {
            await EnsurePushedAsync(admin, "http-roles");
        }

        using var client = As(role);
        var body = path switch
        {
            "/api/v1/policies" => JsonSerializer.Serialize(new { source = PolicySources.Valid("http-roles") }),
            "/api/v1/policies/http-roles/activate" => "{\"version\": 1}",
            _ when path.StartsWith("/api/v1/kill-switches", StringComparison.Ordinal) => "{\"scope\": \"tool\", \"target\": \"roles.tool\"}",
            _ => "{}",
        };
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? Json(body) : null };

        using var response = await client.SendAsync(request, Ct);

        var allowed = role == "admin" || (needs == "read" && role is "viewer" or "approver");
        if (role == "anonymous")
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        else if (!allowed)
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        else
        {
            // Allowed through authorization: the answer is the endpoint's own (a rollback with nothing before is 409,
            // removing a switch another case removed is 404).
            Assert.DoesNotContain(response.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.InternalServerError });
        }
    }
}
