using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Rein.Testing;
using static Microsoft.Playwright.Assertions;

namespace Rein.EndToEnd.Tests.Dashboard;

/// <summary>
/// The approvals inbox and a request's page against requests opened by the real gate, decided in the browser, with
/// the waiting agent, the webhook and the export checked through the API. The server is shared by the collection, so
/// every test routes its requests to queues of its own.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ApprovalsPageTests(DashboardFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Refunds over 100 go to <paramref name="queue"/>; wipes are critical, exports medium, in the same queue.</summary>
    private static string Policy(string agent, string queue) => $$"""
        name: {{Unique("approvals")}}
        agents: ["{{agent}}"]
        default: deny
        rules:
          - name: lookups
            tools: [crm.lookup]
            effect: allow
          - name: small refunds
            tools: [payments.refund]
            when: args.amount <= 100
            effect: allow
          - name: large refunds
            tools: [payments.refund]
            when: args.amount > 100
            effect: require_approval
            route: {{queue}}
            severity: high
            message: "'refund of ' + string(args.amount) + ' ' + args.currency + ' needs finance'"
          - name: wipes
            tools: [db.wipe]
            effect: require_approval
            route: {{queue}}
            severity: critical
          - name: exports
            tools: [data.export]
            effect: require_approval
            route: {{queue}}
            severity: medium
        """;

    [Fact]
    public async Task DoneWhen_OperatorGetsTheWebhook_LowersTheAmountInTheDashboard_AgentPerformsExactlyThatOnce_ExportHoldsIt()
    {
        var queue = Unique("finance");
        var agent = Unique("refund-bot");
        await fixture.PushPolicyAsync(Policy(agent, queue), activate: true);
        await using var receiver = await WebhookReceiver.StartAsync();
        const string Secret = "a-shared-secret-of-the-finance-channel";
        using var admin = fixture.Server.CreateClient();
        using (var set = await admin.PutAsJsonAsync($"/api/v1/approvals/queues/{queue}/webhook", new { url = receiver.At("/finance"), secret = Secret }, Ct))
        {
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync(Ct));
        }

        var approverName = Unique("alice");
        var approverKey = await CreateApproverAsync(approverName, [queue]);
        var (_, agentKey) = await fixture.CreateKeyAsync(agent, "agent"); // an agent key acts as its name
        using var agentHttp = fixture.Server.CreateClient(agentKey);

        // The run so far: a lookup and a model call, sent as OTLP before the agent asks.
        var trace = new OtlpTrace(agent, DateTimeOffset.UtcNow.AddSeconds(-30));
        var root = trace.Root(agent, durationMs: 20_000);
        trace.Tool(root, "crm.lookup", startMs: 100, durationMs: 40);
        trace.Chat(root, startMs: 200, durationMs: 900);
        await trace.SendAsync(agentHttp);
        await trace.WaitForRunAsync(admin);

        var proposed = new { amount = 500, currency = "EUR", order = "A-1001" };
        var decision = await GateAsync(agentHttp, agent, trace.TraceId, proposed, traceparent: $"00-{trace.TraceId}-{root}-01");
        Assert.Equal("require_approval", decision.GetProperty("effect").GetString());
        var id = decision.GetProperty("approval").GetProperty("requestId").GetString()!;
        var waiting = agentHttp.GetFromJsonAsync<JsonElement>($"/api/v1/approvals/{id}?wait=60s", Ct);

        // The operator gets the webhook, signed with the queue's secret, linking to the request's page.
        var hook = (await receiver.WaitForAsync(1))[0];
        var timestamp = hook.Header("X-Rein-Timestamp");
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(timestamp + "." + hook.Body)));
        Assert.Equal(expected, hook.Header("X-Rein-Signature"));
        var link = JsonDocument.Parse(hook.Body).RootElement.GetProperty("approval").GetProperty("url").GetString()!;
        Assert.Equal(fixture.Url($"/approvals/{id}"), link);

        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(approverKey);
        var page = browser.Page;
        await page.GotoAsync(link);

        // Why it was asked and what the run did before.
        await Expect(page.Locator("#request-heading")).ToContainTextAsync($"payments.refund by {agent}");
        await Expect(page.Locator("#request-heading .severity")).ToHaveTextAsync("high");
        await Expect(page.Locator("#request-status")).ToContainTextAsync("pending");
        await Expect(page.Locator("#request-rule")).ToHaveTextAsync("large refunds");
        await Expect(page.Locator("#request-message")).ToHaveTextAsync("refund of 500 EUR needs finance");
        await Expect(page.Locator("#request-reason")).ToHaveTextAsync("the customer was charged twice");
        await Expect(page.Locator("#run-steps-table")).ToContainTextAsync("execute_tool crm.lookup");
        await Expect(page.Locator("#run-steps-table")).ToContainTextAsync("chat");
        await Expect(page.Locator("#request-run-link")).ToHaveAttributeAsync("href", $"/traces/runs/{trace.TraceId}");
        await Expect(page.Locator("#request-proposed")).ToContainTextAsync("\"amount\": 500");

        // Lower the amount and approve, with a note.
        var args = await page.Locator("#decide-args").InputValueAsync();
        await page.Locator("#decide-args").FillAsync(args.Replace("500", "120", StringComparison.Ordinal));
        await page.Locator("#decide-note").FillAsync("only the duplicate charge");
        await page.Locator("#approve").ClickAsync();

        await Expect(page.Locator("#request-notice")).ToContainTextAsync("Approved with the changed arguments");
        await Expect(page.Locator("#request-status")).ToHaveTextAsync("approved, modified");
        await Expect(page.Locator("#request-decided")).ToContainTextAsync("by " + approverName);
        await Expect(page.Locator("#request-note")).ToHaveTextAsync("only the duplicate charge");
        await Expect(page.Locator("#request-approved")).ToContainTextAsync("\"amount\": 120");
        await Expect(page.Locator("#decide-form")).ToHaveCountAsync(0);

        // The waiting agent resumes with a token bound to the lowered refund.
        var answer = await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(("approved", "modified"), (answer.GetProperty("status").GetString(), answer.GetProperty("outcome").GetString()));
        var approvedArgs = answer.GetProperty("approvedArgs");
        Assert.Equal(120, approvedArgs.GetProperty("amount").GetInt32());
        var token = answer.GetProperty("token").GetString()!;

        // Exactly the approved refund, once: not the original, not twice.
        var original = await GateAsync(agentHttp, agent, trace.TraceId, proposed, token: token);
        Assert.Equal("deny", original.GetProperty("effect").GetString());
        var performed = await GateAsync(agentHttp, agent, trace.TraceId, approvedArgs, token: token);
        Assert.Equal("allow", performed.GetProperty("effect").GetString());
        var replay = await GateAsync(agentHttp, agent, trace.TraceId, approvedArgs, token: token);
        Assert.Equal("deny", replay.GetProperty("effect").GetString());

        // The exported dataset holds the decision.
        var export = await admin.GetStringAsync("/api/v1/approvals/export?since=1h&format=jsonl", Ct);
        var record = export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(r => r.GetProperty("requestId").GetString() == id);
        Assert.Equal("modified", record.GetProperty("outcome").GetString());
        Assert.Equal(approverName, record.GetProperty("decidedBy").GetString());
        Assert.Equal(500, record.GetProperty("proposedArgs").GetProperty("amount").GetInt32());
        Assert.Equal(120, record.GetProperty("approvedArgs").GetProperty("amount").GetInt32());
        Assert.Equal(["$.amount"], record.GetProperty("changedFields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("only the duplicate charge", record.GetProperty("note").GetString());

        // The inbox no longer holds it among the pending.
        await page.GotoAsync($"/approvals?queue={queue}");
        await Expect(page.Locator("#requests-none")).ToHaveTextAsync("Nothing is waiting for a decision.");
        Assert.DoesNotContain(browser.ConsoleMessages, m => m.StartsWith("error", StringComparison.Ordinal) || m.StartsWith("pageerror", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Inbox_MostSevereFirstThenOldest_ReadersCannotDecide_OthersQueuesRefused_RejectWithNote()
    {
        var queue = Unique("ops");
        var agent = Unique("ops-bot");
        await fixture.PushPolicyAsync(Policy(agent, queue), activate: true);
        var (_, agentKey) = await fixture.CreateKeyAsync(agent, "agent"); // an agent key acts as its name
        using var agentHttp = fixture.Server.CreateClient(agentKey);
        var medium = await OpenAsync(agentHttp, agent, "data.export");
        var highOlder = await OpenAsync(agentHttp, agent, "payments.refund", 300);
        var critical = await OpenAsync(agentHttp, agent, "db.wipe");
        var highNewer = await OpenAsync(agentHttp, agent, "payments.refund", 400);

        var (_, viewerKey) = await fixture.CreateKeyAsync(Unique("viewer"), "viewer");
        await using (var viewer = await fixture.OpenAsync())
        {
            await viewer.SignInAsync(viewerKey);
            var page = viewer.Page;
            await page.GetByRole(AriaRole.Link, new() { Name = "Approvals", Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Approvals", Level = 1 })).ToBeVisibleAsync();
            var tab = page.Locator($"#queue-tabs a[data-queue='{queue}']");
            await Expect(tab.Locator(".queue-count")).ToHaveTextAsync("4");
            await tab.ClickAsync();
            await Expect(page).ToHaveURLAsync(fixture.Url($"/approvals?queue={queue}"));

            var rows = page.Locator("#requests-table tbody tr");
            await Expect(rows).ToHaveCountAsync(4);
            Assert.Equal([critical, highOlder, highNewer, medium], await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.requestId)"));
            await Expect(rows.Nth(0).Locator(".request-severity")).ToHaveTextAsync("critical");
            await Expect(rows.Nth(1).Locator(".request-why")).ToHaveTextAsync("refund of 300 EUR needs finance");
            await Expect(page.Locator("#may-decide")).ToContainTextAsync("may read requests but not decide them");

            await rows.Nth(1).Locator(".request-age a").ClickAsync();
            await Expect(page).ToHaveURLAsync(fixture.Url($"/approvals/{highOlder}"));
            await Expect(page.Locator("#cannot-decide")).ToContainTextAsync("deciding needs the approver or admin role");
            await Expect(page.Locator("#decide-form")).ToHaveCountAsync(0);
        }

        var otherQueue = await CreateApproverAsync(Unique("bob"), [Unique("elsewhere")]);
        await using (var other = await fixture.OpenAsync())
        {
            await other.SignInAsync(otherQueue);
            await other.Page.GotoAsync($"/approvals/{highOlder}");
            await Expect(other.Page.Locator("#cannot-decide")).ToContainTextAsync($"may not decide requests in queue {queue}");
            await Expect(other.Page.Locator("#decide-form")).ToHaveCountAsync(0);
        }

        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var admin = browser.Page;
        await admin.GotoAsync($"/approvals/{highOlder}");

        // Arguments that are not JSON are refused beside the field, the note kept, nothing decided.
        await admin.Locator("#decide-args").FillAsync("{\"amount\": 80,");
        await admin.Locator("#decide-note").FillAsync("a note that must survive");
        await admin.Locator("#approve").ClickAsync();
        await Expect(admin.Locator("#decide-args-error")).ToContainTextAsync("are not a JSON object (line");
        await Expect(admin.Locator("#decide-note")).ToHaveValueAsync("a note that must survive");
        await Expect(admin.Locator("#request-status")).ToContainTextAsync("pending");
        Assert.Equal("pending", await StatusAsync(highOlder));

        await admin.Locator("#decide-note").FillAsync("not a duplicate charge");
        await admin.Locator("#reject").ClickAsync();
        await Expect(admin.Locator("#request-notice")).ToContainTextAsync("Rejected");
        await Expect(admin.Locator("#request-status")).ToHaveTextAsync("rejected");
        await Expect(admin.Locator("#request-note")).ToHaveTextAsync("not a duplicate charge");
        Assert.Equal("rejected", await StatusAsync(highOlder));

        // The inbox: three left; the rejected one under its status.
        await admin.GotoAsync($"/approvals?queue={queue}");
        await Expect(admin.Locator("#requests-table tbody tr")).ToHaveCountAsync(3);
        await Expect(admin.Locator($"#queue-tabs a[data-queue='{queue}'] .queue-count")).ToHaveTextAsync("3");
        await admin.Locator("#filter-status").SelectOptionAsync("rejected");
        await admin.Locator("#apply-filter").ClickAsync();
        await Expect(admin).ToHaveURLAsync(new Regex("status=rejected"));
        var rejected = admin.Locator("#requests-table tbody tr");
        await Expect(rejected).ToHaveCountAsync(1);
        await Expect(rejected.First).ToHaveAttributeAsync("data-request-id", highOlder);
        await Expect(rejected.First.Locator(".request-status")).ToHaveTextAsync("rejected");
    }

    [Fact]
    public async Task QueueLimitedApprover_LandsOnItsOwnQueue_AndTheNavigationCountsWhatItMayDecide()
    {
        var mine = Unique("finance");
        var others = Unique("ops");
        var mineAgent = Unique("fin-bot");
        var othersAgent = Unique("ops-bot");
        await fixture.PushPolicyAsync(Policy(mineAgent, mine), activate: true);
        await fixture.PushPolicyAsync(Policy(othersAgent, others), activate: true);
        var (_, mineKey) = await fixture.CreateKeyAsync(mineAgent, "agent");
        var (_, othersKey) = await fixture.CreateKeyAsync(othersAgent, "agent");
        using var mineHttp = fixture.Server.CreateClient(mineKey);
        using var othersHttp = fixture.Server.CreateClient(othersKey);
        // The other queue's request is the oldest and the most severe: "All queues" would show it first.
        var theirs = await OpenAsync(othersHttp, othersAgent, "db.wipe");
        string[] ours = [await OpenAsync(mineHttp, mineAgent, "payments.refund", 300), await OpenAsync(mineHttp, mineAgent, "data.export")];

        var approver = await CreateApproverAsync(Unique("fin"), [mine]);
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(approver);
        var page = browser.Page;
        await Expect(page.Locator("#nav-approvals-pending")).ToHaveTextAsync("2");
        await page.GetByRole(AriaRole.Link, new() { Name = "Approvals" }).ClickAsync();

        await Expect(page.Locator($"#queue-tabs a[data-queue='{mine}']")).ToHaveAttributeAsync("aria-current", "page");
        var rows = page.Locator("#requests-table tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        Assert.Equal(ours.Order(), (await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.requestId)")).Order());
        await Expect(page.Locator("#may-decide")).ToHaveTextAsync($"Your key may decide requests in the queue {mine}.");

        // Every queue is still a click away, and stays there when the status filter is applied.
        await page.Locator("#queue-tabs a[data-queue='']").ClickAsync();
        await Expect(page.Locator("#queue-tabs a[data-queue='']")).ToHaveAttributeAsync("aria-current", "page");
        await Expect(page.Locator($"#requests-table tbody tr[data-request-id='{theirs}']")).ToHaveCountAsync(1);
        await page.Locator("#apply-filter").ClickAsync();
        await Expect(page.Locator($"#requests-table tbody tr[data-request-id='{theirs}']")).ToHaveCountAsync(1);

        // Deciding one lowers the count on the next page.
        await page.GotoAsync($"/approvals/{ours[0]}");
        await page.Locator("#decide-note").FillAsync("fine");
        await page.Locator("#reject").ClickAsync();
        await Expect(page.Locator("#request-status")).ToHaveTextAsync("rejected");
        await Expect(page.Locator("#nav-approvals-pending")).ToHaveTextAsync("1");

        // A viewer decides nothing, so nothing waits for it.
        var (_, viewerKey) = await fixture.CreateKeyAsync(Unique("viewer"), "viewer");
        await using var viewer = await fixture.OpenAsync();
        await viewer.SignInAsync(viewerKey);
        await Expect(viewer.Page.Locator("#nav-approvals-pending")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Pages_BadStatusUnknownOrMalformedId_AnswerWithAMessageOr404_Never500()
    {
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;

        var bad = await page.GotoAsync("/approvals?status=maybe");
        Assert.Equal(400, bad!.Status);
        await Expect(page.Locator("#filter-status-error")).ToContainTextAsync("'maybe' is not a status");

        var badCursor = await page.GotoAsync("/approvals?cursor=nonsense");
        Assert.Equal(400, badCursor!.Status);
        await Expect(page.Locator("#requests-problem")).ToContainTextAsync("start again from the first page");

        Assert.Equal(404, (await page.GotoAsync("/approvals/apr_00000000000000000000000000"))!.Status);
        Assert.Equal(404, (await page.GotoAsync("/approvals/not-an-id"))!.Status);
    }

    private async Task<string> CreateApproverAsync(string name, string[] queues)
    {
        using var admin = fixture.Server.CreateClient();
        using var response = await admin.PostAsJsonAsync("/api/v1/keys", new { name, role = "approver", queues }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"key create answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;
    }

    private static async Task<string> OpenAsync(HttpClient agentHttp, string agent, string tool, int amount = 0)
    {
        var decision = await GateAsync(agentHttp, agent, Guid.NewGuid().ToString("N"), new { amount, currency = "EUR" }, tool: tool);
        Assert.Equal("require_approval", decision.GetProperty("effect").GetString());
        return decision.GetProperty("approval").GetProperty("requestId").GetString()!;
    }

    private static async Task<JsonElement> GateAsync(
        HttpClient agentHttp, string agent, string run, object args, string tool = "payments.refund", string? token = null, string? traceparent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/gate")
        {
            Content = JsonContent.Create(new
            {
                agent,
                tool,
                runId = run,
                args,
                context = new { reason = "the customer was charged twice", confidence = 0.8 },
                approvalToken = token,
            }),
        };
        if (traceparent is not null)
        {
            request.Headers.Add("traceparent", traceparent);
        }

        using var response = await agentHttp.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"gate answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<string> StatusAsync(string id)
    {
        using var admin = fixture.Server.CreateClient();
        return (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/approvals/{id}", Ct)).GetProperty("status").GetString()!;
    }
}
