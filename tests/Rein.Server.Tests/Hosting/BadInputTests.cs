using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rein.Testing;

namespace Rein.Server.Tests.Hosting;

/// <summary>A client's mistake is a 4xx that says what is wrong and where, never a 5xx: text that is not Unicode in
/// JSON the server keeps as JSON, a protobuf body that ends early, a form posted to a handler that does not exist.</summary>
public sealed partial class BadInputTests : IAsyncLifetime
{
    private const string Agent = "bad-input-bot";

    private TestHost _host = null!;
    private string _agentKey = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _host = await TestHost.StartAsync();
        using var admin = _host.Client(_host.AdminKey);
        var created = await admin.PostAsJsonAsync("/api/v1/keys", new { name = Agent, role = "agent" }, Ct);
        created.EnsureSuccessStatusCode();
        _agentKey = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("apiKey").GetString()!;
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body)> GateAsync(byte[] body)
    {
        using var client = _host.Client(_agentKey);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync("/api/v1/gate", content, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Gate_LoneSurrogateInArgs_Answers400NamingTheField()
    {
        var (status, body) = await GateAsync(Encoding.UTF8.GetBytes("""{"agent":"bad-input-bot","tool":"notes.search","args":{"filter":{"q":"\ud800"}}}"""));

        Assert.True(status == HttpStatusCode.BadRequest, $"answered {(int)status}: {body}");
        Assert.Contains("args.filter.q", body, StringComparison.Ordinal);
        Assert.Contains("not valid Unicode", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_LoneSurrogateInAnArgumentName_Answers400NamingTheField()
    {
        var (status, body) = await GateAsync(Encoding.UTF8.GetBytes("""{"agent":"bad-input-bot","tool":"notes.search","args":{"list":[1,{"\udfff":2}]}}"""));

        Assert.True(status == HttpStatusCode.BadRequest, $"answered {(int)status}: {body}");
        Assert.Contains("args.list[1]", body, StringComparison.Ordinal);
        Assert.Contains("name", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_InvalidUtf8InContext_Answers400NamingTheField()
    {
        var before = Encoding.UTF8.GetBytes("""{"agent":"bad-input-bot","tool":"notes.search","context":{"channel":"we""");
        var after = Encoding.UTF8.GetBytes("""b"}}""");
        var (status, body) = await GateAsync([.. before, 0xFF, 0xFE, .. after]);

        Assert.True(status == HttpStatusCode.BadRequest, $"answered {(int)status}: {body}");
        Assert.Contains("context.channel", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_InvalidUtf8InTheAgentName_Answers400()
    {
        var before = Encoding.UTF8.GetBytes("""{"agent":"bad-input-""");
        var after = Encoding.UTF8.GetBytes("""bot","tool":"notes.search"}""");
        var (status, body) = await GateAsync([.. before, 0xC3, .. after]);

        Assert.True(status == HttpStatusCode.BadRequest, $"answered {(int)status}: {body}");
        Assert.Contains("agent", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Otlp_TruncatedProtobuf_Answers400WithAStatusSayingWhy()
    {
        // The reproduction: a length prefix that runs past the end of the body.
        var body = Convert.FromHexString("0aef010a2e0a150a0b797a323362302a6331637912060a04edbfbf000a150a0c736572766963652e6e616d6512050a032d302e0affffffff07");
        using var client = _host.Client(_agentKey);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");

        using var response = await client.PostAsync("/v1/traces", content, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"answered {(int)response.StatusCode}: {_host.Logs.AllText}");
        var status = Rein.Server.Traces.Otlp.Wire.Rpc.Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Contains("not a valid OTLP protobuf", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mcp_LoneSurrogateInToolArguments_Answers400NamingTheArgument()
    {
        using var admin = _host.Client(_host.AdminKey);
        var put = await admin.PutAsJsonAsync("/api/v1/tools/servers/scripted", new { command = "node", args = new[] { McpServers.ScriptedServer } }, Ct);
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(Ct));
        using var agent = _host.Client(_agentKey);
        using var opened = await McpPostAsync(agent, """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""");
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        var session = opened.Headers.GetValues("Mcp-Session-Id").Single();

        using var call = await McpPostAsync(agent, """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"scripted.lookup","arguments":{"id":"\ud800"}}}""", session);
        var text = await call.Content.ReadAsStringAsync(Ct);

        Assert.True(call.StatusCode == HttpStatusCode.BadRequest, $"answered {(int)call.StatusCode}: {text}");
        var error = JsonDocument.Parse(text).RootElement;
        Assert.Equal(2, error.GetProperty("id").GetInt32());
        Assert.Contains("params.arguments.id", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> McpPostAsync(HttpClient client, string body, string? session = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return await client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Dashboard_PostToAHandlerThatDoesNotExist_Answers404NamingTheHandler()
    {
        using var handler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { BaseAddress = _host.Url };
        using var signInPage = await client.GetAsync("/signin", Ct);
        var antiforgery = CookieOf(signInPage, "rein_antiforgery");
        using var signIn = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["ApiKey"] = _host.AdminKey, ["__rein_af"] = TokenOf(await signInPage.Content.ReadAsStringAsync(Ct)) }),
        };
        signIn.Headers.Add("Cookie", antiforgery);
        using var signedIn = await client.SendAsync(signIn, Ct);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var session = CookieOf(signedIn, "rein_session");

        using var pageRequest = new HttpRequestMessage(HttpMethod.Get, "/policies");
        pageRequest.Headers.Add("Cookie", $"{session}; {antiforgery}");
        using var page = await client.SendAsync(pageRequest, Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var token = TokenOf(await page.Content.ReadAsStringAsync(Ct));

        using var post = new HttpRequestMessage(HttpMethod.Post, "/policies?handler=Nope")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__rein_af"] = token }),
        };
        post.Headers.Add("Cookie", $"{session}; {antiforgery}");
        using var response = await client.SendAsync(post, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"answered {(int)response.StatusCode}: {text} {_host.Logs.AllText}");
        Assert.Contains("Nope", text, StringComparison.Ordinal);
        Assert.DoesNotContain(_host.Logs.Entries, e => e.Exception is NullReferenceException);
    }

    private static string CookieOf(HttpResponseMessage response, string name) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(name + "=", StringComparison.Ordinal)).Split(';')[0];

    private static string TokenOf(string html) => AntiforgeryField().Match(html).Groups[1].Value;

    [GeneratedRegex("name=\"__rein_af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
