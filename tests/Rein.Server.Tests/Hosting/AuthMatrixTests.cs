using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rein.Core.Identity;
using Rein.Testing;

namespace Rein.Server.Tests.Hosting;

/// <summary>One server with keys of every role in two projects, plus keys that must not work.</summary>
public sealed class AuthMatrixFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    /// <summary>Identity name to key; names are "role@project" or a kind of bad key.</summary>
    public Dictionary<string, string?> Keys { get; } = [];

    /// <summary>Per project: a key id of that project (the target of object endpoints).</summary>
    public Dictionary<string, string> TargetKeyId { get; } = [];

    public async ValueTask InitializeAsync()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        Host = await TestHost.StartAsync(time: time);
        var admin = Host.AdminKey;
        Keys["admin@default"] = admin;
        using var adminClient = Host.Client(admin);
        var other = await Post(adminClient, "/api/v1/projects", new { id = "other" });
        Keys["admin@other"] = other.GetProperty("apiKey").GetString();
        using var otherClient = Host.Client(Keys["admin@other"]);

        foreach (var (project, client) in new[] { ("default", adminClient), ("other", otherClient) })
        {
            foreach (var role in new[] { "agent", "viewer", "approver" })
            {
                Keys[$"{role}@{project}"] = (await Post(client, "/api/v1/keys", new { name = $"{role} key", role })).GetProperty("apiKey").GetString();
            }

            // A second admin so that revoking one in the tests never hits the last-admin rule.
            await Post(client, "/api/v1/keys", new { name = "spare admin", role = "admin" });
            TargetKeyId[project] = (await Post(client, "/api/v1/keys", new { name = "target", role = "agent" })).GetProperty("key").GetProperty("id").GetString()!;
        }

        var revoked = await Post(adminClient, "/api/v1/keys", new { name = "revoked", role = "admin" });
        (await adminClient.DeleteAsync($"/api/v1/keys/{revoked.GetProperty("key").GetProperty("id").GetString()}")).EnsureSuccessStatusCode();
        Keys["revoked"] = revoked.GetProperty("apiKey").GetString();
        Keys["expired"] = (await Post(adminClient, "/api/v1/keys", new { name = "expiring", role = "admin", expiresAt = time.GetUtcNow().AddHours(1) })).GetProperty("apiKey").GetString();
        time.Advance(TimeSpan.FromHours(2));
        Keys["anonymous"] = null;
        Keys["malformed"] = "not-a-key";
        Keys["unknown"] = ApiKeyToken.Create().Value;
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();

    private static async Task<JsonElement> Post(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json;
    }
}

public sealed class AuthMatrixTests(AuthMatrixFixture fixture) : IClassFixture<AuthMatrixFixture>
{
    /// <summary>Endpoint groups and what they need; "server-admin" is an admin of the default project.</summary>
    private static readonly (string Name, string Method, string Path, string Needs, bool HasObject)[] Endpoints =
    [
        ("me", "GET", "/api/v1/me", "any", false),
        ("status", "GET", "/api/v1/status", "read", false),
        ("keys.list", "GET", "/api/v1/keys", "admin", false),
        ("keys.create", "POST", "/api/v1/keys", "admin", false),
        ("keys.get", "GET", "/api/v1/keys/{key}", "admin", true),
        ("keys.revoke", "DELETE", "/api/v1/keys/{key}", "admin", true),
        ("projects.list", "GET", "/api/v1/projects", "admin", false),
        ("projects.get", "GET", "/api/v1/projects/{project}", "admin", true),
        ("projects.create", "POST", "/api/v1/projects", "server-admin", false),
        ("audit.list", "GET", "/api/v1/audit", "read", false),
        ("audit.verify", "GET", "/api/v1/audit/verify", "read", false),
        ("approvals.list", "GET", "/api/v1/approvals", "read", false),
        ("approvals.stats", "GET", "/api/v1/approvals/stats", "read", false),
        ("approvals.queues", "GET", "/api/v1/approvals/queues", "read", false),
    ];

