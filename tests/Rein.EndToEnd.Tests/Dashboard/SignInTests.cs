using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rein.EndToEnd.Tests.Dashboard;

/// <summary>Signing in and out of the dashboard, the session cookie, and what a role too weak sees.</summary>
[Collection(DashboardCollection.Name)]
public sealed class SignInTests(DashboardFixture fixture)
{
    [Fact]
    public async Task SignIn_WithWrongKey_ShowsReasonAndSetsNoSessionCookie()
    {
        await using var browser = await fixture.OpenAsync();
        var admin = fixture.Server.AdminKey;
        // Same id as the admin key, different secret: well-formed, but not the key.
        var wrongSecret = admin[..^1] + (admin[^1] == 'a' ? 'b' : 'a');

        await browser.SubmitKeyAsync("not-a-rein-key");
        await Expect(browser.Page.Locator("#signin-error")).ToContainTextAsync("the API key is malformed");

        await browser.SubmitKeyAsync(wrongSecret);
        await Expect(browser.Page.Locator("#signin-error")).ToHaveTextAsync("the API key is not recognised");

        Assert.Null(await browser.SessionCookieAsync());
        await browser.Page.GotoAsync("/keys");
        await Expect(browser.Page).ToHaveURLAsync(fixture.Url("/signin?ReturnUrl=%2Fkeys"));
    }

    [Fact]
    public async Task SignIn_WithAgentKey_IsRefused()
    {
        var (_, agentKey) = await fixture.CreateKeyAsync("agent-" + Guid.NewGuid().ToString("N")[..6], "agent");
        await using var browser = await fixture.OpenAsync();

        await browser.SubmitKeyAsync(agentKey);

        await Expect(browser.Page.Locator("#signin-error"))
            .ToHaveTextAsync("agent keys cannot sign in to the dashboard; use a viewer, approver or admin key");
        Assert.Null(await browser.SessionCookieAsync());
    }

    [Fact]
    public async Task SignInAndOut_AreLoggedWithKeyIdButNeverTheKey()
    {
        var (agentId, agentKey) = await fixture.CreateKeyAsync("logged-agent-" + Guid.NewGuid().ToString("N")[..6], "agent");
        var (viewerId, viewerKey) = await fixture.CreateKeyAsync("logged-viewer-" + Guid.NewGuid().ToString("N")[..6], "viewer");
        await using var browser = await fixture.OpenAsync();

        await browser.SubmitKeyAsync(agentKey);
        await Expect(browser.Page.Locator("#signin-error")).ToBeVisibleAsync();
        await browser.SignInAsync(viewerKey);
        await browser.Page.Locator("#sign-out").ClickAsync();
        await Expect(browser.Page).ToHaveURLAsync(fixture.Url("/signin"));

        Assert.Contains("[5002]", await fixture.WaitForLogAsync($"key {agentId} has role agent"), StringComparison.Ordinal);
        Assert.Contains("[5001]", await fixture.WaitForLogAsync($"Dashboard sign-in with key {viewerId} (viewer) of project default"), StringComparison.Ordinal);
        Assert.Contains("[5003]", await fixture.WaitForLogAsync($"Dashboard sign-out of key {viewerId}"), StringComparison.Ordinal);
        Assert.DoesNotContain(agentKey.Split('_')[2], fixture.Server.StdOut + fixture.Server.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain(viewerKey.Split('_')[2], fixture.Server.StdOut + fixture.Server.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_WithAdminKey_SetsHttpOnlySameSiteStrictSessionCookie()
    {
        await using var browser = await fixture.OpenAsync();

        await browser.SignInAsync(fixture.Server.AdminKey);

        var cookie = await browser.SessionCookieAsync();
        Assert.NotNull(cookie);
        Assert.True(cookie.HttpOnly, "the session cookie must be HttpOnly");
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal(-1, cookie.Expires); // a browser-session cookie; the server bounds the session's lifetime
        Assert.DoesNotContain(fixture.Server.AdminKey.Split('_')[2], cookie.Value, StringComparison.Ordinal);
        Assert.False(await browser.Page.EvaluateAsync<bool>("() => document.cookie.includes('rein_session')"), "script can read the session cookie");
    }

    [Fact]
    public async Task SignIn_WithLocalReturnUrl_GoesBackToThatPage()
    {
        await using var browser = await fixture.OpenAsync();

        await browser.Page.GotoAsync("/audit");
        await Expect(browser.Page).ToHaveURLAsync(fixture.Url("/signin?ReturnUrl=%2Faudit"));
        await browser.SubmitKeyAsync(fixture.Server.AdminKey, signInPath: null);

        await Expect(browser.Page).ToHaveURLAsync(fixture.Url("/audit"));
        await Expect(browser.Page.GetByRole(AriaRole.Heading, new() { Name = "Audit", Level = 1 })).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData("https://example.com/")]
    [InlineData("//example.com/")]
    [InlineData("/\\example.com/")]
    public async Task SignIn_WithForeignReturnUrl_StaysOnTheDashboard(string returnUrl)
    {
        await using var browser = await fixture.OpenAsync();

        await browser.SubmitKeyAsync(fixture.Server.AdminKey, "/signin?ReturnUrl=" + Uri.EscapeDataString(returnUrl));

        await Expect(browser.Page).ToHaveURLAsync(fixture.Url("/"));
        await Expect(browser.Page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Level = 1 })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task SignOut_FromNavigation_EndsSession()
    {
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var cookie = await browser.SessionCookieAsync();
        Assert.NotNull(cookie);

        await browser.Page.Locator("#sign-out").ClickAsync();

        await Expect(browser.Page).ToHaveURLAsync(fixture.Url("/signin"));
        Assert.Null(await browser.SessionCookieAsync());
        await browser.Page.GotoAsync("/");
        await Expect(browser.Page).ToHaveURLAsync(fixture.Url("/signin?ReturnUrl=%2F"));
    }

    [Fact]
    public async Task Viewer_OpensKeysPage_SeesNoKeysLinkAndIsDenied()
    {
        var (_, viewerKey) = await fixture.CreateKeyAsync("viewer-" + Guid.NewGuid().ToString("N")[..6], "viewer");
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(viewerKey);
        var nav = browser.Page.GetByRole(AriaRole.Navigation, new() { Name = "Capabilities" });

        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true })).ToBeVisibleAsync();
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Keys", Exact = true })).ToHaveCountAsync(0);

        var response = await browser.Page.GotoAsync("/keys");
        await Expect(browser.Page).ToHaveURLAsync(fixture.Url("/denied?ReturnUrl=%2Fkeys"));
        Assert.Equal(403, response!.Status);
        await Expect(browser.Page.Locator("#denied-reason")).ToContainTextAsync("It has role viewer; that page needs role admin.");
        Assert.DoesNotContain("Create a key", await browser.Page.ContentAsync(), StringComparison.Ordinal);
    }
}
