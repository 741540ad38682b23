using System.Net;
using System.Text;
using Rein.Testing;

namespace Rein.Client.Tests;

/// <summary>A real server with two runs in session "chat-1": a support run that succeeded (a chat and a tool call
/// under the root) and a later one whose tool failed.</summary>
public sealed class RunsClientFixture : IAsyncLifetime
{
    private readonly ReinServerFixture _rein = new();

    public ReinServerFixture Rein => _rein;

    public OtlpTrace First { get; private set; } = null!;

    public OtlpTrace Second { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await _rein.InitializeAsync();
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        First = new OtlpTrace("support", start);
        var root = First.Root("support", release: "v1", session: "chat-1", user: "u-1");
        First.Chat(root, input: 120, output: 30);
        First.Span("execute_tool lookup", root, 300, 40, 1, null, null,
            ("gen_ai.operation.name", "execute_tool"), ("gen_ai.tool.name", "lookup"), ("lookup.hits", 2L), ("lookup.exact", true));

        Second = new OtlpTrace("support", start.AddMinutes(1));
        var second = Second.Root("support", status: 2, message: "gave up", release: "v1", session: "chat-1", user: "u-1");
        Second.Tool(second, "refund", status: 2, message: "card declined");

        var (_, agentKey) = await _rein.Server.CreateKeyAsync("support", KeyRoles.Agent);
        using var agent = _rein.Server.CreateClient(agentKey);
        using var admin = _rein.Server.CreateClient();
        await First.SendAsync(agent);
        await Second.SendAsync(agent);
        await First.WaitForRunAsync(admin, RunStatuses.Success);
        await Second.WaitForRunAsync(admin, RunStatuses.Failure);
    }

    public ValueTask DisposeAsync() => _rein.DisposeAsync();
}

