using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rein.EndToEnd.Tests.Dashboard;

/// <summary>
/// The trace pages over runs sent through the real <c>POST /v1/traces</c> as OTLP/JSON. The server is shared by the
/// whole collection, so every test uses its own trace ids and its own agent name and filters on it.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class TracesPageTests(DashboardFixture fixture)
{
    private const long Second = 1_000_000_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string TraceId() => RandomNumberGenerator.GetHexString(32, lowercase: true);

    private static string SpanId() => RandomNumberGenerator.GetHexString(16, lowercase: true);

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Now, in Unix nanoseconds, so the runs of a test are the newest on the runs page.</summary>
    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;

    [Fact]
    public async Task Runs_AfterIngest_ListsNewestFirstAndFiltersKeepTheirValues()
    {
        var agent = Unique("planner");
        var t0 = Now() - 60 * Second;
        var planned = TraceId();
        var booked = TraceId();
        var bookedRoot = SpanId();
        await IngestAsync(agent,
            new(planned, SpanId(), null, "plan trip", t0, t0 + 2 * Second),
            new(booked, bookedRoot, null, "book flight", t0 + 10 * Second, t0 + 14 * Second, StatusCode: 2, StatusMessage: "no seats"),
            new(booked, SpanId(), bookedRoot, "chat", t0 + 11 * Second, t0 + 12 * Second, Kind: 3, Attributes:
            [
                ("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "a-model-without-a-price"),
                ("gen_ai.usage.input_tokens", 120L), ("gen_ai.usage.output_tokens", 30L),
            ]));
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;

        await page.GetByRole(AriaRole.Link, new() { Name = "Traces", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Traces", Level = 1 })).ToBeVisibleAsync();
        await page.Locator("#filter-agent").FillAsync(agent);
        await page.Locator("#apply-filter").ClickAsync();

        var rows = page.Locator("#runs-table tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        Assert.Equal([booked, planned], await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.runId)"));
        await Expect(rows.Nth(0).Locator(".state")).ToHaveTextAsync("failure");
        await Expect(rows.Nth(0)).ToContainTextAsync("120 / 30");
        // A model with no price makes the cost unknown, never a misleading $0.
        await Expect(rows.Nth(0).Locator("td").Last).ToHaveTextAsync("unknown");
        await Expect(rows.Nth(1).Locator(".state")).ToHaveTextAsync("success");

        await page.Locator("#filter-status").SelectOptionAsync("failure");
        await page.Locator("#apply-filter").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("status=failure"));
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("book flight");
        await Expect(page.Locator("#filter-agent")).ToHaveValueAsync(agent);
        await Expect(page.Locator("#filter-status")).ToHaveValueAsync("failure");

        await page.Locator("#filter-status").SelectOptionAsync("");
        await page.Locator("#filter-errors").SelectOptionAsync("no");
        await page.Locator("#apply-filter").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("plan trip");

        await rows.First.GetByRole(AriaRole.Link, new() { Name = "plan trip" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(fixture.Url("/traces/runs/" + planned));
    }

    [Fact]
    public async Task Runs_BadFilterValues_MessageBesideEachFieldNotAnError()
    {
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;

        var response = await page.GotoAsync("/traces?agent=x&minCost=lots&from=yesterday&status=exploded&errors=maybe");

        Assert.Equal(400, response!.Status);
        await Expect(page.Locator("#filter-min-cost-error")).ToContainTextAsync("'lots' is not an amount");
        await Expect(page.Locator("#filter-min-cost")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#filter-from-error")).ToContainTextAsync("'yesterday' is not a date and time");
        await Expect(page.Locator("#filter-status-error")).ToContainTextAsync("'exploded' is not a status");
        await Expect(page.Locator("#filter-errors-error")).ToBeVisibleAsync();
        await Expect(page.Locator("#filter-agent")).ToHaveValueAsync("x");
        await Expect(page.Locator("#filter-agent")).ToHaveAttributeAsync("aria-invalid", "false");
        await Expect(page.Locator("#runs-table")).ToHaveCountAsync(0);

        response = await page.GotoAsync("/traces?from=2026-03-01T10:00&to=2026-02-01T10:00");
        Assert.Equal(400, response!.Status);
        await Expect(page.Locator("#filter-to-error")).ToHaveTextAsync("must be later than From");

        response = await page.GotoAsync("/traces?cursor=not-a-cursor");
        Assert.Equal(400, response!.Status);
        await Expect(page.Locator("#runs-problem")).ToContainTextAsync("cursor");
    }

    [Fact]
    public async Task Runs_MoreThanOnePage_OlderLinkKeepsTheFilter()
    {
        var agent = Unique("bulk");
        var t0 = Now() - 3600 * Second;
        await IngestAsync(agent, [.. Enumerable.Range(0, 101).Select(i => new TestSpan(TraceId(), SpanId(), null, $"task {i:D3}", t0 + i * Second, t0 + i * Second + Second / 2))]);
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;

        await page.GotoAsync("/traces?agent=" + agent);
        var names = page.Locator("#runs-table tbody tr td.run-name a");
        await Expect(names).ToHaveCountAsync(100);
        await Expect(names.First).ToHaveTextAsync("task 100");
        await page.Locator("#runs-older-page").ClickAsync();

        await Expect(names).ToHaveCountAsync(1);
        await Expect(names.First).ToHaveTextAsync("task 000");
        await Expect(page.Locator("#filter-agent")).ToHaveValueAsync(agent);
        await Expect(page.Locator("#runs-older-page")).ToHaveCountAsync(0);
        await page.Locator("#runs-newest-page").ClickAsync();
        await Expect(names).ToHaveCountAsync(100);
    }

    [Fact]
    public async Task RunPage_Waterfall_NestsSpansWithBarsAndSelectionShowsDetail()
    {
        var agent = Unique("weather");
        var trace = TraceId();
        var t0 = Now() - 30 * Second;
        var (root, chat, tool, http, failed, orphan) = (SpanId(), SpanId(), SpanId(), SpanId(), SpanId(), SpanId());
        const string input = """[{"role":"user","parts":[{"type":"text","content":"What is the weather in Paris?"}]}]""";
        const string output = """[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}],"finish_reason":"tool_call"}]""";
        await IngestAsync(agent,
            new(trace, root, null, "invoke_agent weather", t0, t0 + 10 * Second, Attributes: [("gen_ai.operation.name", "invoke_agent"), ("gen_ai.agent.name", agent)]),
            new(trace, failed, root, "chat gpt-4o", t0 + 5 * Second, t0 + 9 * Second, Kind: 3, StatusCode: 2, StatusMessage: "boom",
                Attributes: [("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "gpt-4o")]),
            new(trace, chat, root, "chat gpt-4o", t0 + 1 * Second, t0 + 3 * Second, Kind: 3, Attributes:
            [
                ("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "gpt-4o"), ("gen_ai.usage.input_tokens", 120L),
                ("gen_ai.usage.output_tokens", 14L), ("gen_ai.input.messages", input), ("gen_ai.output.messages", output),
            ]),
            new(trace, tool, root, "execute_tool get_weather", t0 + 3 * Second, t0 + 4 * Second, Attributes:
            [
                ("gen_ai.operation.name", "execute_tool"), ("gen_ai.tool.name", "get_weather"),
                ("gen_ai.tool.call.arguments", """{"city":"Paris"}"""), ("gen_ai.tool.call.result", """{"forecast":"sunny"}"""),
            ]),
            new(trace, http, tool, "GET api.weather.example", t0 + 3 * Second + Second / 5, t0 + 3 * Second + 4 * Second / 5, Kind: 3),
            new(trace, orphan, "00000000deadbeef", "late callback", t0 + 2 * Second, t0 + 2 * Second + Second / 2));
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;

        await page.GotoAsync("/traces/runs/" + trace);

        await Expect(page.Locator("#run-heading")).ToContainTextAsync("invoke_agent weather");
        var rows = page.Locator("#waterfall > li");
        await Expect(rows).ToHaveCountAsync(6);
        Assert.Equal([root, chat, tool, http, failed, orphan], (await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.id)")).Select(id => id["span-".Length..]));
        Assert.Equal(["1", "2", "2", "3", "2", "1"], await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.getAttribute('aria-level'))"));
        await Expect(page.Locator($"#span-{orphan} .orphan-mark")).ToBeVisibleAsync();
        await Expect(page.Locator($"#span-{failed} .err-mark")).ToBeVisibleAsync();
        await Expect(page.Locator($"#span-{root} .err-mark")).ToHaveCountAsync(0);
        // Bars sit on the run's time axis: the first chat ran from 1 s to 3 s of a 10 s run.
        await Expect(page.Locator($"#span-{chat} rect")).ToHaveAttributeAsync("x", "10%");
        await Expect(page.Locator($"#span-{chat} rect")).ToHaveAttributeAsync("width", "20%");
        var barWidth = await page.Locator($"#span-{root} rect").EvaluateAsync<double>("r => r.getBoundingClientRect().width");
        var chatWidth = await page.Locator($"#span-{chat} rect").EvaluateAsync<double>("r => r.getBoundingClientRect().width");
        Assert.InRange(chatWidth / barWidth, 0.18, 0.22);

        await page.Locator($"#span-{chat}").ClickAsync();

        await Expect(page).ToHaveURLAsync(fixture.Url($"/traces/runs/{trace}#span-{chat}"));
        await Expect(page.Locator($"#span-{chat}")).ToHaveAttributeAsync("aria-selected", "true");
        var detail = page.Locator("#span-detail");
        await Expect(detail.Locator("#span-model")).ToContainTextAsync("gpt-4o");
        await Expect(detail.Locator("#span-attributes tr", new() { HasText = "gen_ai.request.model" })).ToContainTextAsync("gpt-4o");
        await Expect(detail.Locator("#span-tokens")).ToContainTextAsync("120 in, 14 out");
        var conversation = detail.Locator("#span-conversation");
        await Expect(conversation.Locator(".message-user")).ToContainTextAsync("What is the weather in Paris?");
        await Expect(conversation.Locator(".message-assistant .tool-call")).ToContainTextAsync("get_weather");
        await Expect(conversation.Locator(".message-assistant .tool-call")).ToContainTextAsync("\"city\": \"Paris\"");

        var screenshots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots.FullName, "run-waterfall.png"), FullPage = true });

        await page.Keyboard.PressAsync("ArrowDown");
        await Expect(page.Locator($"#span-{tool}")).ToBeFocusedAsync();
        await Expect(detail.Locator("#span-tool")).ToHaveTextAsync("get_weather");
        await Expect(detail.Locator("#span-tool-result")).ToContainTextAsync("sunny");
        await Expect(page).ToHaveURLAsync(fixture.Url($"/traces/runs/{trace}#span-{tool}"));

        // Left folds the tool's subtree, Right unfolds it.
        await page.Keyboard.PressAsync("ArrowLeft");
        await Expect(page.Locator($"#span-{tool}")).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(page.Locator($"#span-{http}")).ToBeHiddenAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Locator($"#span-{http}")).ToBeVisibleAsync();

        await page.Keyboard.PressAsync("ArrowDown");
        await page.Keyboard.PressAsync("ArrowDown");
        await Expect(detail.Locator("#span-error")).ToContainTextAsync("boom");

        // A link with the fragment opens the same span.
        var link = fixture.Url($"/traces/runs/{trace}#span-{http}");
        await using var other = await fixture.OpenAsync();
        await other.SignInAsync(fixture.Server.AdminKey);
        await other.Page.GotoAsync(link);
        await Expect(other.Page.Locator("#span-detail-name")).ToHaveTextAsync("GET api.weather.example");
        await Expect(other.Page.Locator($"#span-{http}")).ToHaveAttributeAsync("aria-selected", "true");
        Assert.DoesNotContain(browser.ConsoleMessages.Concat(other.ConsoleMessages), m => m.StartsWith("pageerror", StringComparison.Ordinal) || m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SessionPage_RunsOfTheSession_InStartOrderWithTotals()
    {
        var agent = Unique("support");
        var session = Unique("conversation");
        var t0 = Now() - 600 * Second;
        var runs = new[] { TraceId(), TraceId(), TraceId() };
        // Sent newest first: the page orders by start, not by arrival.
        await IngestAsync(agent, [.. new[] { 2, 0, 1 }.Select(i => new TestSpan(runs[i], SpanId(), null, $"turn {i + 1}", t0 + i * 60 * Second, t0 + i * 60 * Second + 5 * Second,
            Attributes: [("session.id", session), ("gen_ai.conversation.id", session)]))]);
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;

        await page.GotoAsync("/traces/runs/" + runs[1]);
        await page.Locator("#run-session").ClickAsync();

        await Expect(page).ToHaveURLAsync(fixture.Url("/traces/sessions/" + session));
        await Expect(page.Locator("#session-id")).ToHaveTextAsync(session);
        var rows = page.Locator("#session-table tbody tr");
        await Expect(rows).ToHaveCountAsync(3);
        Assert.Equal(runs, await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.runId)"));
        await Expect(page.Locator("#session-runs")).ToHaveTextAsync("3");
        await rows.Nth(2).GetByRole(AriaRole.Link, new() { Name = "turn 3" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(fixture.Url("/traces/runs/" + runs[2]));
    }

    [Fact]
    public async Task RunPage_TwoThousandSpans_RendersEveryRowAndSelectsADeepSpan()
    {
        var agent = Unique("large");
        var trace = TraceId();
        var t0 = Now() - 1200 * Second;
        var ids = Enumerable.Range(0, 2000).Select(_ => SpanId()).ToArray();
        // A binary heap: span i's parent is span (i - 1) / 2, so the last span is eleven levels deep.
        await IngestAsync(agent, [.. Enumerable.Range(0, 2000).Select(i => new TestSpan(trace, ids[i], i == 0 ? null : ids[(i - 1) / 2],
            i % 3 == 0 ? $"chat step {i}" : $"tool step {i}", t0 + i * (Second / 10), t0 + i * (Second / 10) + Second,
            Kind: i % 3 == 0 ? 3 : 1,
            Attributes: i % 3 == 0
                ? [("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "gpt-4o"), ("gen_ai.usage.input_tokens", 100L + i), ("gen_ai.usage.output_tokens", 10L)]
                : [("gen_ai.operation.name", "execute_tool"), ("gen_ai.tool.name", "lookup"), ("gen_ai.tool.call.arguments", $$"""{"n":{{i}}}""")]))]);
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var page = browser.Page;

        var clock = Stopwatch.StartNew();
        var response = await page.GotoAsync("/traces/runs/" + trace);
        var rows = page.Locator("#waterfall > li");
        await Expect(rows).ToHaveCountAsync(2000);
        var loaded = clock.Elapsed;
        var bytes = (await response!.BodyAsync()).Length;

        var deep = page.Locator("#span-" + ids[1999]);
        await Expect(deep).ToHaveAttributeAsync("aria-level", "11");
        clock.Restart();
        await deep.ClickAsync();
        await Expect(page.Locator("#span-detail-name")).ToHaveTextAsync("tool step 1999");
        var selected = clock.Elapsed;
        await Expect(page.Locator("#span-attributes")).ToContainTextAsync("\"n\": 1999");
        // Figures for docs and reviews, not assertions: timings on a shared CI machine are not a contract.
        var timing = await page.EvaluateAsync<double[]>("""
            () => {
              const n = performance.getEntriesByType('navigation')[0];
              const fetches = performance.getEntriesByType('resource').filter(r => r.name.includes('/spans/'));
              return [n.responseStart - n.requestStart, n.responseEnd - n.requestStart, n.domContentLoadedEventEnd - n.startTime, fetches.length ? fetches[fetches.length - 1].duration : -1];
            }
            """);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"2,000 spans: page {bytes:N0} bytes; first byte {timing[0]:F0} ms, last byte {timing[1]:F0} ms, DOM ready {timing[2]:F0} ms, " +
            $"every row visible {loaded.TotalMilliseconds:F0} ms; deep span fetch {timing[3]:F0} ms, click to detail {selected.TotalMilliseconds:F0} ms");

        // Folding the root hides the other 1,999 rows; selecting through the address unfolds the way back.
        await page.Locator("#span-" + ids[0]).FocusAsync();
        await page.Keyboard.PressAsync("ArrowLeft");
        await Expect(deep).ToBeHiddenAsync();
        await page.EvaluateAsync("id => { location.hash = '#span-' + id; }", ids[1998]);
        await Expect(page.Locator("#span-detail-name")).ToHaveTextAsync("chat step 1998");
        await Expect(page.Locator("#span-" + ids[1998])).ToBeVisibleAsync();
    }

    [Fact]
    public async Task TracePages_UnknownOrMalformedIds_NotFound()
    {
        var trace = TraceId();
        var span = SpanId();
        await IngestAsync(Unique("lonely"), new TestSpan(trace, span, null, "only span", Now() - Second, Now()));
        await using var browser = await fixture.OpenAsync();
        await browser.SignInAsync(fixture.Server.AdminKey);
        var cookie = (await browser.SessionCookieAsync())!.Value;

        Assert.Equal(HttpStatusCode.OK, await fixture.GetWithSessionAsync("/traces/runs/" + trace, cookie));
        Assert.Equal(HttpStatusCode.OK, await fixture.GetWithSessionAsync($"/traces/runs/{trace}/spans/{span}", cookie));
        Assert.Equal(HttpStatusCode.NotFound, await fixture.GetWithSessionAsync("/traces/runs/" + TraceId(), cookie));
        Assert.Equal(HttpStatusCode.NotFound, await fixture.GetWithSessionAsync("/traces/runs/not-a-trace-id", cookie));
        Assert.Equal(HttpStatusCode.NotFound, await fixture.GetWithSessionAsync("/traces/runs/" + trace + "00", cookie));
        Assert.Equal(HttpStatusCode.NotFound, await fixture.GetWithSessionAsync($"/traces/runs/{trace}/spans/{SpanId()}", cookie));
        Assert.Equal(HttpStatusCode.NotFound, await fixture.GetWithSessionAsync($"/traces/runs/{trace}/spans/xyz", cookie));
        Assert.Equal(HttpStatusCode.NotFound, await fixture.GetWithSessionAsync("/traces/sessions/" + Unique("no-such-session"), cookie));
        var page = await browser.Page.GotoAsync("/traces/runs/" + TraceId());
        Assert.Equal(404, page!.Status);
    }

    /// <summary>One span to send.</summary>
    private sealed record TestSpan(
        string TraceId,
        string SpanId,
        string? ParentSpanId,
        string Name,
        long Start,
        long End,
        int Kind = 1,
        int StatusCode = 0,
        string? StatusMessage = null,
        (string Key, object Value)[]? Attributes = null);

    /// <summary>Sends spans through <c>POST /v1/traces</c> as OTLP/JSON with the admin key, from a service named after the agent.</summary>
    private async Task IngestAsync(string agent, params TestSpan[] spans)
    {
        var array = new JsonArray();
        foreach (var span in spans)
        {
            var attributes = new JsonArray();
            foreach (var (key, value) in span.Attributes ?? [])
            {
                JsonObject any = value switch
                {
                    long l => new() { ["intValue"] = l.ToString(CultureInfo.InvariantCulture) },
                    bool b => new() { ["boolValue"] = b },
                    double d => new() { ["doubleValue"] = d },
                    _ => new() { ["stringValue"] = value.ToString() },
                };
                attributes.Add(new JsonObject { ["key"] = key, ["value"] = any });
            }

            var status = new JsonObject { ["code"] = span.StatusCode };
            if (span.StatusMessage is not null)
            {
                status["message"] = span.StatusMessage;
            }

            array.Add(new JsonObject
            {
                ["traceId"] = span.TraceId,
                ["spanId"] = span.SpanId,
                ["parentSpanId"] = span.ParentSpanId ?? "",
                ["name"] = span.Name,
                ["kind"] = span.Kind,
                ["startTimeUnixNano"] = span.Start.ToString(CultureInfo.InvariantCulture),
                ["endTimeUnixNano"] = span.End.ToString(CultureInfo.InvariantCulture),
                ["attributes"] = attributes,
                ["status"] = status,
            });
        }

        var body = new JsonObject
        {
            ["resourceSpans"] = new JsonArray(new JsonObject
            {
                ["resource"] = new JsonObject
                {
                    ["attributes"] = new JsonArray(new JsonObject { ["key"] = "service.name", ["value"] = new JsonObject { ["stringValue"] = agent } }),
                },
                ["scopeSpans"] = new JsonArray(new JsonObject { ["scope"] = new JsonObject { ["name"] = "rein.tests" }, ["spans"] = array }),
            }),
        };
        using var http = fixture.Server.CreateClient();
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v1/traces", content, Ct);
        var answer = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"POST /v1/traces answered {(int)response.StatusCode}: {answer}");
        Assert.DoesNotContain("rejectedSpans\":\"", answer, StringComparison.Ordinal);
    }
}
