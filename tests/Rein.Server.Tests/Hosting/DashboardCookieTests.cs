using System.Net;
using System.Text.RegularExpressions;

namespace Rein.Server.Tests.Hosting;

/// <summary>The session cookie's attributes as a browser receives them, over real HTTP.</summary>
public sealed partial class DashboardCookieTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> SignInAsync(TestHost host, string? forwardedProto = null)
    {
        // Cookies are carried by hand: a cookie jar would (rightly) not send a Secure cookie to an http:// address,
        // and here the TLS is the imaginary proxy's.
        using var handler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { BaseAddress = host.Url };
        if (forwardedProto is not null)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-Proto", forwardedProto);
        }

        using var page = await client.GetAsync("/signin", Ct);
        var token = AntiforgeryField().Match(await page.Content.ReadAsStringAsync(Ct)).Groups[1].Value;
        var antiforgeryCookie = page.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("rein_antiforgery=", StringComparison.Ordinal)).Split(';')[0];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["ApiKey"] = host.AdminKey, ["__rein_af"] = token }),
        };
        request.Headers.Add("Cookie", antiforgeryCookie);
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("rein_session=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SessionCookie_IsHttpOnlyAndStrict_AndNotSecureOverPlainHttpByDefault()
    {
        await using var host = await TestHost.StartAsync();

        var cookie = (await SignInAsync(host)).ToLowerInvariant();

        Assert.Contains("httponly", cookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain("secure", cookie.Replace("samesite", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionCookie_BehindATrustedTlsProxy_IsSecure()
    {
        await using var host = await TestHost.StartAsync(settings: new Dictionary<string, string?> { ["TrustedProxies"] = "127.0.0.1" });

        var cookie = (await SignInAsync(host, forwardedProto: "https")).ToLowerInvariant();

        Assert.Contains("; secure", cookie, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForwardedProto_FromAnUntrustedPeer_IsIgnored()
    {
        await using var host = await TestHost.StartAsync(settings: new Dictionary<string, string?> { ["TrustedProxies"] = "10.0.0.0/8" });

        var cookie = (await SignInAsync(host, forwardedProto: "https")).ToLowerInvariant();

        Assert.DoesNotContain("; secure", cookie, StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__rein_af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
