using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Rein.Server.Gateway;
using Rein.Server.Tests.Hosting;
using Rein.Testing;

namespace Rein.Server.Tests.Gateway;

/// <summary>
/// Sessions of <c>/mcp</c> are shared fairly: a key holds at most <c>Gateway:MaxSessionsPerKey</c> of them and a
/// project at most <c>Gateway:MaxSessionsPerProject</c>, so one noisy key or project cannot lock the others out, and
/// sessions nobody uses are reclaimed after <c>Gateway:SessionIdleTimeout</c>.
/// </summary>
public sealed class GatewaySessionShareTests
{
    private const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<TestHost> StartAsync(ManualTimeProvider? time = null) => TestHost.StartAsync(
        settings: new Dictionary<string, string?>
        {
            ["Gateway:MaxSessions"] = "6",
            ["Gateway:MaxSessionsPerProject"] = "4",
            ["Gateway:MaxSessionsPerKey"] = "2",
        },
        time: time);

    private static async Task<string> KeyAsync(HttpClient admin, string name)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/keys", new { name, role = "agent" }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("apiKey").GetString()!;
    }

    /// <summary>A new project and an agent key of it.</summary>
    private static async Task<string> OtherProjectKeyAsync(TestHost host)
    {
        using var admin = host.Client(host.AdminKey);
        var id = "quiet-" + Guid.NewGuid().ToString("N")[..8];
        var response = await admin.PostAsJsonAsync("/api/v1/projects", new { id }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var projectAdmin = host.Client((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("apiKey").GetString()!);
        return await KeyAsync(projectAdmin, "quiet-bot");
    }

    private static async Task<HttpResponseMessage> OpenAsync(TestHost host, string key, string? session = null, string body = Initialize)
    {
        using var client = host.Client(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        var response = await client.SendAsync(request, Ct);
        await response.Content.LoadIntoBufferAsync(Ct);
        return response;
    }

    [Fact]
    public async Task MaxSessionsPerKey_ANoisyKeyIsRefused429_WhileAnotherKeyAndAnotherProjectStillOpenSessions()
    {
        await using var host = await StartAsync();
        using var admin = host.Client(host.AdminKey);
        var noisy = await KeyAsync(admin, "noisy-bot");
        var quiet = await KeyAsync(admin, "quiet-bot");
        var otherProject = await OtherProjectKeyAsync(host);
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, noisy)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, noisy)).StatusCode);

        var refused = await OpenAsync(host, noisy);

        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(1, error.GetProperty("id").GetInt32());
        var message = error.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("this key already holds 2 MCP sessions", message, StringComparison.Ordinal);
        Assert.Contains("Gateway:MaxSessionsPerKey", message, StringComparison.Ordinal);
        Assert.True(refused.Headers.RetryAfter is not null, "a refused initialize says when to try again");
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, quiet)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, otherProject)).StatusCode);
    }

    [Fact]
    public async Task MaxSessionsPerProject_ANoisyProjectIsRefused429_WhileAQuietProjectStillOpensSessions()
    {
        await using var host = await StartAsync();
        using var admin = host.Client(host.AdminKey);
        var keys = new[] { await KeyAsync(admin, "bot-a"), await KeyAsync(admin, "bot-b"), await KeyAsync(admin, "bot-c") };
        foreach (var key in new[] { keys[0], keys[0], keys[1], keys[1] })
        {
            Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, key)).StatusCode);
        }

        var refused = await OpenAsync(host, keys[2]);

        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Contains("Gateway:MaxSessionsPerProject", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var quiet = await OtherProjectKeyAsync(host);
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, quiet)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, quiet)).StatusCode);
    }

    [Fact]
    public async Task MaxSessions_AllProjectsTogetherFillingTheServer_Is503WithRetryAfter()
    {
        await using var host = await StartAsync();
        using var admin = host.Client(host.AdminKey);
        var keys = new[] { await KeyAsync(admin, "bot-a"), await KeyAsync(admin, "bot-b"), await OtherProjectKeyAsync(host) };
        foreach (var key in new[] { keys[0], keys[0], keys[1], keys[1], keys[2], keys[2] })
        {
            Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, key)).StatusCode);
        }

        var refused = await OpenAsync(host, await OtherProjectKeyAsync(host));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("Gateway:MaxSessions)", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.True(refused.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task SessionIdleTimeout_DefaultsToFiveMinutes_AfterWhichTheSessionIsClosedAndItsShareFreed()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        using var admin = host.Client(host.AdminKey);
        var key = await KeyAsync(admin, "idle-bot");
        var first = (await OpenAsync(host, key)).Headers.GetValues("Mcp-Session-Id").Single();
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, key)).StatusCode);
        var sessions = host.App.Services.GetRequiredService<McpSessions>();

        time.Advance(TimeSpan.FromMinutes(4));
        await sessions.SweepAsync();
        Assert.Equal((HttpStatusCode)429, (await OpenAsync(host, key)).StatusCode);
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await sessions.SweepAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await OpenAsync(host, key, first, """{"jsonrpc":"2.0","id":2,"method":"ping"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, key)).StatusCode);
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 9009 && e.Message.Contains("(idle)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SessionIdleTimeout_EndsTheSessionsRun_WhereTheIdleSessionWasClosed()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time);
        using var admin = host.Client(host.AdminKey);
        var key = await KeyAsync(admin, "leaving-bot");
        var opened = await OpenAsync(host, key);
        var session = opened.Headers.GetValues("Mcp-Session-Id").Single();
        await OpenAsync(host, key, session, """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(host, key, session, """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"nowhere.echo","arguments":{}}}""")).StatusCode);
        var sessions = host.App.Services.GetRequiredService<McpSessions>();

        // Like the TypeScript SDK's close(): the client goes away without DELETE.
        time.Advance(TimeSpan.FromMinutes(6));
        await sessions.SweepAsync();

        var run = await WaitForRunAsync(admin, session, r => r.GetProperty("spans").GetInt32() == 3);
        Assert.Equal("invoke_agent leaving-bot", run.GetProperty("name").GetString());
        Assert.Equal("success", run.GetProperty("status").GetString());
        Assert.True(run.GetProperty("durationMs").GetDouble() >= TimeSpan.FromMinutes(6).TotalMilliseconds, run.ToString());
    }

    private static async Task<JsonElement> WaitForRunAsync(HttpClient admin, string session, Func<JsonElement, bool> done)
    {
        for (var i = 0; i < 200; i++)
        {
            var items = (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/runs?session={session}", Ct)).GetProperty("items");
            if (items.GetArrayLength() == 1 && done(items[0]))
            {
                return items[0].Clone();
            }

            await Task.Delay(50, Ct);
        }

        throw new InvalidOperationException($"no finished run of session {session}");
    }
}
