using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rein.EndToEnd.Tests.Dashboard;

/// <summary>
/// The policy pages, kill switches and the decision log against policies pushed through the real API and decisions
/// made by the real gate. The server and its project are shared by the collection, so every test binds its policies
/// to an agent of its own and kills tools of its own.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed partial class PoliciesPageTests(DashboardFixture fixture)
{
    [GeneratedRegex("name=\"__rein_af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>The decision log's page size (DecisionsModel.PageSize) and its filter bound (DecisionsModel.MaxTextLength).</summary>
    private const int PageSize = 100;

    private const int MaxTextLength = 256;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A policy for one agent: lookups allowed, <paramref name="refund"/> for refunds, deny otherwise.</summary>
    private static string Source(string name, string agent, string refund = "deny", string extraRule = "") =>
        $$"""
        name: {{name}}
        description: dashboard test policy
        agents: ["{{agent}}"]
        default: deny
        rules:
          - name: lookups
            tools: ["crm.lookup"]
            effect: allow
          - name: refunds
            tools: ["payments.refund"]
            effect: {{refund}}
        {{extraRule}}
        tests:
          - name: lookups are allowed
            input: { agent: {{agent}}, tool: crm.lookup }
            expect: { effect: allow }
          - name: refunds are {{refund}}
            input: { agent: {{agent}}, tool: payments.refund }
            expect: { effect: {{refund}}, rule: refunds }
        """;

    [Fact]
    public async Task Policies_AfterPush_ListsPolicyAndVersionShowsSourceAndTests()
    {
        var name = Unique("listed");
        var agent = Unique("agent");
        await PushAsync(Source(name, agent), activate: true);
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;

        await page.GetByRole(AriaRole.Link, new() { Name = "Policies", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Policies", Level = 1 })).ToBeVisibleAsync();
        var row = page.Locator($"#policies-table tr[data-policy='{name}']");
        await Expect(row.Locator(".policy-active")).ToHaveTextAsync("1");
        await Expect(row.Locator(".policy-latest")).ToHaveTextAsync("1");
        await Expect(row.Locator(".policy-mode")).ToHaveTextAsync("enforce");
        await Expect(row.Locator(".policy-agents")).ToHaveTextAsync(agent);

        await row.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        await Expect(page).ToHaveURLAsync(fixture.Url($"/policies/{name}"));
        var version = page.Locator("#versions-table tr[data-version='1']");
        await Expect(version.Locator(".version-state")).ToHaveTextAsync("active");
        await Expect(version.Locator(".version-rules")).ToHaveTextAsync("2");
        await Expect(version.Locator(".version-tests")).ToHaveTextAsync("2");

        await version.GetByRole(AriaRole.Link, new() { Name = "Version 1 source" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(fixture.Url($"/policies/{name}/versions/1"));
        await Expect(page.Locator("#version-heading")).ToContainTextAsync($"{name} version 1");
        await Expect(page.Locator("#version-hash")).ToHaveTextAsync(new Regex("^sha256:[0-9a-f]{64}$"));
        await Expect(page.Locator("#L1 .code")).ToHaveTextAsync($"name: {name}");
        await Expect(page.Locator("#L1 .ln")).ToHaveTextAsync("1");
        await Expect(page.Locator("#source")).ToContainTextAsync("tools: [\"payments.refund\"]");
        await Expect(page.Locator("#version-tests")).ToHaveTextAsync("2 passed, 0 failed");
        var tests = page.Locator("#test-results li");
        await Expect(tests).ToHaveCountAsync(2);
        await Expect(page.Locator("#test-results li[data-test='refunds are deny'] .test-outcome")).ToHaveTextAsync("pass");
        // A test's line links to its place in the source.
        var line = await page.Locator("#test-results li[data-test='refunds are deny'] .test-line").GetAttributeAsync("href");
        await Expect(page.Locator($"{line} .code")).ToContainTextAsync("refunds are deny");
    }

    [Fact]
    public async Task ActivateAndRollback_ThroughButtons_GateDecidesByTheVersionShownActive()
    {
        var name = Unique("switched");
        var agent = Unique("agent");
        var (_, agentKey) = await fixture.CreateKeyAsync(agent, "agent"); // an agent key acts as its name
        await PushAsync(Source(name, agent, refund: "allow"), activate: true);
        await PushAsync(Source(name, agent, refund: "deny"), activate: true);
        Assert.Equal(("deny", 2), await GateAsync(agentKey, agent, "payments.refund"));
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;
        await page.GotoAsync($"/policies/{name}");
        await Expect(page.Locator("#versions-table tr[data-version='2'] .version-state")).ToHaveTextAsync("active");

        await page.GetByRole(AriaRole.Button, new() { Name = "Activate version 1" }).ClickAsync();

        await Expect(page.Locator("#policy-notice")).ToContainTextAsync("Version 1 is active");
        await Expect(page.Locator("#versions-table tr[data-version='1'] .version-state")).ToHaveTextAsync("active");
        await Expect(page.Locator("#versions-table tr[data-version='2'] .version-state")).ToHaveTextAsync("");
        Assert.Equal(("allow", 1), await GateAsync(agentKey, agent, "payments.refund"));
        await Expect(page.Locator("#activations-table tbody tr").First.Locator(".activation-action")).ToHaveTextAsync("activate");

        await page.Locator("#rollback").ClickAsync();

        await Expect(page.Locator("#policy-notice")).ToContainTextAsync("Rolled back: version 2 is active again");
        await Expect(page.Locator("#versions-table tr[data-version='2'] .version-state")).ToHaveTextAsync("active");
        Assert.Equal(("deny", 2), await GateAsync(agentKey, agent, "payments.refund"));
        await Expect(page.Locator("#activations-table tbody tr").First.Locator(".activation-action")).ToHaveTextAsync("rollback");
        Assert.Equal(2, browser.Dialogs.Count);
        using var http = fixture.Server.CreateClient();
        var detail = await http.GetFromJsonAsync<JsonElement>($"/api/v1/policies/{name}", Ct);
        Assert.Equal(2, detail.GetProperty("activeVersion").GetInt32());
    }

    [Fact]
    public async Task Activate_FromVersionPage_ReturnsToPolicyWithThatVersionActive()
    {
        var name = Unique("from-version");
        var agent = Unique("agent");
        await PushAsync(Source(name, agent, refund: "allow"), activate: true);
        await PushAsync(Source(name, agent, refund: "deny"), activate: true);
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;
        await page.GotoAsync($"/policies/{name}/versions/2");
        await Expect(page.Locator("#version-active")).ToHaveTextAsync("active");
        await Expect(page.Locator("#version-activate")).ToHaveCountAsync(0);
        await page.GotoAsync($"/policies/{name}/versions/1");

        await page.Locator("#version-activate").ClickAsync();

        await Expect(page).ToHaveURLAsync(fixture.Url($"/policies/{name}?activated=1"));
        await Expect(page.Locator("#policy-notice")).ToContainTextAsync("Version 1 is active");
        await Expect(page.Locator("#versions-table tr[data-version='1'] .version-state")).ToHaveTextAsync("active");
    }

    [Fact]
    public async Task Diff_ChosenVersions_ShowsAddedAndRemovedLinesWithMarkers()
    {
        var name = Unique("diffed");
        var agent = Unique("agent");
        await PushAsync(Source(name, agent, refund: "allow"));
        await PushAsync(Source(name, agent, refund: "deny", extraRule: "  - name: exports\n    tools: [\"crm.export\"]\n    effect: deny\n"));
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;
        await page.GotoAsync($"/policies/{name}");

        await page.Locator("#diff-from").SelectOptionAsync("1");
        await page.Locator("#diff-to").SelectOptionAsync("2");
        await page.Locator("#show-diff").ClickAsync();

        await Expect(page).ToHaveURLAsync(fixture.Url($"/policies/{name}/diff?from=1&to=2"));
        await Expect(page.Locator("#diff-heading")).ToHaveTextAsync($"{name}: version 1 → version 2");
        var removed = page.Locator("#diff-table tr.diff-removed");
        var added = page.Locator("#diff-table tr.diff-added");
        await Expect(removed.Locator(".code")).ToHaveTextAsync(["    effect: allow", "  - name: refunds are allow", "    expect: { effect: allow, rule: refunds }"]);
        await Expect(added.Locator(".code")).ToContainTextAsync(["    effect: deny", "  - name: exports", "    tools: [\"crm.export\"]"]);
        await Expect(removed.First.Locator(".diff-marker")).ToHaveTextAsync("-removed");
        await Expect(added.First.Locator(".diff-marker")).ToHaveTextAsync("+added");
        await Expect(page.Locator("#diff-summary")).ToContainTextAsync("3 lines removed");
        // A removed line has only an old number, an added one only a new number.
        await Expect(removed.First.Locator(".ln").First).Not.ToBeEmptyAsync();
        await Expect(removed.First.Locator(".ln").Last).ToBeEmptyAsync();
        await Expect(added.First.Locator(".ln").First).ToBeEmptyAsync();
    }

    [Fact]
    public async Task Diff_VersionThatDoesNotExist_ShowsTheServicesMessageNotAnError()
    {
        var name = Unique("missing");
        await PushAsync(Source(name, Unique("agent")));
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);

        var response = await browser.Page.GotoAsync($"/policies/{name}/diff?from=1&to=9");

        Assert.Equal(404, response!.Status);
        await Expect(browser.Page.Locator("#diff-error")).ToContainTextAsync($"policy {name} of project default has no version 9");
        await Expect(browser.Page.Locator("#diff-table")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task DecisionLog_FilterByEffect_ListsOnlyThoseAndDecisionShowsRuleAndVersion()
    {
        var name = Unique("logged");
        var agent = Unique("agent");
        var (_, agentKey) = await fixture.CreateKeyAsync(agent, "agent"); // an agent key acts as its name
        await PushAsync(Source(name, agent), activate: true);
        await GateAsync(agentKey, agent, "crm.lookup");
        await GateAsync(agentKey, agent, "payments.refund");
        await GateAsync(agentKey, agent, "crm.lookup");
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;
        await page.GotoAsync("/policies");

        await page.Locator("#decision-log-link").ClickAsync();
        await page.Locator("#filter-agent").FillAsync(agent);
        await page.Locator("#apply-filter").ClickAsync();
        var rows = page.Locator("#decisions-table tbody tr");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.Locator(".decision-tool")).ToHaveTextAsync(["crm.lookup", "payments.refund", "crm.lookup"]);

        await page.Locator("#filter-effect").SelectOptionAsync("deny");
        await page.Locator("#apply-filter").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("effect=deny"));
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First.Locator(".decision-effect")).ToHaveTextAsync("deny");
        await Expect(rows.First.Locator(".decision-rules")).ToHaveTextAsync("refunds");
        await Expect(page.Locator("#filter-agent")).ToHaveValueAsync(agent);

        await rows.First.Locator("td").First.GetByRole(AriaRole.Link).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("/decisions/dec_[0-9a-z]{26}$"));
        await Expect(page.Locator("#reasons-table .reason-rule")).ToHaveTextAsync("refunds");
        await Expect(page.Locator("#decision-policy-link")).ToHaveTextAsync($"{name} version 1");
        await Expect(page.Locator("#decision-mode")).ToHaveTextAsync("enforce");
        await Expect(page.Locator("#decision-agent")).ToHaveTextAsync(agent);
        await page.Locator("#decision-policy-link").ClickAsync();
        await Expect(page).ToHaveURLAsync(fixture.Url($"/policies/{name}/versions/1"));
    }

    [Fact]
    public async Task DecisionLog_MoreThanPageSize_OlderLinkShowsTheRest()
    {
        var name = Unique("paged");
        var agent = Unique("agent");
        var (_, agentKey) = await fixture.CreateKeyAsync(agent, "agent"); // an agent key acts as its name
        await PushAsync(Source(name, agent), activate: true);
        var count = PageSize + 5;
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => GateAsync(agentKey, agent, "crm.lookup")));
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;
        await page.GotoAsync($"/decisions?agent={agent}&since=1h");
        var rows = page.Locator("#decisions-table tbody tr");
        await Expect(rows).ToHaveCountAsync(PageSize);
        var first = await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.decisionId)");

        await page.Locator("#decisions-older-page").ClickAsync();

        await Expect(rows).ToHaveCountAsync(5);
        await Expect(page.Locator("#filter-since")).ToHaveValueAsync("1h");
        var second = await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.decisionId)");
        Assert.Equal(count, first.Concat(second).Distinct().Count());
        await Expect(page.Locator("#decisions-older-page")).ToHaveCountAsync(0);
        await Expect(page.Locator("#decisions-newest-page")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task DecisionLog_FilterLongerThanMaxTextLength_ShowsFieldMessage()
    {
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var tooLong = new string('t', MaxTextLength + 1);

        var response = await browser.Page.GotoAsync($"/decisions?tool={tooLong}&effect=maybe");

        Assert.Equal(400, response!.Status);
        await Expect(browser.Page.Locator("#filter-tool-error")).ToContainTextAsync($"at most {MaxTextLength} are allowed");
        await Expect(browser.Page.Locator("#filter-effect-error")).ToContainTextAsync("'maybe' is not an effect");
        await Expect(browser.Page.Locator("#decisions-table")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task KillSwitch_AddedThroughForm_GateDeniesAndRemovedAllowsAgain()
    {
        var name = Unique("killed");
        var agent = Unique("agent");
        var (_, agentKey) = await fixture.CreateKeyAsync(agent, "agent"); // an agent key acts as its name
        await PushAsync(Source(name, agent), activate: true);
        Assert.Equal(("allow", 1), await GateAsync(agentKey, agent, "crm.lookup"));
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;
        await page.GotoAsync("/policies");

        await page.Locator("#kill-scope").SelectOptionAsync("tool");
        await page.Locator("#kill-target").FillAsync("crm.lookup");
        await page.Locator("#kill-agent").FillAsync(agent);
        await page.Locator("#kill-reason").FillAsync("lookups leak data");
        await page.Locator("#add-kill-switch").ClickAsync();

        var described = $"tool:crm.lookup@{agent}";
        await Expect(page.Locator("#kill-added")).ToContainTextAsync(described);
        var row = page.Locator($"#kill-table tr[data-kill='{described}']");
        await Expect(row.Locator(".kill-reason")).ToHaveTextAsync("lookups leak data");
        var killed = await GateDecisionAsync(agentKey, agent, "crm.lookup");
        Assert.Equal("deny", killed.GetProperty("effect").GetString());
        Assert.Equal("kill.tool", killed.GetProperty("reasons")[0].GetProperty("rule").GetString());

        await row.GetByRole(AriaRole.Button, new() { Name = $"Remove kill switch {described}" }).ClickAsync();

        await Expect(page.Locator("#kill-removed")).ToContainTextAsync(described);
        await Expect(row).ToHaveCountAsync(0);
        Assert.Equal(("allow", 1), await GateAsync(agentKey, agent, "crm.lookup"));
    }

    [Fact]
    public async Task KillSwitch_WithoutTarget_ShowsFieldMessageAndAddsNothing()
    {
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;
        await page.GotoAsync("/policies");
        await page.Locator("#kill-scope").SelectOptionAsync("agent");
        await page.Locator("#kill-agent").FillAsync("someone");

        var response = await page.RunAndWaitForResponseAsync(() => page.Locator("#add-kill-switch").ClickAsync(), r => r.Request.Method == "POST");

        Assert.Equal(400, response.Status);
        await Expect(page.Locator("#kill-target-error")).ToContainTextAsync("target: is required");
        await Expect(page.Locator("#kill-target")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#kill-scope")).ToHaveValueAsync("agent");
        await Expect(page.Locator("#kill-agent")).ToHaveValueAsync("someone");
    }

    [Fact]
    public async Task Viewer_SeesNoAdminFormsAndItsForgedActionsAreRefused()
    {
        var name = Unique("viewed");
        var agent = Unique("agent");
        var tool = Unique("tool");
        await PushAsync(Source(name, agent, refund: "allow"), activate: true);
        await PushAsync(Source(name, agent, refund: "deny"), activate: true);
        using (var admin = fixture.Server.CreateClient())
        {
            using var added = await admin.PostAsJsonAsync("/api/v1/kill-switches", new { scope = "tool", target = tool }, Ct);
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        var (_, viewerKey) = await fixture.CreateKeyAsync(Unique("viewer"), "viewer");
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(viewerKey);
        var page = browser.Page;

        await page.GotoAsync("/policies");
        await Expect(page.Locator($"#kill-table tr[data-kill='tool:{tool}']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#policies-table")).ToContainTextAsync(name);
        await Expect(page.Locator("main form")).ToHaveCountAsync(0);
        await Expect(page.Locator("main button")).ToHaveCountAsync(0);
        await page.GotoAsync($"/policies/{name}");
        await Expect(page.Locator("#versions-table tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("main form[method='post']")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Activate version 1" })).ToHaveCountAsync(0);
        await Expect(page.Locator("#rollback")).ToHaveCountAsync(0);
        await page.GotoAsync($"/policies/{name}/versions/1");
        await Expect(page.Locator("#version-activate")).ToHaveCountAsync(0);

        // The server refuses too: a viewer's own session and antiforgery token (from the sign-out form) are not enough.
        var cookies = string.Join("; ", (await browser.Context.CookiesAsync()).Select(c => $"{c.Name}={c.Value}"));
        var token = AntiforgeryField().Match(await page.ContentAsync()).Groups[1].Value;
        Assert.NotEmpty(token);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = fixture.Server.Url };

        using var activate = await PostFormAsync(http, cookies, $"/policies/{name}?handler=Activate", new() { ["version"] = "1", ["__rein_af"] = token });
        Assert.Equal(HttpStatusCode.Forbidden, activate.StatusCode);
        Assert.Contains("this needs a key with role admin", await activate.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var rollback = await PostFormAsync(http, cookies, $"/policies/{name}?handler=Rollback", new() { ["__rein_af"] = token });
        Assert.Equal(HttpStatusCode.Forbidden, rollback.StatusCode);
        using var remove = await PostFormAsync(http, cookies, "/policies?handler=RemoveKill", new() { ["scope"] = "tool", ["target"] = tool, ["__rein_af"] = token });
        Assert.Equal(HttpStatusCode.Forbidden, remove.StatusCode);
        var addedTool = Unique("tool");
        using var add = await PostFormAsync(http, cookies, "/policies?handler=AddKill", new() { ["scope"] = "tool", ["target"] = addedTool, ["__rein_af"] = token });
        Assert.Equal(HttpStatusCode.Forbidden, add.StatusCode);
        Assert.Contains("id=\"kill-error\"", await add.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var api = fixture.Server.CreateClient();
        var detail = await api.GetFromJsonAsync<JsonElement>($"/api/v1/policies/{name}", Ct);
        Assert.Equal(2, detail.GetProperty("activeVersion").GetInt32());
        var switches = await api.GetFromJsonAsync<JsonElement>("/api/v1/kill-switches", Ct);
        var targets = switches.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("target").GetString()).ToList();
        Assert.Contains(tool, targets);
        Assert.DoesNotContain(addedTool, targets);
    }

    private Task PushAsync(string source, bool activate = false) => fixture.PushPolicyAsync(source, activate);

    private async Task<JsonElement> GateDecisionAsync(string agentKey, string agent, string tool)
    {
        using var http = fixture.Server.CreateClient(agentKey);
        using var response = await http.PostAsJsonAsync("/api/v1/gate", new { agent, tool, args = new { } }, Ct);
        Assert.True(response.StatusCode is HttpStatusCode.OK, $"gate answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    /// <summary>The gate's effect and the version of the policy that decided (0 when none did).</summary>
    private async Task<(string Effect, int Version)> GateAsync(string agentKey, string agent, string tool)
    {
        var decision = await GateDecisionAsync(agentKey, agent, tool);
        var version = decision.GetProperty("policy") is { ValueKind: JsonValueKind.Object } policy ? policy.GetProperty("version").GetInt32() : 0;
        return (decision.GetProperty("effect").GetString()!, version);
    }

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, string cookies, string path, Dictionary<string, string> fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("Cookie", cookies);
        return await http.SendAsync(request, Ct);
    }
}
