using System.Net.Http.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Rein.Server.Tests.Policies;
using Rein.Testing;

namespace Rein.Server.Tests.Gateway;

/// <summary>With no time to wait for a person (<c>Gateway:ApprovalWait</c> 0s), a call that needs an approval answers
/// at once with the pending request, and the tool does not run.</summary>
public sealed class GatewayApprovalWaitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RequireApproval_WithNoWait_AnswersWithThePendingRequest()
    {
        await using var harness = await GateHarness.StartAsync(settings: new Dictionary<string, string?> { ["Gateway:ApprovalWait"] = "0s" });
        var key = await CreateAgentKeyAsync(harness.Admin, "ops-bot");
        using (var put = await harness.Admin.PutAsJsonAsync("/api/v1/tools/servers/orders", new { command = "node", args = new[] { McpServers.ScriptedServer } }, Ct))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(Ct));
        }

        await harness.PushAsync("""
            name: ops
            agents: ["ops-bot"]
            default: allow
            rules:
              - name: lookups need a person
                tools: ["orders.lookup"]
                effect: require_approval
                route: ops
            """);
        await using var client = await McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(harness.Host.Url, "/mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + key },
            }),
            cancellationToken: Ct);

        var result = await client.CallToolAsync("orders.lookup", new Dictionary<string, object?> { ["id"] = "P1" }, cancellationToken: Ct);

        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
        Assert.True(result.IsError);
        Assert.Matches("request apr_[0-9a-z]+ in queue ops is pending", text);
        Assert.DoesNotContain("shipped", text, StringComparison.Ordinal);
        var pending = await harness.Admin.GetStringAsync("/api/v1/approvals?status=pending&queue=ops", Ct);
        Assert.Contains("orders.lookup", pending, StringComparison.Ordinal);

        // The same call again in the same session waits on the same request.
        var again = await client.CallToolAsync("orders.lookup", new Dictionary<string, object?> { ["id"] = "P1" }, cancellationToken: Ct);
        var request = System.Text.RegularExpressions.Regex.Match(text, "apr_[0-9a-z]+").Value;
        Assert.Contains(request, string.Concat(again.Content.OfType<TextContentBlock>().Select(t => t.Text)), StringComparison.Ordinal);
    }

    private static async Task<string> CreateAgentKeyAsync(HttpClient admin, string name)
    {
        using var response = await admin.PostAsJsonAsync("/api/v1/keys", new { name, role = "agent" }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("apiKey").GetString()!;
    }
}
