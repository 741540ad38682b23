using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Rein.Server.Tests.Policies;

namespace Rein.Server.Tests.Gateway;

/// <summary>The tools API's input checks: every bad body is a 400 naming the field, and nothing is stored.</summary>
public sealed class GatewayApiTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private GateHarness _harness = null!;

    public async ValueTask InitializeAsync() => _harness = await GateHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    public static TheoryData<string, string, string> BadServers => new()
    {
        { "ok", """{}""", "command" },
        { "ok", """{"transport":"ftp","command":"x"}""", "transport" },
        { "ok", """{"command":"npx","url":"http://x/mcp"}""", "url" },
        { "ok", """{"url":"ftp://example.com/mcp"}""", "url" },
        { "ok", """{"url":"https://user:pw@example.com/mcp"}""", "url" },
        { "ok", """{"url":"https://example.com/mcp","env":{"A":"b"}}""", "env" },
        { "ok", """{"command":"npx","timeout":"0s"}""", "timeout" },
        { "ok", """{"command":"npx","timeout":"11m"}""", "timeout" },
        { "ok", """{"command":"npx","env":{"1BAD":"x"}}""", "env" },
        { "ok", """{"command":"npx","env":{"TOKEN":"***"}}""", "env.TOKEN" },
        { "ok", """{"command":"npx","args":["a\nb"]}""", "args[0]" },
        { "ok", """{"url":"https://example.com/mcp","headers":{"X-A":"line\r\nbreak"}}""", "headers.X-A" },
        { "bad.name", """{"command":"npx"}""", "name" },
        { "has__double", """{"command":"npx"}""", "name" },
    };

    [Theory]
    [MemberData(nameof(BadServers))]
    public async Task PutServer_Invalid_Is400NamingTheField_AndStoresNothing(string name, string body, string field)
    {
        var response = await _harness.Admin.PutAsync($"/api/v1/tools/servers/{Uri.EscapeDataString(name)}", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        var list = await _harness.Admin.GetFromJsonAsync<JsonElement>("/api/v1/tools/servers", Ct);
        Assert.Equal(0, list.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task PutServer_OnlyAdmins_AndEveryChangeIsAudited_WithoutTheSecret()
    {
        var body = new { command = "npx", args = new[] { "-y", "server" }, env = new Dictionary<string, string> { ["TOKEN"] = "s3cr3t-value-0123456789", ["HOME_DIR"] = "${env:HOME}" } };
        Assert.Equal(HttpStatusCode.Forbidden, (await _harness.Agent.PutAsJsonAsync("/api/v1/tools/servers/crm", body, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _harness.Viewer.PutAsJsonAsync("/api/v1/tools/servers/crm", body, Ct)).StatusCode);

        var created = await _harness.Admin.PutAsJsonAsync("/api/v1/tools/servers/crm", body, Ct);
        var replaced = await _harness.Admin.PutAsJsonAsync("/api/v1/tools/servers/crm", body with { }, Ct);
        var kept = await _harness.Admin.PutAsJsonAsync("/api/v1/tools/servers/crm", new { command = "npx", env = new Dictionary<string, string> { ["TOKEN"] = "***" } }, Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        var server = await _harness.Viewer.GetFromJsonAsync<JsonElement>("/api/v1/tools/servers/crm", Ct);
        Assert.Equal("***", server.GetProperty("server").GetProperty("env").GetProperty("TOKEN").GetString());
        var audit = await _harness.Admin.GetStringAsync("/api/v1/audit?action=gateway.server.set", Ct);
        Assert.Contains("crm", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", _harness.Host.Logs.AllText, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await _harness.Admin.DeleteAsync("/api/v1/tools/servers/crm", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _harness.Admin.DeleteAsync("/api/v1/tools/servers/crm", Ct)).StatusCode);
    }

    public static TheoryData<string, string> BadFaults => new()
    {
        { """{}""", "rules" },
        { """{"rules":[{"kind":"error"}]}""", "rules[0].tool" },
        { """{"rules":[{"tool":"a.b","kind":"explode"}]}""", "rules[0].kind" },
        { """{"rules":[{"tool":"a.b","kind":"error","probability":1.5}]}""", "rules[0].probability" },
        { """{"rules":[{"tool":"a.b","kind":"delay"}]}""", "rules[0].delay" },
        { """{"rules":[{"tool":"a.b","kind":"delay","delay":"6m"}]}""", "rules[0].delay" },
        { """{"rules":[{"id":"x","tool":"a.b","kind":"error"},{"id":"x","tool":"a.c","kind":"error"}]}""", "rules[1].id" },
    };

    [Theory]
    [MemberData(nameof(BadFaults))]
    public async Task PutFaults_Invalid_Is400NamingTheRuleAndField(string body, string field)
    {
        var response = await _harness.Admin.PutAsync("/api/v1/tools/faults", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task PutFaults_OverTheRuleLimit_Is400()
    {
        var rules = Enumerable.Range(0, 101).Select(i => new { tool = $"s.t{i}", kind = "error" }).ToArray();

        var response = await _harness.Admin.PutAsJsonAsync("/api/v1/tools/faults", new { rules }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at most 100", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_PinMode_IsTofuOrExplicit()
    {
        var bad = await _harness.Admin.PutAsJsonAsync("/api/v1/tools/settings", new { pinMode = "sometimes" }, Ct);
        var good = await _harness.Admin.PutAsJsonAsync("/api/v1/tools/settings", new { pinMode = "explicit" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal("explicit", (await _harness.Viewer.GetFromJsonAsync<JsonElement>("/api/v1/tools/settings", Ct)).GetProperty("pinMode").GetString());
    }

    [Fact]
    public async Task Pin_UnknownTool_Is404_AndBadNames400()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _harness.Admin.PostAsJsonAsync("/api/v1/tools/pin", new { server = "nothing" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _harness.Admin.PostAsJsonAsync("/api/v1/tools/pin", new { server = "no.dots" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _harness.Admin.PostAsJsonAsync("/api/v1/tools/pin", new { server = "s", hash = "sha256:00" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _harness.Admin.GetAsync("/api/v1/tools/not-namespaced/diff", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _harness.Admin.GetAsync("/api/v1/tools/a.b/diff", Ct)).StatusCode);
    }

    [Fact]
    public async Task Servers_PerProjectLimit_Is409()
    {
        for (var i = 0; i < 100; i++)
        {
            var response = await _harness.Admin.PutAsJsonAsync($"/api/v1/tools/servers/s{i}", new { command = "npx" }, Ct);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        var over = await _harness.Admin.PutAsJsonAsync("/api/v1/tools/servers/one-more", new { command = "npx" }, Ct);

        Assert.Equal(HttpStatusCode.Conflict, over.StatusCode);
        Assert.Contains("100 servers", await over.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
