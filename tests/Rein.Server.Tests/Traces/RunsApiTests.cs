using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rein.Server.Tests.Hosting;
using Rein.Testing;

namespace Rein.Server.Tests.Traces;

/// <summary>
/// One host, seeded once through <c>POST /v1/traces</c> with four runs that differ in every filtered field:
/// A (support v1, session s-1, user u-1, success, tool search), B (support v2, s-1, u-2, failure, tool refund and a
/// check failed: three error spans),
/// C (billing, no root span yet: running, a model with no price), D (billing v3, s-2, u-3, escalated, the costly one).
/// They start a minute apart, A first, inside one hour.
/// </summary>
public sealed class RunsApiFixture : IAsyncLifetime
{
    private TestHost? _host;

    public TestHost Host => _host ?? throw new InvalidOperationException("The host has not started.");

    public DateTimeOffset T0 { get; private set; }

    public OtlpTrace A { get; private set; } = null!;

    public OtlpTrace B { get; private set; } = null!;

    public OtlpTrace C { get; private set; } = null!;

    public OtlpTrace D { get; private set; } = null!;

    public string ViewerKey { get; private set; } = "";

    public string AgentKey { get; private set; } = "";

    /// <summary>The admin key of another project, which must see none of this project's runs.</summary>
    public string OtherProjectKey { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _host = await TestHost.StartAsync();
        using var admin = _host.Client(_host.AdminKey);
        ViewerKey = await CreateKeyAsync(admin, "viewer");
        // An agent key's agent is its name: each agent sends its own traces with its own key.
        AgentKey = await CreateKeyAsync(admin, "agent", "support");
        var billingKey = await CreateKeyAsync(admin, "agent", "billing");
        var project = await (await admin.PostAsJsonAsync("/api/v1/projects", new { id = "elsewhere" })).Content.ReadFromJsonAsync<JsonElement>();
        OtherProjectKey = project.GetProperty("apiKey").GetString()!;

        var now = DateTimeOffset.UtcNow;
        T0 = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 10, 0, TimeSpan.Zero).AddHours(-2);

        A = new OtlpTrace("support", T0);
        var a = A.Root("support", release: "v1", session: "s-1", user: "u-1");
        A.Chat(a, input: 100, output: 20);
        A.Span("execute_tool search", a, 300, 50, 1, null, null,
            ("gen_ai.operation.name", "execute_tool"), ("gen_ai.tool.name", "search"), ("custom.flag", true), ("custom.count", 3L), ("custom.ratio", 0.5));

        B = new OtlpTrace("support", T0.AddMinutes(1));
        var b = B.Root("support", status: 2, message: "refund failed", release: "v2", session: "s-1", user: "u-2");
        B.Chat(b, input: 50, output: 10);
        B.Tool(b, "refund", status: 2, message: "card declined");
        B.Span("validate answer", b, 600, 5, 2, "schema mismatch");

        C = new OtlpTrace("billing", T0.AddMinutes(2));
        C.Chat(OtlpTrace.NewSpanId(), model: "no-such-model-for-tests", input: 10, output: 5);

        D = new OtlpTrace("billing", T0.AddMinutes(3));
        var d = D.Root("billing", release: "v3", session: "s-2", user: "u-3", outcome: "escalated");
        D.Chat(d, input: 10_000, output: 1_000);

        using var support = _host.Client(AgentKey);
        using var billing = _host.Client(billingKey);
        using var viewer = _host.Client(ViewerKey);
        foreach (var trace in new[] { A, B })
        {
            await trace.SendAsync(support);
        }

        foreach (var trace in new[] { C, D })
        {
            await trace.SendAsync(billing);
        }

        await A.WaitForRunAsync(viewer, "success");
        await B.WaitForRunAsync(viewer, "failure");
        await C.WaitForRunAsync(viewer, "running");
        await D.WaitForRunAsync(viewer, "escalated");
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    public static string Time(DateTimeOffset at) => Uri.EscapeDataString(at.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

    private static async Task<string> CreateKeyAsync(HttpClient admin, string role, string? name = null)
    {
        var created = await (await admin.PostAsJsonAsync("/api/v1/keys", new { name = name ?? role, role })).Content.ReadFromJsonAsync<JsonElement>();
        return created.GetProperty("apiKey").GetString()!;
    }
}

public sealed partial class RunsApiTests(RunsApiFixture seeded) : IClassFixture<RunsApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string[]> Filters => new()
    {
        { "agent=support", ["B", "A"] },
        { "agent=billing", ["D", "C"] },
        { "release=v1", ["A"] },
        { "status=success", ["A"] },
        { "status=failure", ["B"] },
        { "status=running", ["C"] },
        { "status=escalated", ["D"] },
        { "session=s-1", ["B", "A"] },
        { "user=u-1", ["A"] },
        { "tool=refund", ["B"] },
        { "hasError=true", ["B"] },
        { "minCost=0.03", ["D"] },
        { "agent=support&status=success", ["A"] },
        { "agent=nobody", [] },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task List_WithFilter_ReturnsTheMatchingRunsNewestFirst(string query, string[] expected)
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        var page = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/runs?{query}", Ct);

