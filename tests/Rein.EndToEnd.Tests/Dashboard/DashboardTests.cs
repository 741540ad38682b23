using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rein.EndToEnd.Tests.Dashboard;

/// <summary>The dashboard in a real Chromium against a real <c>rein serve</c>: the main flow, the shell and its layout.</summary>
[Collection(DashboardCollection.Name)]
public sealed partial class DashboardTests(DashboardFixture fixture)
{
    private static readonly string[] PlannedCapabilities = ["memory", "releases", "evaluations", "monitoring"];

    [GeneratedRegex("^rein_[a-z0-9]{12}_[A-Za-z0-9]{40}$")]
    private static partial Regex KeyShape();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dashboard_AdminSignsInAndCreatesAgentKey_ShowsKeyOnceAndListsIt()
    {
        await using var browser = await fixture.OpenAsync();
        var page = browser.Page;

        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(fixture.Url("/signin?ReturnUrl=%2F"));
        await browser.SubmitKeyAsync(fixture.Server.AdminKey, signInPath: null);
        await Expect(page).ToHaveURLAsync(fixture.Url("/"));
        await Expect(page.Locator("#session-role")).ToHaveTextAsync("admin");

        await page.GetByRole(AriaRole.Link, new() { Name = "Keys", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(fixture.Url("/keys"));
        await page.Locator("#key-name").FillAsync("ci-bot");
        await page.Locator("#key-role").SelectOptionAsync("agent");
        await page.Locator("#create-key").ClickAsync();

        var callout = page.Locator("#created-key");
        await Expect(callout).ToContainTextAsync("will not be shown again");
        var value = (await page.Locator("#new-key-value").InnerTextAsync()).Trim();
        Assert.Matches(KeyShape(), value);
        var row = page.Locator("#keys-table tbody tr", new() { HasText = "ci-bot" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("agent");
        await Expect(row.Locator(".state")).ToHaveTextAsync("active");

        // The value shown is the real key: the API accepts it as the key named ci-bot.
        using (var http = fixture.Server.CreateClient(value))
        {
            var me = await http.GetFromJsonAsync<JsonElement>("/api/v1/me", Ct);
            Assert.Equal("ci-bot", me.GetProperty("keyName").GetString());
            Assert.Equal("agent", me.GetProperty("role").GetString());
        }

        var screenshots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots"));
        var file = Path.Combine(screenshots.FullName, "keys-created.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        TestContext.Current.TestOutputHelper?.WriteLine($"screenshot: {file}");
        var image = PngImage.Decode(await File.ReadAllBytesAsync(file, Ct));
        Assert.Equal(1280, image.Width);
        Assert.InRange(image.Height, 800, 20_000);
        // A blank or unstyled page has a handful of colours; rendered text, the sidebar and the callout have hundreds.
        Assert.True(image.DistinctColors >= 100, $"the screenshot has only {image.DistinctColors} colours; it does not look like a rendered page");

        await page.GotoAsync("/keys");
        await Expect(page.Locator("#keys-table")).ToContainTextAsync("ci-bot");
        await Expect(page.Locator("#new-key-value")).ToHaveCountAsync(0);
        Assert.DoesNotContain(value, await page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CopyButton_AfterKeyCreated_PutsTheKeyOnTheClipboard()
    {
        await using var browser = await fixture.OpenAsync();
        await browser.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = fixture.Server.Url.GetLeftPart(UriPartial.Authority) });
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;
        await page.GotoAsync("/keys");
        await page.Locator("#key-name").FillAsync("copied-" + Guid.NewGuid().ToString("N")[..6]);
        await page.Locator("#create-key").ClickAsync();
        var value = (await page.Locator("#new-key-value").InnerTextAsync()).Trim();

        await page.GetByRole(AriaRole.Button, new() { Name = "Copy" }).ClickAsync();

        await Expect(page.Locator("button[data-copy]")).ToHaveTextAsync("Copied");
        Assert.Equal(value, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
    }

    [Fact]
    public async Task Overview_ForViewer_ShowsProjectServerAndCountsTheApiReports()
    {
        var (_, viewerKey) = await fixture.CreateKeyAsync("overview-" + Guid.NewGuid().ToString("N")[..6], "viewer");
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(viewerKey);
        using var http = fixture.Server.CreateClient(viewerKey);

        var status = await http.GetFromJsonAsync<JsonElement>("/api/v1/status", Ct);
        await browser.Page.ReloadAsync();

        var page = browser.Page;
        await Expect(page.Locator("#project-id")).ToHaveTextAsync("default");
        await Expect(page.Locator("#project-name")).ToHaveTextAsync(status.GetProperty("project").GetProperty("name").GetString()!);
        await Expect(page.Locator("#overview-role")).ToHaveTextAsync("viewer");
        await Expect(page.Locator("#server-version")).ToHaveTextAsync(status.GetProperty("version").GetString()!);
        await Expect(page.Locator("#database-kind")).ToHaveTextAsync("sqlite");
        var counts = status.GetProperty("counts");
        await Expect(page.Locator("#count-keys")).ToHaveTextAsync(counts.GetProperty("keys").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("#count-active-keys")).ToHaveTextAsync(counts.GetProperty("activeKeys").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("#count-audit")).ToHaveTextAsync(counts.GetProperty("auditEntries").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("#audit-verification")).ToHaveAttributeAsync("data-valid", "true");
        // Where the database lives is for admins.
        Assert.DoesNotContain(fixture.Server.DataDir, await page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlannedCapability_Page_SaysNotAvailableAndShowsNoData()
    {
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var nav = browser.Page.GetByRole(AriaRole.Navigation, new() { Name = "Capabilities" });

        foreach (var slug in PlannedCapabilities)
        {
            var link = nav.Locator($"a[href='/{slug}']");
            await Expect(link).ToContainTextAsync("soon");
            await link.ClickAsync();
            await Expect(browser.Page).ToHaveURLAsync(fixture.Url("/" + slug));
            await Expect(link).ToHaveAttributeAsync("aria-current", "page");
            await Expect(browser.Page.Locator("#capability-status")).ToContainTextAsync("is not available in this version of Rein");
            await Expect(browser.Page.Locator("#capability-summary")).Not.ToBeEmptyAsync();
            await Expect(browser.Page.Locator("main table")).ToHaveCountAsync(0);
        }

        var unknown = await browser.Page.GotoAsync("/no-such-capability");
        Assert.Equal(404, unknown!.Status);
    }

    [Theory]
    [InlineData(1280)]
    [InlineData(900)]
    public async Task Pages_AtLaptopWidths_FitWithoutSidewaysScrollingOrPolicyViolations(int width)
    {
        await fixture.CreateKeyAsync("a-key-with-a-rather-long-name-to-stretch-the-table-" + Guid.NewGuid().ToString("N"), "approver");
        await using var browser = await fixture.OpenAsync(width);
        await browser.SignInAsync(fixture.Server.AdminKey);

        foreach (var path in new[] { "/", "/keys", "/audit", "/traces", "/policies", "/decisions", "/approvals", "/approvals?status=all", "/signout" })
        {
            await browser.Page.GotoAsync(path);
            // The stylesheet is served and allowed by the CSP: the sidebar is laid out as a flex column, not the
            // browser's default block.
            Assert.Equal("flex", await browser.Page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('.sidebar-inner')).display"));
            var overflow = await browser.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 0, $"{path} at {width}px is {overflow}px wider than the window");
            await Expect(browser.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).First).ToBeInViewportAsync();
            if (path == "/keys" && width >= 1280)
            {
                // At laptop width the keys table fits as it is; only narrower windows scroll it inside its box.
                var hidden = await browser.Page.EvaluateAsync<int>("() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth; }");
                Assert.True(hidden <= 0, $"the keys table at {width}px hides {hidden}px behind a scroll bar");
            }
        }

        Assert.DoesNotContain(browser.ConsoleMessages, m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || m.StartsWith("pageerror", StringComparison.Ordinal));
    }
}
