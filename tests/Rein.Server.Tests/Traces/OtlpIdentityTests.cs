using System.Net.Http.Json;
using System.Text.Json;
using Rein.Server.Tests.Policies;
using Rein.Testing;

namespace Rein.Server.Tests.Traces;

/// <summary>OTLP ingest and the key that sends it: an agent key's spans are its agent's, whatever they claim (a
/// differing claim is kept and flagged, never refused); an admin key's spans keep their claims and say who forwarded
/// them.</summary>
public sealed class OtlpIdentityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> SpanAsync(HttpClient reader, OtlpTrace trace, string spanId)
    {
        var detail = await reader.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{trace.TraceId}", Ct);
        return detail.GetProperty("spans").EnumerateArray().Single(s => s.GetProperty("spanId").GetString() == spanId).Clone();
    }

    private static string? Attribute(JsonElement span, string key) =>
        span.GetProperty("attributes").TryGetProperty(key, out var value) ? value.ToString() : null;

    [Fact]
    public async Task Ingest_AgentKeySpanClaimingAnotherAgent_StoredUnderTheKeysAgentAndFlaggedNotRefused()
    {
        await using var h = await GateHarness.StartAsync(agent: "strict-bot");
        var trace = new OtlpTrace("some-service");
        var root = trace.Root("lax-bot");
        trace.Chat(root);
        await trace.SendAsync(h.Agent);

        var run = await trace.WaitForRunAsync(h.Viewer);
        Assert.Equal("strict-bot", run.GetProperty("agent").GetString());
        var span = await SpanAsync(h.Viewer, trace, root);
        Assert.Equal("strict-bot", span.GetProperty("agent").GetString());
        Assert.Equal("lax-bot", Attribute(span, "rein.agent.claimed"));
        // The claim as sent is kept too.
        Assert.Equal("lax-bot", Attribute(span, "gen_ai.agent.name"));
    }

    [Fact]
    public async Task Ingest_AgentKeySpanClaimingItsOwnAgent_NotFlaggedAndAForgedFlagIsDropped()
    {
        await using var h = await GateHarness.StartAsync(agent: "strict-bot");
        var trace = new OtlpTrace("some-service");
        var root = trace.Span("invoke_agent strict-bot", attributes: [("gen_ai.agent.name", "strict-bot"), ("rein.agent.claimed", "forged")]);
        await trace.SendAsync(h.Agent);

        await trace.WaitForRunAsync(h.Viewer);
        var span = await SpanAsync(h.Viewer, trace, root);
        Assert.Equal("strict-bot", span.GetProperty("agent").GetString());
        Assert.Null(Attribute(span, "rein.agent.claimed"));
    }

    [Fact]
    public async Task Ingest_AdminKey_KeepsTheClaimedAgentAndMarksTheSpansAsForwardedByTheKey()
    {
        await using var h = await GateHarness.StartAsync(agent: "strict-bot");
        var trace = new OtlpTrace("some-service");
        var root = trace.Root("lax-bot");
        await trace.SendAsync(h.Admin);

        var run = await trace.WaitForRunAsync(h.Viewer);
        Assert.Equal("lax-bot", run.GetProperty("agent").GetString());
        var span = await SpanAsync(h.Viewer, trace, root);
        var adminKeyId = h.Host.AdminKey.Split('_')[1];
        Assert.Equal(adminKeyId, Attribute(span, "rein.agent.forwarded_by"));
        Assert.Null(Attribute(span, "rein.agent.claimed"));
    }
}
