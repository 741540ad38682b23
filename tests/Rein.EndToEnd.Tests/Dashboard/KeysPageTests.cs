using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Rein.Testing;
using static Microsoft.Playwright.Assertions;

namespace Rein.EndToEnd.Tests.Dashboard;

/// <summary>The Keys page: creating, revoking and paging keys, and its forms' antiforgery protection.</summary>
[Collection(DashboardCollection.Name)]
public sealed partial class KeysPageTests(DashboardFixture fixture)
{
    [GeneratedRegex("name=\"__rein_af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Revoke_KeyFromPage_KeyFailsOnApi()
    {
        var name = "revoke-me-" + Guid.NewGuid().ToString("N")[..6];
        var (id, key) = await fixture.CreateKeyAsync(name, "viewer");
        Assert.Equal(HttpStatusCode.OK, await fixture.ApiStatusAsync("/api/v1/status", key));
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        await browser.Page.GotoAsync("/keys");
        var revoke = browser.Page.Locator($"tr[data-key-id='{id}']").GetByRole(AriaRole.Button, new() { Name = "Revoke" });

        // Cancelling the confirmation must leave the key alone.
        browser.AcceptDialogs = false;
        await revoke.ClickAsync();
        await Expect(browser.Page.Locator($"tr[data-key-id='{id}'] .state")).ToHaveTextAsync("active");
        Assert.Equal(HttpStatusCode.OK, await fixture.ApiStatusAsync("/api/v1/status", key));

        browser.AcceptDialogs = true;
        await revoke.ClickAsync();

        await Expect(browser.Page.Locator("#revoked-notice")).ToContainTextAsync(name);
        await Expect(browser.Page.Locator($"tr[data-key-id='{id}'] .state")).ToHaveTextAsync("revoked");
        Assert.Equal(2, browser.Dialogs.Count);
        Assert.All(browser.Dialogs, d => Assert.Contains($"Revoke {name}?", d, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, await fixture.ApiStatusAsync("/api/v1/status", key));
    }

    [Fact]
    public async Task Create_ApproverLimitedToQueues_ListedWithThem_AndQueuesOnAnotherRoleRefusedBesideTheField()
    {
        var name = "queue-approver-" + Guid.NewGuid().ToString("N")[..6];
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;
        await page.GotoAsync("/keys");

        await page.Locator("#key-name").FillAsync(name);
        await page.Locator("#key-role").SelectOptionAsync("approver");
        await page.Locator("#key-queues").FillAsync(" finance, ops ,");
        await page.Locator("#create-key").ClickAsync();

        await Expect(page.Locator("#created-key")).ToContainTextAsync(name);
        var id = await page.Locator("#created-key code").Nth(1).TextContentAsync();
        await Expect(page.Locator($"tr[data-key-id='{id}'] .key-role")).ToContainTextAsync("queues finance, ops");
        var listed = (await fixture.ListKeysAsync()).Single(k => k.GetProperty("id").GetString() == id);
        Assert.Equal(["finance", "ops"], listed.GetProperty("queues").EnumerateArray().Select(q => q.GetString()));

        await page.Locator("#key-name").FillAsync(name + "-agent");
        await page.Locator("#key-role").SelectOptionAsync("agent");
        await page.Locator("#key-queues").FillAsync("finance");
        await page.Locator("#create-key").ClickAsync();
        await Expect(page.Locator("#key-queues-error")).ToContainTextAsync("only an approver key can be limited to approval queues");
        await Expect(page.Locator("#key-name")).ToHaveValueAsync(name + "-agent");
        Assert.DoesNotContain(await fixture.ListKeysAsync(), k => k.GetProperty("name").GetString() == name + "-agent");
    }

    [Fact]
    public async Task Revoke_OwnKey_EndsSessionOnNextRequest()
    {
        var (id, key) = await fixture.CreateKeyAsync("short-lived-admin-" + Guid.NewGuid().ToString("N")[..6], "admin");
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(key);
        var cookie = await browser.SessionCookieAsync();
        Assert.NotNull(cookie);
        Assert.Equal(HttpStatusCode.OK, await fixture.GetWithSessionAsync("/keys", cookie.Value));
        await browser.Page.GotoAsync("/keys");

        await browser.Page.Locator($"tr[data-key-id='{id}']").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();

        await Expect(browser.Page).ToHaveURLAsync(new Regex("/signin\\?ReturnUrl="));
        Assert.Contains("signed in with", browser.Dialogs.Single(), StringComparison.Ordinal);
        Assert.Null(await browser.SessionCookieAsync());
        // The old cookie itself is dead on the server, not just deleted by the browser.
        Assert.Equal(HttpStatusCode.Redirect, await fixture.GetWithSessionAsync("/keys", cookie.Value));
    }

    [Fact]
    public async Task Revoke_LastAdminKeyOfProject_ShowsConflictAndKeepsSession()
    {
        var (projectId, adminId, adminKey) = await fixture.CreateProjectAsync();
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(adminKey);
        await Expect(browser.Page.Locator("#session-project")).ToHaveTextAsync(projectId);
        await browser.Page.GotoAsync("/keys");

        var response = await browser.Page.RunAndWaitForResponseAsync(
            () => browser.Page.Locator($"tr[data-key-id='{adminId}']").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync(),
            r => r.Request.Method == "POST");

        Assert.Equal(409, response.Status);
        await Expect(browser.Page.Locator("#revoke-error")).ToContainTextAsync("is the last active admin key of project " + projectId);
        await Expect(browser.Page.Locator($"tr[data-key-id='{adminId}'] .state")).ToHaveTextAsync("active");
        Assert.Equal(HttpStatusCode.OK, await fixture.ApiStatusAsync("/api/v1/status", adminKey));
        await browser.Page.GotoAsync("/");
        await Expect(browser.Page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Level = 1 })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task CreateKey_WithoutName_ShowsFieldMessageAndCreatesNothing()
    {
        var before = (await fixture.ListKeysAsync()).Count;
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        await browser.Page.GotoAsync("/keys");

        var response = await browser.Page.RunAndWaitForResponseAsync(
            () => browser.Page.Locator("#create-key").ClickAsync(), r => r.Request.Method == "POST");

        Assert.Equal(400, response.Status);
        await Expect(browser.Page.Locator("#key-name-error")).ToContainTextAsync("name: is required");
        await Expect(browser.Page.Locator("#key-name")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(browser.Page.Locator("#created-key")).ToHaveCountAsync(0);
        Assert.Equal(before, (await fixture.ListKeysAsync()).Count);
    }

    [Fact]
    public async Task CreateKey_PastActiveKeyLimit_ShowsConflictAboveTheForm()
    {
        fixture.Require();
        await using var server = await ReinServerProcess.StartAsync(environment: new Dictionary<string, string?>
        {
            ["REIN_Identity__MaxActiveKeysPerProject"] = "2",
        });
        using (var http = server.CreateClient())
        {
            using var second = await http.PostAsJsonAsync("/api/v1/keys", new { name = "second", role = "viewer" }, Ct);
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        }

        await using var browser = await fixture.OpenAsync(server: server);
        await browser.SignInAsync(server.AdminKey);
        await browser.Page.GotoAsync("/keys");
        await browser.Page.Locator("#key-name").FillAsync("third");

        var response = await browser.Page.RunAndWaitForResponseAsync(
            () => browser.Page.Locator("#create-key").ClickAsync(), r => r.Request.Method == "POST");

        Assert.Equal(409, response.Status);
        await Expect(browser.Page.Locator("#create-error")).ToContainTextAsync("already has 2 active keys, the limit (Identity:MaxActiveKeysPerProject)");
        await Expect(browser.Page.Locator("#key-name")).ToHaveValueAsync("third");
        await Expect(browser.Page.Locator("#keys-table tbody tr")).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task PostKeys_WithoutAntiforgeryToken_IsRefused()
    {
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        await browser.Page.GotoAsync("/keys");
        var cookies = string.Join("; ", (await browser.Context.CookiesAsync()).Select(c => $"{c.Name}={c.Value}"));
        var forged = "forged-" + Guid.NewGuid().ToString("N")[..6];
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = fixture.Server.Url };

        using var refused = await PostFormAsync(http, cookies, new() { ["name"] = forged, ["role"] = "admin" });

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.DoesNotContain(await fixture.ListKeysAsync(), k => k.GetProperty("name").GetString() == forged);

        // The same cookies with the page's token do work, so the refusal above was the missing token and nothing else.
        using var form = new HttpRequestMessage(HttpMethod.Get, "/keys");
        form.Headers.Add("Cookie", cookies);
        using var formResponse = await http.SendAsync(form, Ct);
        Assert.Equal(HttpStatusCode.OK, formResponse.StatusCode);
        var token = AntiforgeryField().Match(await formResponse.Content.ReadAsStringAsync(Ct)).Groups[1].Value;
        using var accepted = await PostFormAsync(http, cookies, new() { ["name"] = forged, ["role"] = "viewer", ["__rein_af"] = token });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Contains(await fixture.ListKeysAsync(), k => k.GetProperty("name").GetString() == forged);
    }

    [Fact]
    public async Task Keys_MoreThanOnePage_NextLinkShowsTheRest()
    {
        var (_, _, adminKey) = await fixture.CreateProjectAsync();
        for (var i = 0; i < 120; i++)
        {
            await fixture.CreateKeyAsync($"bulk-{i:D3}", "agent", adminKey);
        }

        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(adminKey);
        await browser.Page.GotoAsync("/keys");
        var rows = browser.Page.Locator("#keys-table tbody tr");

        await Expect(rows).ToHaveCountAsync(100);
        var first = await rows.Locator(".key-name").AllInnerTextsAsync();
        await browser.Page.Locator("#keys-next-page").ClickAsync();
        await Expect(rows).ToHaveCountAsync(21);
        var second = await rows.Locator(".key-name").AllInnerTextsAsync();

        await Expect(browser.Page.Locator("#keys-next-page")).ToHaveCountAsync(0);
        await Expect(browser.Page.Locator("#keys-first-page")).ToBeVisibleAsync();
        var all = first.Concat(second).Select(n => n.Replace("you", "", StringComparison.Ordinal).Trim()).ToList();
        Assert.Equal(121, all.Distinct().Count());
        Assert.Equal([.. Enumerable.Range(0, 120).Select(i => $"bulk-{i:D3}")], all.Where(n => n.StartsWith("bulk-", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, string cookies, Dictionary<string, string> fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/keys") { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("Cookie", cookies);
        return await http.SendAsync(request, Ct);
    }
}