        Assert.Equal(expected, Ids(page));
    }

    [Fact]
    public async Task List_WithFromAndTo_ReturnsRunsStartedInside()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        var page = await viewer.GetFromJsonAsync<JsonElement>(
            $"/api/v1/runs?from={RunsApiFixture.Time(seeded.T0.AddSeconds(30))}&to={RunsApiFixture.Time(seeded.T0.AddSeconds(150))}", Ct);

        Assert.Equal(["C", "B"], Ids(page));
    }

    [Fact]
    public async Task List_WithLimitOne_WalksEveryPageByCursor()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/runs?limit=1{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", Ct);
            seen.AddRange(Ids(page));
            cursor = page.GetProperty("next").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(["D", "C", "B", "A"], seen);
        Assert.Equal(4, pages);
    }

    [Fact]
    public async Task List_Run_HasTheDocumentedShape()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        var page = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/runs?status=failure", Ct);

        var run = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(seeded.B.TraceId, run.GetProperty("id").GetString());
        Assert.Equal("default", run.GetProperty("projectId").GetString());
        Assert.Equal("invoke_agent support", run.GetProperty("name").GetString());
        Assert.Equal("support", run.GetProperty("agent").GetString());
        Assert.Equal("v2", run.GetProperty("release").GetString());
        Assert.Equal("s-1", run.GetProperty("session").GetString());
        Assert.Equal("u-2", run.GetProperty("user").GetString());
        Assert.Equal("failure", run.GetProperty("status").GetString());
        Assert.Equal(seeded.T0.AddMinutes(1), run.GetProperty("startedAt").GetDateTimeOffset());
        Assert.Equal(1000, run.GetProperty("durationMs").GetDouble());
        Assert.Equal(4, run.GetProperty("spans").GetInt32());
        Assert.Equal(2, run.GetProperty("steps").GetInt32());
        Assert.Equal(1, run.GetProperty("toolCalls").GetInt32());
        Assert.Equal(3, run.GetProperty("errors").GetInt32());
        Assert.Equal(50, run.GetProperty("tokens").GetProperty("input").GetInt64());
        Assert.Equal(10, run.GetProperty("tokens").GetProperty("output").GetInt64());
        Assert.Equal(JsonValueKind.Number, run.GetProperty("cost").ValueKind);
        Assert.Equal(0, run.GetProperty("unpricedSpans").GetInt32());
    }

    [Fact]
    public async Task List_RunWithAnUnpricedModel_HasNullCost()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        var page = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/runs?status=running", Ct);

        var run = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("cost").ValueKind);
        Assert.Equal(1, run.GetProperty("unpricedSpans").GetInt32());
    }

    [Theory]
    [InlineData("status=done", "status")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-13-01", "to")]
    [InlineData("minCost=-1", "minCost")]
    [InlineData("minCost=cheap", "minCost")]
    [InlineData("hasError=maybe", "hasError")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to")]
    public async Task List_BadParameter_Is400NamingIt(string query, string parameter)
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        using var response = await viewer.GetAsync($"/api/v1/runs?{query}", Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
        Assert.StartsWith(parameter + ":", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_LimitNotANumber_Is400NamingLimit()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        using var response = await viewer.GetAsync("/api/v1/runs?limit=ten", Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("'limit'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_FilterLongerThanTheBound_Is400()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        using var response = await viewer.GetAsync($"/api/v1/runs?agent={new string('a', Rein.Server.Traces.RunsApi.MaxFilterLength + 1)}", Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("agent", out _), problem.ToString());
    }

    [Fact]
    public async Task List_WithAnotherProjectsKey_SeesNoneOfTheseRuns()
    {
        using var other = seeded.Host.Client(seeded.OtherProjectKey);

        var page = await other.GetFromJsonAsync<JsonElement>("/api/v1/runs", Ct);

        Assert.Empty(page.GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("agent", HttpStatusCode.Forbidden)]
    [InlineData("viewer", HttpStatusCode.OK)]
    [InlineData("admin", HttpStatusCode.OK)]
    [InlineData("none", HttpStatusCode.Unauthorized)]
    public async Task List_ByRole_NeedsTheReadPermission(string role, HttpStatusCode expected)
    {
        using var client = seeded.Host.Client(role switch
        {
            "agent" => seeded.AgentKey,
            "viewer" => seeded.ViewerKey,
            "admin" => seeded.Host.AdminKey,
            _ => null,
        });

        using var response = await client.GetAsync("/api/v1/runs", Ct);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Get_Run_ReturnsTheRunAndItsSpansAsPlainJson()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        var detail = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{seeded.A.TraceId}", Ct);

        Assert.Equal(seeded.A.TraceId, detail.GetProperty("run").GetProperty("id").GetString());
        var spans = detail.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal(["agent", "llm", "tool"], spans.Select(s => s.GetProperty("kind").GetString()));
        var root = spans[0];
        Assert.Equal(JsonValueKind.Null, root.GetProperty("parentSpanId").ValueKind);
        Assert.Equal("ok", root.GetProperty("status").GetString());
        Assert.Equal((seeded.T0.ToUnixTimeMilliseconds() * 1_000_000L).ToString(System.Globalization.CultureInfo.InvariantCulture), root.GetProperty("startUnixNano").GetString());
        Assert.Matches(MicrosecondTime(), root.GetProperty("startedAt").GetString());
        Assert.Equal("support", root.GetProperty("resource").GetProperty("service.name").GetString());
        var chat = spans[1];
        Assert.Equal(root.GetProperty("spanId").GetString(), chat.GetProperty("parentSpanId").GetString());
        Assert.Equal("gpt-4o", chat.GetProperty("model").GetString());
        Assert.Equal(100, chat.GetProperty("tokens").GetProperty("input").GetInt64());
        Assert.Equal(200, chat.GetProperty("durationMs").GetDouble());
        var tool = spans[2].GetProperty("attributes");
        Assert.Equal("search", spans[2].GetProperty("tool").GetString());
        Assert.Equal(JsonValueKind.True, tool.GetProperty("custom.flag").ValueKind);
        Assert.Equal(3, tool.GetProperty("custom.count").GetInt64());
        Assert.Equal(0.5, tool.GetProperty("custom.ratio").GetDouble());
        Assert.Equal("search", tool.GetProperty("gen_ai.tool.name").GetString());
    }

    [Fact]
    public async Task Get_FailedSpan_CarriesErrorStatusAndMessage()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        var detail = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{seeded.B.TraceId}", Ct);

        var tool = detail.GetProperty("spans").EnumerateArray().Single(s => s.GetProperty("kind").GetString() == "tool");
        Assert.Equal("error", tool.GetProperty("status").GetString());
        Assert.Equal("card declined", tool.GetProperty("statusMessage").GetString());
    }

    [Fact]
    public async Task Get_UpperCaseId_FindsTheRun()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        using var response = await viewer.GetAsync($"/api/v1/runs/{seeded.A.TraceId.ToUpperInvariant()}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("another project")]
    [InlineData("not hex")]
    [InlineData("unknown")]
    public async Task Get_RunNotInTheProject_Is404(string scenario)
    {
        var (key, id) = scenario switch
        {
            "another project" => (seeded.OtherProjectKey, seeded.A.TraceId),
            "not hex" => (seeded.ViewerKey, "zz" + seeded.A.TraceId[2..]),
            _ => (seeded.ViewerKey, Guid.NewGuid().ToString("N")),
        };
        using var client = seeded.Host.Client(key);

        using var response = await client.GetAsync($"/api/v1/runs/{id}", Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains(id, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_ListsItsRunsOldestFirstWithTotals()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        var session = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/sessions/s-1", Ct);

        Assert.Equal("s-1", session.GetProperty("id").GetString());
        Assert.Equal(["A", "B"], session.GetProperty("runs").EnumerateArray().Select(r => Name(r.GetProperty("id").GetString())));
        Assert.False(session.GetProperty("truncated").GetBoolean());
        var totals = session.GetProperty("totals");
        Assert.Equal(2, totals.GetProperty("runs").GetInt32());
        Assert.Equal(3, totals.GetProperty("errors").GetInt32());
        Assert.Equal(150, totals.GetProperty("inputTokens").GetInt64());
        Assert.Equal(30, totals.GetProperty("outputTokens").GetInt64());
        Assert.Equal(JsonValueKind.Number, totals.GetProperty("cost").ValueKind);
    }

    [Theory]
    [InlineData("another project", "s-1")]
    [InlineData("unknown", "s-404")]
    public async Task Session_NotInTheProject_Is404(string scenario, string id)
    {
        using var client = seeded.Host.Client(scenario == "another project" ? seeded.OtherProjectKey : seeded.ViewerKey);

        using var response = await client.GetAsync($"/api/v1/sessions/{id}", Ct);

        await ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Aggregate_ByHour_CountsEachAgentsRunsInTheirHour()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        var aggregate = await viewer.GetFromJsonAsync<JsonElement>(
            $"/api/v1/runs/aggregate?bucket=hour&from={RunsApiFixture.Time(seeded.T0.AddHours(-1))}&to={RunsApiFixture.Time(seeded.T0.AddHours(1))}", Ct);

        Assert.Equal("hour", aggregate.GetProperty("bucket").GetString());
        var items = aggregate.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("agent").GetString()!);
        Assert.Equal(["billing", "support"], items.Keys.Order());
        var support = items["support"];
        Assert.Equal(seeded.T0.AddMinutes(-10), support.GetProperty("bucketStart").GetDateTimeOffset());
        Assert.Equal(2, support.GetProperty("runs").GetInt32());
        Assert.Equal(1, support.GetProperty("failedRuns").GetInt32());
        Assert.Equal(1, support.GetProperty("runsWithErrors").GetInt32());
        Assert.Equal(0.5, support.GetProperty("errorRate").GetDouble());
        Assert.Equal(150, support.GetProperty("inputTokens").GetInt64());
        Assert.Equal(1, items["billing"].GetProperty("unpricedRuns").GetInt32());
    }

    [Fact]
    public async Task Aggregate_WithoutRange_DefaultsToTheLastDay()
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        var aggregate = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/runs/aggregate?agent=support", Ct);

        Assert.Equal(2, aggregate.GetProperty("items").EnumerateArray().Sum(i => i.GetProperty("runs").GetInt32()));
    }

    [Theory]
    [InlineData("bucket=week", "bucket")]
    [InlineData("bucket=hour&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "from")]
    [InlineData("bucket=day&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to")]
    [InlineData("from=soon", "from")]
    public async Task Aggregate_BadParameter_Is400NamingIt(string query, string parameter)
    {
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        using var response = await viewer.GetAsync($"/api/v1/runs/aggregate?{query}", Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
    }

    [Fact]
    public async Task Settings_PutByAdmin_IsWhatGetAnswersAfter()
    {
        using var admin = seeded.Host.Client(seeded.Host.AdminKey);
        using var viewer = seeded.Host.Client(seeded.ViewerKey);

        using var put = await admin.PutAsJsonAsync("/api/v1/traces/settings", new { retentionDays = 7, captureContent = false }, Ct);
        var read = await viewer.GetFromJsonAsync<JsonElement>("/api/v1/traces/settings", Ct);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(7, read.GetProperty("retentionDays").GetInt32());
        Assert.False(read.GetProperty("captureContent").GetBoolean());
    }

    [Theory]
    [InlineData("viewer")]
    [InlineData("agent")]
    public async Task Settings_PutWithoutAdmin_Is403(string role)
    {
        using var client = seeded.Host.Client(role == "viewer" ? seeded.ViewerKey : seeded.AgentKey);

        using var response = await client.PutAsJsonAsync("/api/v1/traces/settings", new { retentionDays = 1, captureContent = true }, Ct);

        await ProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("""{"retentionDays":0,"captureContent":true}""", "retentionDays")]
    [InlineData("""{"captureContent":true}""", "retentionDays")]
    [InlineData("""{"retentionDays":30}""", "captureContent")]
    [InlineData("""{"retentionDays":30,"captureContent":true,"retention":1}""", "retention")]
    public async Task Settings_PutInvalidBody_Is400NamingTheField(string body, string field)
    {
        using var admin = seeded.Host.Client(seeded.Host.AdminKey);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await admin.PutAsync("/api/v1/traces/settings", content, Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(field, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private IEnumerable<string> Ids(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(r => Name(r.GetProperty("id").GetString()));

    /// <summary>The fixture's letter for a run id, so failures read as "B, A" rather than two trace ids.</summary>
    private string Name(string? id) =>
        id == seeded.A.TraceId ? "A" : id == seeded.B.TraceId ? "B" : id == seeded.C.TraceId ? "C" : id == seeded.D.TraceId ? "D" : id ?? "null";

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")]
    private static partial Regex MicrosecondTime();
}
