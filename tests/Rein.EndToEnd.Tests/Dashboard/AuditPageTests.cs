using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rein.EndToEnd.Tests.Dashboard;

/// <summary>The Audit page: entries newest first, paging and the chain's verification.</summary>
[Collection(DashboardCollection.Name)]
public sealed class AuditPageTests(DashboardFixture fixture)
{
    [Fact]
    public async Task Audit_AfterKeyCreatedOnPage_ListsKeyCreateFirst()
    {
        var name = "audited-" + Guid.NewGuid().ToString("N")[..6];
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        await browser.Page.GotoAsync("/keys");
        await browser.Page.Locator("#key-name").FillAsync(name);
        await browser.Page.Locator("#key-role").SelectOptionAsync("viewer");
        await browser.Page.Locator("#create-key").ClickAsync();
        await Expect(browser.Page.Locator("#created-key")).ToBeVisibleAsync();

        await browser.Page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();

        await Expect(browser.Page.Locator("#audit-verification")).ToHaveAttributeAsync("data-valid", "true");
        var newest = browser.Page.Locator("#audit-table tbody tr").First;
        await Expect(newest.Locator(".audit-action")).ToHaveTextAsync("key.create");
        await Expect(newest).ToContainTextAsync($"\"name\":\"{name}\"");
        await Expect(newest).ToContainTextAsync("\"role\":\"viewer\"");
    }

    [Fact]
    public async Task Audit_MoreThanOnePage_OlderLinkShowsTheRestNewestFirst()
    {
        var (_, _, adminKey) = await fixture.CreateProjectAsync();
        // The new project's log: project.create, key.create of its admin key, then these 110.
        for (var i = 0; i < 110; i++)
        {
            await fixture.CreateKeyAsync($"audit-bulk-{i:D3}", "agent", adminKey);
        }

        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(adminKey);
        await browser.Page.GotoAsync("/audit");
        var seqs = browser.Page.Locator("#audit-table tbody tr td.num");

        await Expect(seqs).ToHaveCountAsync(100);
        Assert.Equal([.. Enumerable.Range(13, 100).Reverse().Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))], await seqs.AllInnerTextsAsync());
        await browser.Page.Locator("#audit-older-page").ClickAsync();
        await Expect(seqs).ToHaveCountAsync(12);
        Assert.Equal([.. Enumerable.Range(1, 12).Reverse().Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))], await seqs.AllInnerTextsAsync());
        await Expect(browser.Page.Locator("#audit-older-page")).ToHaveCountAsync(0);
        await Expect(browser.Page.Locator("#audit-table tbody tr").Last).ToContainTextAsync("project.create");
    }
}
