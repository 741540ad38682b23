using System.Net.Http.Headers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rein.EndToEnd.Tests.Dashboard;

/// <summary>Every dashboard detail page for something that does not exist, and an address that is no page at all,
/// answer the dashboard's own "not found" page (404, the layout, a link back to the section), not raw problem JSON;
/// the API keeps its problem details.</summary>
[Collection(DashboardCollection.Name)]
public sealed class NotFoundPageTests(DashboardFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/approvals/apr_nope", "/approvals")]
    [InlineData("/approvals/apr_00000000000000000000000000", "/approvals")]
    [InlineData("/traces/runs/0123456789abcdef0123456789abcdef", "/traces")]
    [InlineData("/traces/runs/0123456789abcdef0123456789abcdef/spans/0123456789abcdef", "/traces")]
    [InlineData("/traces/sessions/no-such-session", "/traces")]
    [InlineData("/decisions/dec_nope", "/policies")]
    [InlineData("/policies/no-such-policy", "/policies")]
    [InlineData("/policies/no-such-policy/versions/1", "/policies")]
    [InlineData("/policies/no-such-policy/diff?from=1&to=2", "/policies")]
    [InlineData("/no/such/page", "/")]
    public async Task DetailPage_OfSomethingThatDoesNotExist_IsTheDashboardsNotFoundPage(string path, string back)
    {
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;

        var response = await page.GotoAsync(path);

        Assert.Equal(404, response!.Status);
        Assert.StartsWith("text/html", response.Headers["content-type"], StringComparison.Ordinal);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("#not-found")).ToContainTextAsync(path.Split('?')[0]);
        await Expect(page.Locator("#not-found")).ToContainTextAsync("in project default");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Capabilities" })).ToBeVisibleAsync();
        await Expect(page.Locator("#not-found-back")).ToHaveAttributeAsync("href", back);
        await page.Locator("#not-found-back").ClickAsync();
        await Expect(page).ToHaveURLAsync(fixture.Url(back));
    }

    [Fact]
    public async Task Api_OfSomethingThatDoesNotExist_StaysProblemDetails()
    {
        using var http = fixture.Server.CreateClient();
        using var browserLike = fixture.Server.CreateClient();
        browserLike.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        foreach (var path in new[] { "/api/v1/approvals/apr_nope", "/api/v1/no-such-endpoint" })
        {
            using var response = await http.GetAsync(path, Ct);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var asHtml = await browserLike.GetAsync(path, Ct);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, asHtml.StatusCode);
            Assert.NotEqual("text/html", asHtml.Content.Headers.ContentType?.MediaType);
        }

        using var plain = fixture.Server.CreateClient("");
        using var noPage = await plain.GetAsync("/no/such/page", Ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, noPage.StatusCode);
        Assert.Equal("application/problem+json", noPage.Content.Headers.ContentType?.MediaType);
    }
}