    private static readonly string[] BadKeys = ["anonymous", "malformed", "unknown", "revoked", "expired"];
    private static readonly string[] RoleNames = ["agent", "viewer", "approver", "admin"];
    private static readonly string[] Projects = ["default", "other"];

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (name, _, _, _, hasObject) in Endpoints)
        {
            foreach (var bad in BadKeys)
            {
                data.Add(name, bad, "own");
            }

            foreach (var role in RoleNames)
            {
                foreach (var project in Projects)
                {
                    data.Add(name, $"{role}@{project}", "own");
                    if (hasObject)
                    {
                        data.Add(name, $"{role}@{project}", "other");
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Endpoint_ByIdentityAndTarget_AnswersAsTheRoleTableSays(string endpoint, string identity, string target)
    {
        var (_, method, pathTemplate, needs, _) = Endpoints.Single(e => e.Name == endpoint);
        var callerProject = identity.Contains('@', StringComparison.Ordinal) ? identity.Split('@')[1] : "default";
        var targetProject = target == "own" ? callerProject : Projects.Single(p => p != callerProject);
        var targetKey = fixture.TargetKeyId[targetProject];
        if (method == "DELETE")
        {
            // Revocation is destructive: aim at a fresh key of the target project each time.
            using var owner = fixture.Host.Client(fixture.Keys[$"admin@{targetProject}"]);
            var fresh = await owner.PostAsJsonAsync("/api/v1/keys", new { name = "to revoke", role = "agent" }, TestContext.Current.CancellationToken);
            targetKey = (await fresh.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("key").GetProperty("id").GetString()!;
        }

        var path = pathTemplate.Replace("{key}", targetKey, StringComparison.Ordinal).Replace("{project}", targetProject, StringComparison.Ordinal);
        using var client = fixture.Host.Client(fixture.Keys[identity]);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = endpoint == "projects.create"
                ? JsonContent.Create(new { id = "p" + Guid.NewGuid().ToString("N")[..12] })
                : JsonContent.Create(new { name = "matrix", role = "agent" });
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        var expected = Expected(identity, needs, callerProject, target, endpoint);
        Assert.True(expected == response.StatusCode, $"{method} {path} as {identity}: expected {(int)expected}, got {(int)response.StatusCode} {body}");
        if (!response.IsSuccessStatusCode)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal((int)expected, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
        }
        else
        {
            AssertOnlyOwnProject(endpoint, callerProject, identity, body);
        }
    }

    private static HttpStatusCode Expected(string identity, string needs, string callerProject, string target, string endpoint)
    {
        if (!identity.Contains('@', StringComparison.Ordinal))
        {
            return HttpStatusCode.Unauthorized;
        }

        // The role table, written out here rather than read from Rein.Core, so a mistake there is caught.
        var role = identity.Split('@')[0];
        var allowed = needs switch
        {
            "any" => true,
            "read" => role is "viewer" or "approver" or "admin",
            "admin" => role is "admin",
            "server-admin" => role is "admin" && callerProject == "default",
            _ => throw new InvalidOperationException(needs),
        };
        if (!allowed)
        {
            return HttpStatusCode.Forbidden;
        }

        // Another project's objects do not exist for the caller, except that server admins see every project.
        if (target == "other" && !(endpoint == "projects.get" && callerProject == "default"))
        {
            return HttpStatusCode.NotFound;
        }

        return endpoint.EndsWith(".create", StringComparison.Ordinal) ? HttpStatusCode.Created : HttpStatusCode.OK;
    }

    private static void AssertOnlyOwnProject(string endpoint, string callerProject, string identity, string body)
    {
        var json = JsonDocument.Parse(body).RootElement;
        switch (endpoint)
        {
            case "keys.list":
                Assert.All(json.GetProperty("items").EnumerateArray(), k => Assert.Equal(callerProject, k.GetProperty("projectId").GetString()));
                break;
            case "audit.list":
                var other = callerProject == "default" ? "other" : "default";
                Assert.NotEmpty(json.GetProperty("items").EnumerateArray());
                Assert.All(json.GetProperty("items").EnumerateArray(), e =>
                    Assert.False(e.GetProperty("action").GetString() == "project.create" && e.GetProperty("objectId").GetString() == other && callerProject == "other"));
                break;
            case "projects.list" when !(identity.StartsWith("admin@", StringComparison.Ordinal) && callerProject == "default"):
                Assert.Equal([callerProject], json.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
                break;
            case "me":
                Assert.Equal(callerProject, json.GetProperty("projectId").GetString());
                break;
            case "status":
                Assert.Equal(callerProject, json.GetProperty("project").GetProperty("id").GetString());
                break;
        }
    }

    [Fact]
    public async Task RevokeOtherProjectsKey_LeavesItWorking()
    {
        using var attacker = fixture.Host.Client(fixture.Keys["admin@other"]);
        var victimKey = fixture.Keys["viewer@default"]!;
        Assert.True(ApiKeyToken.TryParse(victimKey, out var token));

        using var response = await attacker.DeleteAsync($"/api/v1/keys/{token.Id}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var victim = fixture.Host.Client(victimKey);
        Assert.Equal(HttpStatusCode.OK, (await victim.GetAsync("/api/v1/status", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task AuditOfAnotherProject_NeverShowsTheDefaultProjectsEntries()
    {
        using var client = fixture.Host.Client(fixture.Keys["viewer@other"]);

        var json = await client.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000", TestContext.Current.CancellationToken);

        var defaultKeyIds = fixture.Keys.Where(k => k.Key.EndsWith("@default", StringComparison.Ordinal))
            .Select(k => ApiKeyToken.TryParse(k.Value, out var t) ? t.Id : null).ToHashSet();
        Assert.DoesNotContain(json.GetProperty("items").EnumerateArray(), e => defaultKeyIds.Contains(e.GetProperty("objectId").GetString()));
    }

    [Fact]
    public async Task Forbidden_SaysWhichRoleIsNeeded()
    {
        using var client = fixture.Host.Client(fixture.Keys["viewer@default"]);

        using var response = await client.GetAsync("/api/v1/keys", TestContext.Current.CancellationToken);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("this needs a key with role admin; this key has role viewer", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("anonymous", "this endpoint needs an API key")]
    [InlineData("malformed", "the API key is malformed")]
    [InlineData("unknown", "the API key is not recognised")]
    [InlineData("revoked", "the API key was revoked")]
    [InlineData("expired", "the API key expired at")]
    public async Task Unauthorized_SaysWhatIsWrongWithTheKey(string identity, string detail)
    {
        using var client = fixture.Host.Client(fixture.Keys[identity]);

        using var response = await client.GetAsync("/api/v1/status", TestContext.Current.CancellationToken);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }
}