public sealed class RunsClientTests(RunsClientFixture seeded) : IClassFixture<RunsClientFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ReinClient Admin => seeded.Rein.Admin;

    [Fact]
    public async Task ListAsync_WithStatusFilter_ReturnsOnlyThoseRuns()
    {
        var page = await Admin.Runs.ListAsync(new RunQuery { Status = RunStatuses.Failure }, cancellationToken: Ct);

        var run = Assert.Single(page.Items);
        Assert.Equal(seeded.Second.TraceId, run.Id);
        Assert.Equal("support", run.Agent);
        Assert.Equal("chat-1", run.Session);
        Assert.Equal(RunStatuses.Failure, run.Status);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task ListAllAsync_WithPagesOfOne_ReturnsEveryRunNewestFirst()
    {
        var runs = new List<Run>();
        await foreach (var run in Admin.Runs.ListAllAsync(pageSize: 1, cancellationToken: Ct))
        {
            runs.Add(run);
        }

        Assert.Equal([seeded.Second.TraceId, seeded.First.TraceId], runs.Select(r => r.Id));
    }

    [Fact]
    public async Task GetAsync_Run_ReadsItsSpansWithTypedAttributes()
    {
        var details = await Admin.Runs.GetAsync(seeded.First.TraceId, Ct);

        Assert.Equal(RunStatuses.Success, details.Run.Status);
        Assert.Equal(120, details.Run.Tokens.Input);
        Assert.NotNull(details.Run.Cost);
        Assert.Equal(["agent", "llm", "tool"], details.Spans.Select(s => s.Kind));
        var tool = details.Spans[2];
        Assert.Equal(details.Spans[0].SpanId, tool.ParentSpanId);
        Assert.Equal("lookup", tool.Tool);
        Assert.Equal(2, tool.Attributes["lookup.hits"].GetInt64());
        Assert.True(tool.Attributes["lookup.exact"].GetBoolean());
        Assert.Equal("support", tool.Resource["service.name"].GetString());
        Assert.Equal((seeded.First.Start.ToUnixTimeMilliseconds() * 1_000_000L) + 300_000_000L, tool.StartUnixNano);
        Assert.Equal(seeded.First.Start.AddMilliseconds(300), tool.StartedAt);
    }

    [Fact]
    public async Task GetAsync_Run_ReadsTheExactTimesOfTheRunAndItsSpans()
    {
        var details = await Admin.Runs.GetAsync(seeded.First.TraceId, Ct);

        var t0 = seeded.First.Start.ToUnixTimeMilliseconds() * 1_000_000;
        Assert.Equal((t0, t0 + 1_000_000_000), (details.Run.StartUnixNano, details.Run.EndUnixNano));
        var chat = Assert.Single(details.Spans, s => s.Kind == "llm");
        Assert.Equal((t0 + 10_000_000, t0 + 210_000_000), (chat.StartUnixNano, chat.EndUnixNano));
        Assert.Equal(0, details.Run.Violations);
    }

    [Fact]
    public async Task GetAsync_UnknownRun_Throws404()
    {
        var e = await Assert.ThrowsAsync<ReinApiException>(() => Admin.Runs.GetAsync(Guid.NewGuid().ToString("N"), Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task GetSessionAsync_Session_HasBothRunsOldestFirstAndTheirTotals()
    {
        var session = await Admin.Runs.GetSessionAsync("chat-1", Ct);

        Assert.Equal([seeded.First.TraceId, seeded.Second.TraceId], session.Runs.Select(r => r.Id));
        Assert.Equal(2, session.Totals.Runs);
        Assert.Equal(1 + 1, session.Totals.Errors);
        Assert.Equal(120, session.Totals.InputTokens);
        Assert.False(session.Truncated);
    }

    [Fact]
    public async Task AggregateAsync_ByDay_CountsTheRunsAndTheFailure()
    {
        var aggregates = await Admin.Runs.AggregateAsync(AggregateBuckets.Day, agent: "support", cancellationToken: Ct);

        Assert.Equal(AggregateBuckets.Day, aggregates.Bucket);
        Assert.Equal(2, aggregates.Items.Sum(i => i.Runs));
        Assert.Equal(1, aggregates.Items.Sum(i => i.FailedRuns));
        Assert.All(aggregates.Items, i => Assert.Equal("support", i.Agent));
    }

    [Fact]
    public async Task SetSettingsAsync_ByAdmin_IsWhatGetSettingsAsyncReturns()
    {
        var stored = await Admin.Runs.SetSettingsAsync(new TraceSettings(14, CaptureContent: false), Ct);

        Assert.Equal(new TraceSettings(14, false), stored);
        Assert.Equal(stored, await Admin.Runs.GetSettingsAsync(Ct));
    }

    [Fact]
    public async Task SetSettingsAsync_WithViewerKey_Throws403()
    {
        var viewer = await Admin.Keys.CreateAsync("runs-viewer", KeyRoles.Viewer, cancellationToken: Ct);
        using var client = seeded.Rein.ClientWith(viewer.ApiKey);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.Runs.SetSettingsAsync(new TraceSettings(1, true), Ct));

        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
    }
}

/// <summary>What the client puts on the wire, from a handler that records the request.</summary>
public sealed class RunsClientRequestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ListAsync_WithEveryFilter_SendsEachAsItsQueryParameter()
    {
        var handler = new RecordingHandler("""{"items":[],"next":null}""");
        using var client = new ReinClient(new HttpClient(handler) { BaseAddress = new Uri("http://rein.test/") }, "rein_key");
        var query = new RunQuery
        {
            Agent = "support bot",
            Release = "v1",
            Status = RunStatuses.Escalated,
            Session = "s/1",
            User = "u-1",
            From = new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.FromHours(2)),
            To = new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero),
            MinCost = 0.25m,
            HasError = false,
            Tool = "search",
        };

        await client.Runs.ListAsync(query, "cur", 7, Ct);

        Assert.Equal(
            "/api/v1/runs?agent=support%20bot&release=v1&status=escalated&session=s%2F1&user=u-1&from=2026-11-01T08%3A00%3A00.0000000Z" +
            "&to=2026-11-02T00%3A00%3A00.0000000Z&minCost=0.25&hasError=false&tool=search&limit=7&cursor=cur",
            handler.LastRequest!.RequestUri!.PathAndQuery);
    }

    [Fact]
    public async Task GetAsync_IdWithASlash_IsEscapedIntoOneSegment()
    {
        var handler = new RecordingHandler("{}", HttpStatusCode.NotFound);
        using var client = new ReinClient(new HttpClient(handler) { BaseAddress = new Uri("http://rein.test/") }, "rein_key");

        await Assert.ThrowsAsync<ReinApiException>(() => client.Runs.GetAsync("../keys", Ct));

        Assert.Equal("/api/v1/runs/..%2Fkeys", handler.LastRequest!.RequestUri!.PathAndQuery);
    }

    private sealed class RecordingHandler(string body, HttpStatusCode status = HttpStatusCode.OK) : HttpMessageHandler
    {
        public HttpRequestMessage? LastRequest { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastRequest = request;
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json"), RequestMessage = request });
        }
    }
}
