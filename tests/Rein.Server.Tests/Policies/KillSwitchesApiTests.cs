using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Rein.Server.Tests.Policies;

public sealed class KillSwitchesApiTests(PoliciesApiFixture fixture) : IClassFixture<PoliciesApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Admin() => fixture.Host.Client(fixture.Host.AdminKey);

    [Fact]
    public async Task AddListRemove_TurnASwitchOnAndOff()
    {
        using var admin = Admin();

        using var added = await admin.PostAsJsonAsync("/api/v1/kill-switches", new { scope = "tool", target = "api.refund", agent = "support-bot", reason = "incident 42" }, Ct);
        using var again = await admin.PostAsJsonAsync("/api/v1/kill-switches", new { scope = "tool", target = "api.refund", agent = "support-bot" }, Ct);
        var body = await added.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(("tool", "api.refund", "support-bot", "incident 42"),
            (body.GetProperty("scope").GetString(), body.GetProperty("target").GetString(), body.GetProperty("agent").GetString(), body.GetProperty("reason").GetString()));
        Assert.True(body.TryGetProperty("createdAt", out _));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("createdBy").GetString()));
        Assert.Equal("incident 42", (await again.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("reason").GetString());

        using var viewer = fixture.Host.Client(fixture.Keys["viewer"]);
        var list = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/kill-switches", Ct);
        Assert.Contains(list.GetProperty("items").EnumerateArray(), s => s.GetProperty("target").GetString() == "api.refund");

        using var removed = await admin.PostAsJsonAsync("/api/v1/kill-switches/remove", new { scope = "tool", target = "api.refund", agent = "support-bot" }, Ct);
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Equal("incident 42", (await removed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("reason").GetString());

        var (gone, problem) = await PoliciesApiTests.ProblemOf(admin.PostAsJsonAsync("/api/v1/kill-switches/remove", new { scope = "tool", target = "api.refund", agent = "support-bot" }, Ct));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Contains("tool:api.refund@support-bot", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=kill", Ct);
        Assert.Equal(["kill.remove", "kill.add"], audit.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("objectId").GetString() == "tool:api.refund@support-bot").Select(e => e.GetProperty("action").GetString()));
    }

    [Theory]
    [InlineData("/api/v1/kill-switches", "{\"scope\": \"model\", \"target\": \"x\"}", "scope: 'model' is not a scope")]
    [InlineData("/api/v1/kill-switches", "{\"scope\": \"agent\", \"target\": \"a\", \"agent\": \"b\"}", "agent: only a tool switch can be limited to one agent")]
    [InlineData("/api/v1/kill-switches", "{\"scope\": \"tool\"}", "target: is required")]
    [InlineData("/api/v1/kill-switches", "{\"scope\": \"tool\", \"target\": ", "not valid JSON")]
    [InlineData("/api/v1/kill-switches", "{\"scope\": \"tool\", \"target\": 7}", "at target: expected a string")]
    [InlineData("/api/v1/kill-switches/remove", "{\"scope\": \"tool\", \"target\": \"x\", \"reason\": \"r\"}", "unknown field 'reason'")]
    [InlineData("/api/v1/kill-switches/remove", "{}", "scope: is required")]
    public async Task BadBody_Is400SayingWhat(string path, string body, string detail)
    {
        using var admin = Admin();

        var (response, problem) = await PoliciesApiTests.ProblemOf(admin.PostAsync(path, PoliciesApiTests.Json(body), Ct));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherProjectsSwitch_IsNotListed_NorRemovable()
    {
        using var admin = Admin();
        (await admin.PostAsJsonAsync("/api/v1/kill-switches", new { scope = "release", target = "v-private" }, Ct)).EnsureSuccessStatusCode();
        using var other = fixture.Host.Client(fixture.OtherProjectKey);

        var list = await other.GetFromJsonAsync<JsonElement>("/api/v1/kill-switches", Ct);
        using var remove = await other.PostAsJsonAsync("/api/v1/kill-switches/remove", new { scope = "release", target = "v-private" }, Ct);

        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), s => s.GetProperty("target").GetString() == "v-private");
        Assert.Equal(HttpStatusCode.NotFound, remove.StatusCode);
    }
}
