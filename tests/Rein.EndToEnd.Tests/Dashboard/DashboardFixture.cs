using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Rein.Testing;

namespace Rein.EndToEnd.Tests.Dashboard;

/// <summary>The dashboard test classes share one server and one browser and run one after another: on a small CI
/// machine, several servers and browsers at once are slower than one, not faster.</summary>
[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "Dashboard";
}

/// <summary>
/// One real <c>rein serve</c> and one headless Chromium for the dashboard tests; each test opens its own browser
/// context, so cookies never leak from one test to the next. Chromium is Debian's: Playwright's own browser download cannot
/// work here and is never attempted.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private ReinServerProcess? _server;

    public string? UnavailableReason { get; private set; }

    public ReinServerProcess Server => _server ?? throw new InvalidOperationException(UnavailableReason);

    public IBrowser Browser => _browser ?? throw new InvalidOperationException(UnavailableReason);

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            UnavailableReason = $"Chromium is not installed at {ChromiumPath}; install the chromium package to run the dashboard tests.";
            return;
        }

        // Expectations wait for the page to get there; a slow machine needs longer than the default, never a sleep.
        Assertions.SetDefaultExpectTimeout(15_000);
        _server = await ReinServerProcess.StartAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>The absolute address of a path on the server, escaped as the browser shows it.</summary>
    public string Url(string path) => new Uri(Server.Url, path).AbsoluteUri;

    /// <summary>The status of <c>GET path</c> with only a session cookie, redirects not followed.</summary>
    public async Task<HttpStatusCode> GetWithSessionAsync(string path, string sessionCookie)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = Server.Url };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", "rein_session=" + sessionCookie);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    /// <summary>Waits until the server has written a line containing the text; returns the line.</summary>
    public Task<string> WaitForLogAsync(string text) => Server.WaitForOutputAsync(text, TimeSpan.FromSeconds(15));

    /// <summary>Skips (locally) or fails (in CI) the calling test when there is no Chromium.</summary>
    public void Require()
    {
        if (UnavailableReason is not null)
        {
            Requirements.Unavailable(UnavailableReason);
        }
    }

    /// <summary>A fresh browser context (no cookies) with one page on the shared server (or another one), at laptop
    /// width unless told otherwise.</summary>
    public async Task<DashboardBrowser> OpenAsync(int width = 1280, int height = 800, ReinServerProcess? server = null)
    {
        Require();
        var url = (server ?? Server).Url;
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = url.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        return new DashboardBrowser(context, await context.NewPageAsync(), url);
    }

    /// <summary>Creates a key through the API with the admin key (or the given one); returns its id and value.</summary>
    public Task<(string Id, string Value)> CreateKeyAsync(string name, string role, string? adminKey = null) =>
        Server.CreateKeyAsync(name, role, adminKey);

    /// <summary>Creates a project through the API; its admin key is the only admin key of that project.</summary>
    public async Task<(string ProjectId, string AdminKeyId, string AdminKey)> CreateProjectAsync()
    {
        var id = "dash-" + Guid.NewGuid().ToString("N")[..10];
        var (keyId, key) = await Server.CreateProjectAsync(id);
        return (id, keyId, key);
    }

    /// <summary>The HTTP status of <c>GET path</c> with a key as bearer.</summary>
    public async Task<HttpStatusCode> ApiStatusAsync(string path, string key)
    {
        using var http = Server.CreateClient(key);
        using var response = await http.GetAsync(path, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    /// <summary>Pushes a policy through the API with the admin key, activated when asked.</summary>
    public async Task PushPolicyAsync(string source, bool activate = false)
    {
        using var http = Server.CreateClient();
        using var response = await http.PostAsJsonAsync("/api/v1/policies", new { source, activate }, TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode is HttpStatusCode.Created, $"push answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
    }

    /// <summary>Every key of the admin key's project, through the API.</summary>
    public async Task<IReadOnlyList<JsonElement>> ListKeysAsync(string? adminKey = null)
    {
        using var http = Server.CreateClient(adminKey);
        var body = await http.GetFromJsonAsync<JsonElement>("/api/v1/keys?limit=1000", TestContext.Current.CancellationToken);
        return [.. body.GetProperty("items").EnumerateArray()];
    }
}

/// <summary>One browser context and its page, with what the page wrote to the console and which dialogs it raised.</summary>
public sealed class DashboardBrowser : IAsyncDisposable
{
    private readonly List<string> _console = [];
    private readonly List<string> _dialogs = [];

    public DashboardBrowser(IBrowserContext context, IPage page, Uri baseUrl)
    {
        Context = context;
        Page = page;
        BaseUrl = baseUrl;
        page.Console += (_, message) =>
        {
            lock (_console)
            {
                _console.Add($"{message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_console)
            {
                _console.Add($"pageerror: {error}");
            }
        };
        page.Dialog += async (_, dialog) =>
        {
            lock (_dialogs)
            {
                _dialogs.Add(dialog.Message);
            }

            if (AcceptDialogs)
            {
                await dialog.AcceptAsync();
            }
            else
            {
                await dialog.DismissAsync();
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public Uri BaseUrl { get; }

    /// <summary>How a <c>confirm()</c> is answered: OK when true, Cancel when false.</summary>
    public bool AcceptDialogs { get; set; } = true;

    public IReadOnlyList<string> ConsoleMessages
    {
        get
        {
            lock (_console)
            {
                return [.. _console];
            }
        }
    }

    public IReadOnlyList<string> Dialogs
    {
        get
        {
            lock (_dialogs)
            {
                return [.. _dialogs];
            }
        }
    }

    /// <summary>Signs in through the form on <c>/signin</c> (or on the page the browser is already at).</summary>
    public async Task SubmitKeyAsync(string key, string? signInPath = "/signin")
    {
        if (signInPath is not null)
        {
            await Page.GotoAsync(signInPath);
        }

        await Page.Locator("#apiKey").FillAsync(key);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Signs in and waits for the overview.</summary>
    public async Task SignInAsync(string key)
    {
        await SubmitKeyAsync(key);
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Level = 1 })).ToBeVisibleAsync();
    }

    public async Task<BrowserContextCookiesResult?> SessionCookieAsync() =>
        (await Context.CookiesAsync()).FirstOrDefault(c => c.Name == "rein_session");

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
