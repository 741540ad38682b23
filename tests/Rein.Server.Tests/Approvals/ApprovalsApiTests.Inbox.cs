using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Rein.Server.Approvals;
using Rein.Server.Storage;
using Rein.Testing;
using static Rein.Server.Tests.Approvals.ApprovalHarness;

namespace Rein.Server.Tests.Approvals;

/// <summary>What goes into the run's trace and the evidence, the inbox, the feedback export, stats, queues and the
/// bounds on waiting.</summary>
public abstract partial class ApprovalsApiTests
{
    [Fact]
    public async Task Trace_DecisionWrittenAsASpanIntoTheRunsTrace_AndTheRunIsInTheEvidence()
    {
        await using var h = await StartAsync();
        var trace = Guid.NewGuid().ToString("N");
        var parent = Guid.NewGuid().ToString("N")[..16];
        using var ask = new HttpRequestMessage(HttpMethod.Post, "/api/v1/gate") { Content = JsonContent.Create(Refund(500, trace)) };
        ask.Headers.Add("traceparent", $"00-{trace}-{parent}-01");
        var decision = await (await h.Agent.SendAsync(ask, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = Text(decision.GetProperty("approval"), "requestId");

        var gateSpan = await SpanAsync(h, trace, "rein.gate payments.refund");
        Assert.Equal(id, Text(gateSpan.GetProperty("attributes"), "rein.approval.id"));
        var evidence = (await h.GetAsync(id)).GetProperty("evidence").GetProperty("run");
        Assert.Contains(evidence.GetProperty("steps").EnumerateArray(), s => Text(s, "name") == "rein.gate payments.refund" && Text(s, "kind") == "guardrail");
        Assert.True(evidence.GetProperty("stepCount").GetInt32() >= 0);

        h.Clock.Advance(TimeSpan.FromSeconds(42));
        await h.ApproveAsync(id, "ok");
        var span = await SpanAsync(h, trace, "rein.approval payments.refund");
        Assert.Equal(parent, Text(span, "parentSpanId"));
        var attributes = span.GetProperty("attributes");
        Assert.Equal((id, "approved", "finance", h.ApproverName),
            (Text(attributes, "rein.approval.id"), Text(attributes, "rein.approval.outcome"), Text(attributes, "rein.approval.queue"), Text(attributes, "rein.approval.decided_by")));
        Assert.Equal("approval", Text(span, "kind"));
        Assert.Equal(42_000, span.GetProperty("durationMs").GetDouble(), 0.5);
    }

    [Fact]
    public async Task EvidenceSteps_TheRunsMostRecentSpansOnly_WithItsTotals()
    {
        // Without the gate's own span, which would land in the trace at a moment of its own choosing.
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Gate:WriteSpans"] = "false" });
        var trace = new OtlpTrace("refund-bot", h.Clock.GetUtcNow().AddMinutes(-5));
        var root = trace.Root("refund-bot", durationMs: 60_000);
        for (var i = 0; i < 25; i++)
        {
            trace.Tool(root, "step" + i.ToString("00", System.Globalization.CultureInfo.InvariantCulture), startMs: 100 + (i * 100), durationMs: 10);
        }

        await trace.SendAsync(h.Agent);
        await trace.WaitForRunAsync(h.Viewer);
        var id = await h.OpenAsync(trace.TraceId);

        var run = (await h.GetAsync(id)).GetProperty("evidence").GetProperty("run");
        var steps = run.GetProperty("steps").EnumerateArray().Select(s => Text(s, "name")).ToList();
        Assert.Equal(ApprovalService.EvidenceSteps, steps.Count);
        Assert.Equal("execute_tool step24", steps[^1]);
        Assert.Equal("execute_tool step05", steps[0]);
        Assert.Equal(25, run.GetProperty("stepCount").GetInt32());
        Assert.Equal(60_000, run.GetProperty("durationMs").GetDouble(), 1);
    }

    [Fact]
    public async Task MaxQueuesPerProject_OneMoreQueue_409AndExistingOnesStillChange()
    {
        await using var h = await StartAsync();
        var db = h.Host.App.Services.GetRequiredService<ReinDatabase>();
        await db.WriteAsync((c, t) => c.ExecuteAsync(
            "INSERT INTO approval_queues (project_id, name, expiry_ms, created_at, updated_at) VALUES ('default', @name, NULL, 0, 0)",
            Enumerable.Range(0, ApprovalService.MaxQueuesPerProject).Select(i => new { name = "q" + i }), t), Ct);

        var refused = await h.Admin.PutAsJsonAsync("/api/v1/approvals/queues/one-more", new { expiry = "30m" }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Admin.PutAsJsonAsync("/api/v1/approvals/queues/q7", new { expiry = "30m" }, Ct)).StatusCode);
        Assert.Equal(ApprovalService.MaxQueuesPerProject, (await h.Viewer.GetFromJsonAsync<JsonElement>("/api/v1/approvals/queues", Ct)).GetProperty("items").GetArrayLength());
    }

    private static async Task<JsonElement> SpanAsync(ApprovalHarness h, string trace, string name)
    {
        for (var i = 0; i < 200; i++)
        {
            var run = await h.Viewer.GetAsync($"/api/v1/runs/{trace}", Ct);
            if (run.StatusCode == HttpStatusCode.OK)
            {
                var spans = (await run.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("spans").EnumerateArray().ToList();
                if (spans.FirstOrDefault(s => Text(s, "name") == name) is { ValueKind: JsonValueKind.Object } found)
                {
                    return found;
                }
            }

            await Task.Delay(50, Ct);
        }

        throw new Xunit.Sdk.XunitException($"no span {name} in trace {trace}");
    }

    [Fact]
    public async Task Export_HumanDecisionsAsJsonLines_WithChangedFieldsAndNoExpiries()
    {
        await using var h = await StartAsync();
        var approved = await h.OpenAsync(Run());
        await h.ApproveAsync(approved, "fine");
        var modified = await h.OpenAsync(Run(), 700);
        // A modification gives every argument in full, the redacted card as a reference (a placeholder or a card number is refused).
        await h.ApproveAsync(modified, "lowered", new { amount = 70, currency = "EUR", card = "card_ref_4242" });
        var rejected = await h.OpenAsync(Run());
        await h.RejectAsync(rejected, "no");
        var expired = await h.OpenAsync(Run());
        h.Clock.Advance(TimeSpan.FromMinutes(31));
        await WaitForStatusAsync(h, expired, "expired");

        var response = await h.Viewer.GetAsync("/api/v1/approvals/export?since=24h&format=jsonl", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var records = lines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(r => Text(r, "requestId"));
        Assert.Equal(3, records.Count);
        Assert.DoesNotContain(expired, records.Keys);

        var m = records[modified];
        Assert.Equal(("modified", "finance", "high", "refund-bot", "payments.refund"), (Text(m, "outcome"), Text(m, "queue"), Text(m, "severity"), Text(m, "agent"), Text(m, "tool")));
        Assert.Equal(700, m.GetProperty("proposedArgs").GetProperty("amount").GetInt32());
        Assert.Equal("[REDACTED]", Text(m.GetProperty("proposedArgs"), "card"));
        Assert.Equal(70, m.GetProperty("approvedArgs").GetProperty("amount").GetInt32());
        // Against the stored (redacted) proposal, the card given in full reads as changed too.
        Assert.Equal(["$.amount", "$.card"], m.GetProperty("changedFields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(("lowered", h.ApproverName, "large refunds go to finance"), (Text(m, "note"), Text(m, "decidedBy"), Text(m, "rule")));
        Assert.Equal("refunds", Text(m.GetProperty("policy"), "name"));
        Assert.Equal("the customer was charged twice", Text(m.GetProperty("context"), "reason"));
        Assert.Equal(0, records[approved].GetProperty("changedFields").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, records[rejected].GetProperty("approvedArgs").ValueKind);

        Assert.Equal(HttpStatusCode.BadRequest, (await h.Viewer.GetAsync("/api/v1/approvals/export?format=csv", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Viewer.GetAsync("/api/v1/approvals/export?since=367d", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await h.Agent.GetAsync("/api/v1/approvals/export", Ct)).StatusCode);
    }

    private static async Task WaitForStatusAsync(ApprovalHarness h, string id, string status)
    {
        for (var i = 0; i < 100 && Text(await h.GetAsync(id), "status") != status; i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.Equal(status, Text(await h.GetAsync(id), "status"));
    }

    [Fact]
    public async Task Stats_CountsByQueueAndTotal_WithTimeToDecisionPercentiles()
    {
        await using var h = await StartAsync();
        await h.Gate.PushAsync(ApprovalPolicies.Ops);
        var a = await h.OpenAsync(Run());
        var b = await h.OpenAsync(Run());
        var c = await h.OpenAsync(Run());
        var d = await h.OpenAsync(Run());
        _ = await h.OpenAsync(Run());
        var ops = Text((await h.AskAsync(new { agent = "ops-bot", tool = "db.wipe" })).GetProperty("approval"), "requestId");
        h.Clock.Advance(TimeSpan.FromSeconds(10));
        await h.ApproveAsync(a);
        h.Clock.Advance(TimeSpan.FromSeconds(10));
        await h.ApproveAsync(b, args: new { amount = 60 });
        h.Clock.Advance(TimeSpan.FromSeconds(10));
        await h.RejectAsync(c);
        await h.RejectAsync(ops);
        h.Clock.Advance(TimeSpan.FromMinutes(31));
        await WaitForStatusAsync(h, d, "expired");

        var stats = await h.Viewer.GetFromJsonAsync<JsonElement>("/api/v1/approvals/stats?since=24h", Ct);
        var finance = stats.GetProperty("byQueue").EnumerateArray().Single(q => Text(q, "queue") == "finance");
        Assert.Equal((5, 0, 1, 1, 1, 2), (finance.GetProperty("requests").GetInt32(), finance.GetProperty("pending").GetInt32(), finance.GetProperty("approved").GetInt32(),
            finance.GetProperty("modified").GetInt32(), finance.GetProperty("rejected").GetInt32(), finance.GetProperty("expired").GetInt32()));
        Assert.Equal(20_000, finance.GetProperty("timeToDecisionMs").GetProperty("p50").GetDouble());
        Assert.Equal(30_000, finance.GetProperty("timeToDecisionMs").GetProperty("p95").GetDouble());
        var totals = stats.GetProperty("totals");
        Assert.False(totals.TryGetProperty("queue", out _));
        Assert.Equal((6, 2), (totals.GetProperty("requests").GetInt32(), totals.GetProperty("rejected").GetInt32()));
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Viewer.GetAsync("/api/v1/approvals/stats?since=400d", Ct)).StatusCode);
    }

    [Fact]
    public async Task Inbox_MostSevereFirstThenOldest_PagedWithACursorAndFiltered()
    {
        await using var h = await StartAsync();
        await h.Gate.PushAsync(ApprovalPolicies.Ops);
        var first = await h.OpenAsync(Run());
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var medium = Text((await h.AskAsync(new { agent = "ops-bot", tool = "db.delete" })).GetProperty("approval"), "requestId");
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = await h.OpenAsync(Run());
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var critical = Text((await h.AskAsync(new { agent = "ops-bot", tool = "db.wipe" })).GetProperty("approval"), "requestId");

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await h.Viewer.GetFromJsonAsync<JsonElement>("/api/v1/approvals?limit=3" + (cursor is null ? "" : "&cursor=" + cursor), Ct);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => Text(i, "id")));
            cursor = page.GetProperty("next").GetString();
        }
        while (cursor is not null);
        Assert.Equal([critical, first, second, medium], seen);

        await h.RejectAsync(first);
        var pendingFinance = await h.Viewer.GetFromJsonAsync<JsonElement>("/api/v1/approvals?status=pending&queue=finance", Ct);
        Assert.Equal([second], pendingFinance.GetProperty("items").EnumerateArray().Select(i => Text(i, "id")));
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Viewer.GetAsync("/api/v1/approvals?status=open", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Viewer.GetAsync("/api/v1/approvals?cursor=nonsense", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Viewer.GetAsync("/api/v1/approvals?limit=501", Ct)).StatusCode);
    }

    [Fact]
    public async Task Gate_SameCallRepeatedInOneRunWhilePending_ReusesTheOpenRequest()
    {
        await using var h = await StartAsync();
        var run = Run();
        var id = await h.OpenAsync(run);
        Assert.Equal(id, await h.OpenAsync(run));
        Assert.NotEqual(id, await h.OpenAsync(run, 501));
        Assert.NotEqual(id, await h.OpenAsync(Run()));
    }

    [Fact]
    public async Task MaxWaiters_BeyondTheBound_AnsweredAtOnceAsItStands()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Approvals:MaxWaiters"] = "1" });
        var id = await h.OpenAsync(Run());
        var holding = h.GetAsync(id, h.Agent, "30s");
        await Task.Delay(300, Ct);

        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("pending", Text(await h.GetAsync(id, h.Agent, "30s"), "status"));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
        Assert.False(holding.IsCompleted);
        await h.ApproveAsync(id);
        Assert.Equal("approved", Text(await holding.WaitAsync(TimeSpan.FromSeconds(10), Ct), "status"));
    }

    [Fact]
    public async Task Queues_SetByAdminsWithABoundedExpiry()
    {
        await using var h = await StartAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await h.Approver.PutAsJsonAsync("/api/v1/approvals/queues/finance", new { expiry = "30m" }, Ct)).StatusCode);
        var tooLong = await h.Admin.PutAsJsonAsync("/api/v1/approvals/queues/finance", new { expiry = "8d" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("expiry", await tooLong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Admin.PutAsJsonAsync("/api/v1/approvals/queues/finance", new { expiry = "59s" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Admin.PutAsJsonAsync("/api/v1/approvals/queues/finance", new { expiry = "7d" }, Ct)).StatusCode);
        var cleared = await h.Admin.PutAsJsonAsync("/api/v1/approvals/queues/finance", new { expiry = (string?)null }, Ct);
        Assert.Equal(JsonValueKind.Null, (await cleared.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("expiry").ValueKind);
        Assert.Equal(2, (await h.AuditAsync("approval.queue.set")).GetArrayLength());
    }
}
