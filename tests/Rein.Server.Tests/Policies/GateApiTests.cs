using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Rein.Server.Policies;
using Rein.Server.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Policies;

/// <summary>The gate through HTTP against a real host, on SQLite and on PostgreSQL.</summary>
public abstract class GateApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<string?> DatabaseAsync();

    private async Task<GateHarness> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var h = await GateHarness.StartAsync(await DatabaseAsync(), settings);
        await h.PushAsync(GatePolicies.Support);
        return h;
    }

    private static object Call(string tool, object? args = null, string? run = null, string agent = "support-bot-eu", string? principal = null) =>
        new { agent, tool, args, runId = run, principal = principal is null ? null : new { id = principal } };

    [Fact]
    public async Task Gate_AllowedLookup_AnswersAllowWithThePolicyVersionAndHash()
    {
        await using var h = await StartAsync();
        var decision = await h.GateAsync(Call("crm.get_customer", new { id = 7 }));
        Assert.Equal("allow", decision.GetProperty("effect").GetString());
        Assert.Equal("support-bot", decision.GetProperty("policy").GetProperty("name").GetString());
        Assert.Equal(1, decision.GetProperty("policy").GetProperty("version").GetInt32());
        Assert.StartsWith("sha256:", decision.GetProperty("policy").GetProperty("hash").GetString(), StringComparison.Ordinal);
        Assert.Equal("enforce", decision.GetProperty("mode").GetString());
        Assert.Equal("lookups", decision.GetProperty("reasons")[0].GetProperty("rule").GetString());
        Assert.StartsWith("dec_", decision.GetProperty("decisionId").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_LargeRefund_RequiresApprovalWithRouteMessageAndArgumentsHash()
    {
        await using var h = await StartAsync();
        var small = await h.GateAsync(Call("payments.refund", new { amount = 20 }));
        Assert.Equal("allow", small.GetProperty("effect").GetString());

        var big = await h.GateAsync(Call("payments.refund", new { amount = 500, currency = "EUR" }));
        Assert.Equal("require_approval", big.GetProperty("effect").GetString());
        Assert.Equal("finance", big.GetProperty("approval").GetProperty("route").GetString());
        Assert.Contains("refund of 500 needs finance", big.GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("message").GetString()));
        var hash = big.GetProperty("approval").GetProperty("argsHash").GetString();

        // The same arguments in another key order are the same call.
        var again = await h.GateAsync(new { agent = "support-bot-eu", tool = "payments.refund", args = JsonDocument.Parse("""{"currency":"EUR","amount":500}""").RootElement });
        Assert.Equal(hash, again.GetProperty("approval").GetProperty("argsHash").GetString());
    }

    [Fact]
    public async Task Gate_UnknownToolUnderDefaultDeny_Denies()
    {
        await using var h = await StartAsync();
        var decision = await h.GateAsync(Call("db.drop_table"));
        Assert.Equal("deny", decision.GetProperty("effect").GetString());
        Assert.Equal("default", decision.GetProperty("reasons")[0].GetProperty("rule").GetString());
    }

    [Fact]
    public async Task Gate_AgentNoPolicyBinds_DeniesFailClosed()
    {
        await using var h = await StartAsync();
        var decision = await h.GateAsync(Call("crm.get_customer", agent: "unknown-agent"));
        Assert.Equal("deny", decision.GetProperty("effect").GetString());
        Assert.Equal("no_policy", decision.GetProperty("reasons")[0].GetProperty("rule").GetString());
        Assert.Equal(JsonValueKind.Null, decision.GetProperty("policy").ValueKind);
    }

    [Fact]
    public async Task Gate_KillSwitchOnTool_DeniesBeforeAnyPolicyUntilRemoved()
    {
        await using var h = await StartAsync();
        await h.KillAsync("tool", "crm.get_customer");
        var killed = await h.GateAsync(Call("crm.get_customer"));
        Assert.Equal("deny", killed.GetProperty("effect").GetString());
        Assert.Equal("kill.tool", killed.GetProperty("reasons")[0].GetProperty("rule").GetString());
        Assert.Equal("allow", await h.EffectAsync(Call("kb.search")));

        await h.UnkillAsync("tool", "crm.get_customer");
        Assert.Equal("allow", await h.EffectAsync(Call("crm.get_customer")));

        await h.KillAsync("agent", "support-bot-eu");
        Assert.Equal("deny", await h.EffectAsync(Call("kb.search")));
        Assert.Equal("allow", await h.EffectAsync(Call("kb.search", agent: "support-bot-us")));
    }

    [Fact]
    public async Task Gate_MaxStepsBudget_GivesOnExceedFromTheStepPastTheBudget()
    {
        await using var h = await StartAsync();
        var run = Guid.NewGuid().ToString("N");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("allow", await h.EffectAsync(Call("kb.search", new { q = i }, run)));
        }

        var sixth = await h.GateAsync(Call("kb.search", new { q = 6 }, run));
        Assert.Equal("require_approval", sixth.GetProperty("effect").GetString());
        Assert.Contains(sixth.GetProperty("reasons").EnumerateArray(), r => r.GetProperty("rule").GetString() == "budget.max_steps");
        // Another run has its own budget.
        Assert.Equal("allow", await h.EffectAsync(Call("kb.search", new { q = 1 }, Guid.NewGuid().ToString("N"))));
    }

    [Fact]
    public async Task Gate_SameCallRepeated_LoopDetectedByIdenticalCallsBudget()
    {
        await using var h = await StartAsync();
        var run = "run-" + Guid.NewGuid().ToString("N");
        Assert.Equal("allow", await h.EffectAsync(Call("kb.search", new { q = "x", n = 1 }, run)));
        Assert.Equal("allow", await h.EffectAsync(Call("kb.search", new { n = 1, q = "x" }, run)));
        var third = await h.GateAsync(Call("kb.search", new { q = "x", n = 1 }, run));
        Assert.Equal("require_approval", third.GetProperty("effect").GetString());
        Assert.Contains(third.GetProperty("reasons").EnumerateArray(), r => r.GetProperty("rule").GetString() == "budget.max_identical_calls");
        Assert.Equal("allow", await h.EffectAsync(Call("kb.search", new { q = "y", n = 1 }, run)));
    }

    [Fact]
    public async Task Gate_SendAfterExportInTheSameRun_Denied()
    {
        await using var h = await StartAsync();
        var run = "run-" + Guid.NewGuid().ToString("N");
        Assert.Equal("allow", await h.EffectAsync(Call("email.send", new { to = "a@example.com" }, run)));
        Assert.Equal("allow", await h.EffectAsync(Call("crm.export", new { token = "t" }, run)));
        var send = await h.GateAsync(Call("email.send", new { to = "a@example.com" }, run));
        Assert.Equal("deny", send.GetProperty("effect").GetString());
        Assert.Equal("no sending after a bulk export", send.GetProperty("reasons")[0].GetProperty("rule").GetString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10000")]
    public async Task Gate_RunLongerThanMaxRecordedCalls_ForgetsItsOldestCallsAndKeepsItsRowsBounded(string runCacheSize)
    {
        await using var h = await GateHarness.StartAsync(await DatabaseAsync(), new Dictionary<string, string?>
        {
            ["Gate:MaxRecordedCalls"] = "2",
            ["Gate:RunCacheSize"] = runCacheSize,
        });
        await h.PushAsync("""
            name: long-runner
            agents: ["long-runner"]
            default: allow
            rules:
              - name: no sending after a bulk export
                tools: ["email.send"]
                when: run.called('crm.export')
                effect: deny
            """);
        var run = "run-" + Guid.NewGuid().ToString("N");
        object Step(string tool) => Call(tool, new { n = 1 }, run, agent: "long-runner");

        Assert.Equal("allow", await h.EffectAsync(Step("crm.export")));
        Assert.Equal("deny", await h.EffectAsync(Step("email.send")));
        Assert.Equal("allow", await h.EffectAsync(Step("kb.search")));
        Assert.Equal("allow", await h.EffectAsync(Step("kb.search")));
        // Only the last two calls are kept: the export has been forgotten.
        Assert.Equal("allow", await h.EffectAsync(Step("email.send")));

        for (var i = 0; i < 70; i++)
        {
            Assert.Equal("allow", await h.EffectAsync(Step("kb.search")));
        }

        Assert.Equal("allow", await h.EffectAsync(Step("crm.export")));
        var send = await h.GateAsync(Step("email.send"));
        Assert.Equal("deny", send.GetProperty("effect").GetString());
        Assert.Equal(77, await StepsAsync(h, run));

        var database = h.Host.App.Services.GetRequiredService<ReinDatabase>();
        var rows = await database.ReadAsync(c => c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM gate_run_calls WHERE run_id = @run", new { run }), Ct);
        Assert.InRange(rows, 2, 2 + GateWriter.TrimEvery);
        Assert.True(rows < 77, $"{rows} call rows kept for a run of 77 steps with Gate:MaxRecordedCalls 2");
    }

    private static async Task<long> StepsAsync(GateHarness h, string run) =>
        await h.Host.App.Services.GetRequiredService<ReinDatabase>().ReadAsync(c => c.ExecuteScalarAsync<long>(
            "SELECT steps FROM gate_runs WHERE run_id = @run", new { run }), Ct);

    [Fact]
    public async Task Gate_RateLimitObligation_DeniesCallsOverTheLimitPerKey()
    {
        await using var h = await StartAsync();
        Assert.Equal("allow", await h.EffectAsync(Call("web.search", principal: "u1")));
        Assert.Equal("allow", await h.EffectAsync(Call("web.search", principal: "u1")));
        var third = await h.GateAsync(Call("web.search", principal: "u1"));
        Assert.Equal("deny", third.GetProperty("effect").GetString());
        Assert.StartsWith("rate_limit.", third.GetProperty("reasons")[0].GetProperty("rule").GetString(), StringComparison.Ordinal);
        Assert.Equal("allow", await h.EffectAsync(Call("web.search", principal: "u2")));
    }

    [Fact]
    public async Task Gate_RedactObligationAndSecrets_NeverStoredInTheDecisionLog()
    {
        await using var h = await StartAsync();
        var token = "tok-" + Guid.NewGuid().ToString("N");
        var awsKey = "AKIA" + "QWERTYUIOPASDFGH";
        var decision = await h.GateAsync(new { agent = "support-bot-eu", tool = "crm.export", args = new { token, note = "key " + awsKey, keep = "visible-marker" } });
        Assert.Equal(["args.token"], decision.GetProperty("obligations").GetProperty("redact").EnumerateArray().Select(e => e.GetString()));

        var id = decision.GetProperty("decisionId").GetString();
        var stored = await h.Viewer.GetStringAsync($"/api/v1/decisions/{id}", Ct);
        Assert.Contains("visible-marker", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(awsKey, stored, StringComparison.Ordinal);
        Assert.Contains("[REDACTED]", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_AuditAndWarnPolicies_RecordedBesideTheEnforcedDecisionNeverEnforced()
    {
        await using var h = await StartAsync();
        await h.PushAsync("""
            name: shadow-strict
            agents: ["support-bot*"]
            mode: audit
            default: deny
            rules: []
            """);
        var decision = await h.GateAsync(Call("kb.search"));
        Assert.Equal("allow", decision.GetProperty("effect").GetString());
        var shadow = Assert.Single(decision.GetProperty("shadow").EnumerateArray());
        Assert.Equal("shadow-strict", shadow.GetProperty("policy").GetString());
        Assert.Equal("deny", shadow.GetProperty("effect").GetString());

        await h.PushAsync("""
            name: warn-only
            agents: ["warned-agent"]
            mode: warn
            default: deny
            rules: []
            """);
        var warned = await h.GateAsync(Call("anything", agent: "warned-agent"));
        Assert.Equal("allow", warned.GetProperty("effect").GetString());
        Assert.Equal("warn", warned.GetProperty("mode").GetString());
        Assert.Equal("deny", Assert.Single(warned.GetProperty("shadow").EnumerateArray()).GetProperty("effect").GetString());
    }

    [Fact]
    public async Task Gate_NewVersionActivatedThenRolledBack_DecidesByEachOnTheNextCall()
    {
        await using var h = await StartAsync();
        Assert.Equal("allow", await h.EffectAsync(Call("kb.search")));
        var v2 = await h.PushAsync(GatePolicies.Support.Replace("tools: [\"crm.get_*\", \"kb.search\"]", "tools: [\"crm.get_*\"]", StringComparison.Ordinal));
        Assert.Equal(2, v2);
        var denied = await h.GateAsync(Call("kb.search"));
        Assert.Equal("deny", denied.GetProperty("effect").GetString());
        Assert.Equal(2, denied.GetProperty("policy").GetProperty("version").GetInt32());

        (await h.Admin.PostAsync("/api/v1/policies/support-bot/rollback", null, Ct)).EnsureSuccessStatusCode();
        var back = await h.GateAsync(Call("kb.search"));
        Assert.Equal("allow", back.GetProperty("effect").GetString());
        Assert.Equal(1, back.GetProperty("policy").GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Decisions_FilteredByEffectAgentToolAndRule_AndPaged()
    {
        await using var h = await StartAsync();
        await h.GateAsync(Call("kb.search"));
        await h.GateAsync(Call("db.drop_table"));
        await h.GateAsync(Call("payments.refund", new { amount = 900 }));
        await h.GateAsync(Call("kb.search", agent: "support-bot-us"));

        Assert.Equal(4, (await h.DecisionsAsync()).GetProperty("items").GetArrayLength());
        var denied = (await h.DecisionsAsync("?effect=deny")).GetProperty("items");
        Assert.Equal("db.drop_table", Assert.Single(denied.EnumerateArray()).GetProperty("tool").GetString());
        Assert.Single((await h.DecisionsAsync("?agent=support-bot-us")).GetProperty("items").EnumerateArray());
        Assert.Equal(2, (await h.DecisionsAsync("?tool=kb.search")).GetProperty("items").GetArrayLength());
        var byRule = (await h.DecisionsAsync("?rule=large%20refunds%20go%20to%20finance")).GetProperty("items");
        Assert.Equal("require_approval", Assert.Single(byRule.EnumerateArray()).GetProperty("effect").GetString());

        var first = await h.DecisionsAsync("?limit=3");
        Assert.Equal(3, first.GetProperty("items").GetArrayLength());
        var next = first.GetProperty("next").GetString();
        var second = await h.DecisionsAsync("?limit=3&cursor=" + next);
        Assert.Equal("kb.search", Assert.Single(second.GetProperty("items").EnumerateArray()).GetProperty("tool").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task Backtest_CandidateDenyingSearch_ReportsChangedDecisionsByRuleAndTool()
    {
        await using var h = await StartAsync();
        await h.GateAsync(Call("kb.search"));
        await h.GateAsync(Call("kb.search", new { q = 2 }));
        await h.GateAsync(Call("crm.get_customer"));
        var candidate = await h.PushAsync(GatePolicies.Support.Replace("tools: [\"crm.get_*\", \"kb.search\"]", "tools: [\"crm.get_*\"]", StringComparison.Ordinal), activate: false);

        var response = await h.Admin.PostAsJsonAsync("/api/v1/policies/support-bot/backtest", new { version = candidate }, Ct);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.IsSuccessStatusCode, report.ToString());
        Assert.Equal(3, report.GetProperty("considered").GetInt32());
        Assert.Equal(2, report.GetProperty("changed").GetInt32());
        Assert.Equal("kb.search", report.GetProperty("byTool")[0].GetProperty("tool").GetString());
        Assert.Equal("default", report.GetProperty("byRule")[0].GetProperty("rule").GetString());
        Assert.Equal("allow", report.GetProperty("byChange")[0].GetProperty("from").GetString());
        Assert.Equal("deny", report.GetProperty("byChange")[0].GetProperty("to").GetString());
        Assert.Equal(2, report.GetProperty("examples").GetArrayLength());
    }

    [Fact]
    public async Task Gate_WithTraceparent_WritesTheDecisionAsAChildSpanOfTheCaller()
    {
        await using var h = await StartAsync();
        var trace = Guid.NewGuid().ToString("N");
        var parent = Guid.NewGuid().ToString("N")[..16];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/gate") { Content = JsonContent.Create(Call("payments.refund", new { amount = 900 })) };
        request.Headers.Add("traceparent", $"00-{trace}-{parent}-01");
        var response = await h.Agent.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("decisionId").GetString();

        JsonElement? span = null;
        for (var i = 0; i < 100 && span is null; i++)
        {
            var run = await h.Viewer.GetAsync($"/api/v1/runs/{trace}", Ct);
            if (run.StatusCode == HttpStatusCode.OK)
            {
                span = (await run.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("spans").EnumerateArray().FirstOrDefault();
            }
            else
            {
                await Task.Delay(50, Ct);
            }
        }

        Assert.NotNull(span);
        Assert.Equal("rein.gate payments.refund", span.Value.GetProperty("name").GetString());
        Assert.Equal(parent, span.Value.GetProperty("parentSpanId").GetString());
        var attributes = span.Value.GetProperty("attributes");
        Assert.Equal("require_approval", attributes.GetProperty("rein.decision.effect").GetString());
        Assert.Equal(id, attributes.GetProperty("rein.decision.id").GetString());
        Assert.Equal("support-bot", attributes.GetProperty("rein.policy.name").GetString());
        Assert.Equal(1, attributes.GetProperty("rein.policy.version").GetInt32());
    }

    [Fact]
    public async Task Gate_DenialNamingARunThatHasEnded_KeepsTheRunsNameStatusAndDurationAndCountsAViolationNotAnError()
    {
        await using var h = await StartAsync();
        var trace = new OtlpTrace("support-bot-eu", DateTimeOffset.UtcNow.AddSeconds(-5));
        trace.Root("support-bot-eu", durationMs: 2);
        await trace.SendAsync(h.Agent);
        await trace.WaitForRunAsync(h.Viewer, "success");

        Assert.Equal("deny", await h.EffectAsync(Call("payments.wire", run: trace.TraceId)));
        var run = (await RunOnceItHasAsync(h, trace.TraceId, spans: 2)).GetProperty("run");

        Assert.Equal("invoke_agent support-bot-eu", run.GetProperty("name").GetString());
        Assert.Equal("success", run.GetProperty("status").GetString());
        Assert.Equal(2, run.GetProperty("durationMs").GetDouble());
        Assert.Equal(0, run.GetProperty("errors").GetInt32());
        Assert.Equal(1, run.GetProperty("violations").GetInt32());
    }

    [Fact]
    public async Task Gate_CallsInTheMillisecondTheirParentStarted_DecisionSpansStartAtTheCallsInOrderAfterTheParent()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).AddSeconds(-10));
        await using var h = await GateHarness.StartAsync(await DatabaseAsync(), time: clock);
        await h.PushAsync(GatePolicies.Support);
        var trace = new OtlpTrace("support-bot-eu", clock.GetUtcNow());
        // The agent's span starts 500 µs into a millisecond; the gate is asked 200 µs later, and again 100 µs after that.
        var parent = trace.Span("execute_tool payments.refund", startMs: 0.5, durationMs: 1);
        await trace.SendAsync(h.Agent);
        clock.Advance(TimeSpan.FromMicroseconds(700));
        await GateUnderAsync(h, trace.TraceId, parent, Call("kb.search"));
        clock.Advance(TimeSpan.FromMicroseconds(100));
        await GateUnderAsync(h, trace.TraceId, parent, Call("crm.get_customer"));

        var spans = (await RunOnceItHasAsync(h, trace.TraceId, spans: 3)).GetProperty("spans").EnumerateArray().ToList();

        var t0 = trace.Start.ToUnixTimeMilliseconds() * 1_000_000;
        Assert.Equal(["execute_tool payments.refund", "rein.gate kb.search", "rein.gate crm.get_customer"], spans.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal([t0 + 500_000, t0 + 700_000, t0 + 800_000], spans.Select(s => long.Parse(s.GetProperty("startUnixNano").GetString()!, CultureInfo.InvariantCulture)));
    }

    private static async Task GateUnderAsync(GateHarness h, string trace, string parentSpanId, object call)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/gate") { Content = JsonContent.Create(call) };
        request.Headers.Add("traceparent", $"00-{trace}-{parentSpanId}-01");
        using var response = await h.Agent.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Decision spans are written after the answer, through trace ingest: waits until the run holds them.</summary>
    private static async Task<JsonElement> RunOnceItHasAsync(GateHarness h, string trace, int spans)
    {
        var last = "";
        for (var i = 0; i < 200; i++)
        {
            using var response = await h.Viewer.GetAsync($"/api/v1/runs/{trace}", Ct);
            last = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                using var detail = JsonDocument.Parse(last);
                // The run's summary, not the span list: the answer reads the two one after the other.
                if (detail.RootElement.GetProperty("run").GetProperty("spans").GetInt32() >= spans && detail.RootElement.GetProperty("spans").GetArrayLength() >= spans)
                {
                    return detail.RootElement.Clone();
                }
            }

            await Task.Delay(50, Ct);
        }

        throw new Xunit.Sdk.XunitException($"run {trace} never held {spans} spans; last answer: {last}");
    }

    [Theory]
    [InlineData("""{"agent":"support-bot-eu"}""", "tool")]
    [InlineData("""{"agent":"support-bot-eu","tool":"kb.search","args":[1,2]}""", "args")]
    [InlineData("""{"agent":"support-bot-eu","tool":"kb.search","argz":{}}""", "argz")]
    [InlineData("""{"agent":"support-bot-eu","tool":"kb.search","args":{"a":""", "body")]
    [InlineData("""{"agent":"support-bot-eu","tool":"kb.search","traceparent":"00-zz-01"}""", "traceparent")]
    [InlineData("""{"agent":"","tool":"kb.search"}""", "agent")]
    [InlineData("""{"actAs":"","tool":"kb.search"}""", "actAs")]
    public async Task Gate_MalformedRequest_Answers400NamingTheField(string body, string field)
    {
        await using var h = await StartAsync();
        var response = await h.Agent.PostAsync("/api/v1/gate", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, text, StringComparison.Ordinal);
        Assert.Equal(0, (await h.DecisionsAsync()).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Gate_MaxRequestBytes_LargerBodyAnswered413()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Gate:MaxRequestBytes"] = "2048" });
        var ok = await h.Agent.PostAsJsonAsync("/api/v1/gate", Call("kb.search", new { q = new string('a', 1500) }), Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var big = await h.Agent.PostAsJsonAsync("/api/v1/gate", Call("kb.search", new { q = new string('a', 3000) }), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Contains("Gate:MaxRequestBytes", await big.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_MaxJsonDepth_DeeperArgumentsAnswered400()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Gate:MaxJsonDepth"] = "8" });
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 10)) + "1" + new string('}', 10);
        var response = await h.Agent.PostAsync("/api/v1/gate", new StringContent($$"""{"agent":"support-bot","tool":"t","args":{{deep}}}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Gate_NotJson_Answered415()
    {
        await using var h = await StartAsync();
        var response = await h.Agent.PostAsync("/api/v1/gate", new StringContent("agent=x", Encoding.UTF8, "text/plain"), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task GateAndDecisions_ByRole_ViewerCannotAskAgentCannotRead()
    {
        await using var h = await StartAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await h.Viewer.PostAsJsonAsync("/api/v1/gate", Call("kb.search"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await h.Agent.GetAsync("/api/v1/decisions", Ct)).StatusCode);
        using var anonymous = h.Host.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/gate", Call("kb.search"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Admin.PostAsJsonAsync("/api/v1/gate", new { actAs = "support-bot-eu", tool = "kb.search" }, Ct)).StatusCode);
    }
}

public sealed class SqliteGateApiTests : GateApiTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresGateApiTests(PostgresCluster cluster) : GateApiTests
{
    protected override async Task<string?> DatabaseAsync() => await cluster.CreateDatabaseAsync();
}
