using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Core.Identity;
using Rein.Core.Traces;
using Rein.Server.Identity;
using Rein.Server.Storage;
using Rein.Server.Tests.Storage;
using Rein.Server.Traces;
using Rein.Testing;

namespace Rein.Server.Tests.Traces;

/// <summary>Ingest through the writer into each database, then reading back: the run must come out the same whatever
/// order, grouping or repetition the spans arrived in.</summary>
public abstract partial class TraceStoreTests : StorageTestBase
{
    private static readonly long T0 = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000;
    private static int _nextTrace;

    private readonly TracesOptions _options = new();
    private TraceWriter _writer = null!;

    protected TraceQueries Queries { get; private set; } = null!;

    protected TraceIngest Ingest { get; private set; } = null!;

    internal TraceStore Store { get; private set; } = null!;

    /// <summary>The options the writer and queries are built with; change them before the first ingest.</summary>
    protected TracesOptions Options => _options;

    protected async Task StartAsync()
    {
        if (_writer is not null)
        {
            return;
        }

        Store = new TraceStore(H.Database);
        _writer = new TraceWriter(Store, _options, H.Time, NullLogger<TraceWriter>.Instance);
        await _writer.StartAsync(Ct);
        Queries = new TraceQueries(Store, H.Database, H.Audit, _options, H.Time, NullLogger<TraceQueries>.Instance);
        Ingest = new TraceIngest(_writer, Queries, TracesRegistration.CreateNormalizer(_options), _options, NullLogger<TraceIngest>.Instance);
    }

    protected static string NewTraceId() => Interlocked.Increment(ref _nextTrace).ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    protected static string SpanId(int n) => (n + 1).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    private static readonly IReadOnlyList<SpanAttribute> Resource = [new("service.name", "support-svc")];

    protected static RawSpan Span(string trace, int id, int? parent, string name, long startMs, long durationMs, params SpanAttribute[] attributes) => new()
    {
        TraceId = trace,
        SpanId = SpanId(id),
        ParentSpanId = parent is { } p ? SpanId(p) : null,
        Name = name,
        Kind = 1,
        StartUnixNano = T0 + (startMs * 1_000_000),
        EndUnixNano = T0 + ((startMs + durationMs) * 1_000_000),
        Attributes = attributes,
        Resource = Resource,
    };

    protected static RawSpan Chat(string trace, int id, int parent, long startMs, long input, long output, string model = "gpt-4o") =>
        Span(trace, id, parent, "chat " + model, startMs, 100,
            new("gen_ai.operation.name", "chat"), new("gen_ai.request.model", model),
            new("gen_ai.usage.input_tokens", input), new("gen_ai.usage.output_tokens", output));

    protected static RawSpan Tool(string trace, int id, int parent, long startMs, string tool, bool error = false) =>
        new()
        {
            TraceId = trace,
            SpanId = SpanId(id),
            ParentSpanId = SpanId(parent),
            Name = "execute_tool " + tool,
            StartUnixNano = T0 + (startMs * 1_000_000),
            EndUnixNano = T0 + ((startMs + 20) * 1_000_000),
            Attributes = [new("gen_ai.operation.name", "execute_tool"), new("gen_ai.tool.name", tool)],
            Status = error ? SpanStatus.Error : SpanStatus.Unset,
            StatusMessage = error ? "tool failed" : null,
            Resource = Resource,
        };

    protected static RawSpan Root(string trace, long startMs = 0, long durationMs = 1000, string agent = "support", params SpanAttribute[] extra) =>
        Span(trace, 0, null, "invoke_agent " + agent, startMs, durationMs,
            [new("gen_ai.operation.name", "invoke_agent"), new("gen_ai.agent.name", agent), .. extra]);

    protected async Task<IngestResult> SendAsync(params RawSpan[] spans) => await SendAsAsync(H.Admin, spans);

    protected async Task<IngestResult> SendAsAsync(Caller caller, params RawSpan[] spans)
    {
        await StartAsync();
        return await Ingest.IngestAsync(caller, spans, 0, null, Ct);
    }

    private async Task<RunDetail> RunAsync(string trace)
    {
        await StartAsync();
        return await Queries.GetRunAsync(H.Admin, trace, Ct) ?? throw new InvalidOperationException("no run " + trace);
    }

    [Fact]
    public async Task Ingest_AgentRun_SummarisesAgentStepsTokensAndCost()
    {
        var trace = NewTraceId();
        await SendAsync(
            Root(trace, extra: [new("gen_ai.conversation.id", "conv-1"), new("user.id", "u-7"), new("gen_ai.agent.version", "v3")]),
            Chat(trace, 1, 0, 10, input: 1_000_000, output: 100_000),
            Tool(trace, 2, 0, 200, "search"),
            Tool(trace, 3, 0, 300, "refund", error: true));

        var run = (await RunAsync(trace)).Run;

        Assert.Equal("support", run.Agent);
        Assert.Equal("v3", run.Release);
        Assert.Equal("conv-1", run.Session);
        Assert.Equal("u-7", run.User);
        Assert.Equal(RunStatus.Success, run.Status);
        Assert.Equal(4, run.Spans);
        Assert.Equal(3, run.Steps);
        Assert.Equal(2, run.ToolCalls);
        Assert.Equal(1, run.Errors);
        Assert.Equal(1_000_000, run.InputTokens);
        Assert.Equal(100_000, run.OutputTokens);
        // gpt-4o lists at $2.50 in and $10 out per million tokens: 2.50 + 1.00.
        Assert.Equal(3.50m, run.Cost);
        Assert.Equal(1000, run.DurationMs);
    }

    [Fact]
    public async Task Ingest_ModelWithoutPrice_CostIsUnknownNotZero()
    {
        var trace = NewTraceId();
        await SendAsync(Root(trace), Chat(trace, 1, 0, 10, 500, 50, model: "house-model-9"));

        var detail = await RunAsync(trace);

        Assert.Null(detail.Run.Cost);
        Assert.Equal(1, detail.Run.UnpricedSpans);
        var chat = Assert.Single(detail.Spans, s => s.Kind == StepKind.Llm);
        Assert.True(chat.CostUnknown);
        Assert.Null(chat.Cost);
    }

    [Fact]
    public async Task Ingest_SameSpansTwice_ChangesNothing()
    {
        var trace = NewTraceId();
        RawSpan[] spans = [Root(trace), Chat(trace, 1, 0, 10, 100, 10), Tool(trace, 2, 0, 200, "search")];
        var first = await SendAsync(spans);
        var before = (await RunAsync(trace)).Run;

        var second = await SendAsync(spans);
        var after = await RunAsync(trace);

        Assert.Equal((3, 0), (first.Accepted, first.Rejected));
        Assert.Equal((3, 0), (second.Accepted, second.Rejected));
        Assert.Equal(before with { }, after.Run);
        Assert.Equal(3, after.Spans.Count);
    }

    [Fact]
    public async Task Ingest_ChildrenBeforeRoot_RunIsRunningThenCompletes()
    {
        var trace = NewTraceId();
        await SendAsync(Chat(trace, 1, 0, 10, 100, 10), Tool(trace, 2, 0, 200, "search"));
        var early = (await RunAsync(trace)).Run;

        await SendAsync(Root(trace, startMs: 0, durationMs: 2000));
        var done = await RunAsync(trace);

        Assert.Equal(RunStatus.Running, early.Status);
        Assert.Null(early.Name);
        Assert.Equal(RunStatus.Success, done.Run.Status);
        Assert.Equal("invoke_agent support", done.Run.Name);
        Assert.Equal(3, done.Run.Spans);
        Assert.Equal(2000, done.Run.DurationMs);
        Assert.Equal(done.Spans[0].SpanId, done.Spans[1].ParentSpanId);
    }

    [Fact]
    public async Task Ingest_SpanAfterRunLookedFinished_JoinsTheSameRun()
    {
        var trace = NewTraceId();
        await SendAsync(Root(trace, durationMs: 500), Chat(trace, 1, 0, 10, 100, 10));

        await SendAsync(Tool(trace, 2, 1, 900, "late-tool"));
        var run = (await RunAsync(trace)).Run;

        Assert.Equal(3, run.Spans);
        Assert.Equal(920, run.DurationMs);
        await StartAsync();
        var withTool = await Queries.ListRunsAsync(H.Admin, new RunFilter { Tool = "late-tool" }, null, 10, Ct);
        Assert.Equal(trace, Assert.Single(withTool.Items).Id);
    }

    [Fact]
    public async Task Ingest_AgentNameFromServiceFirst_IsReplacedByTheAgentSpanThatArrivesLater()
    {
        var trace = NewTraceId();
        await SendAsync(Chat(trace, 1, 0, 10, 1, 1));
        var before = (await RunAsync(trace)).Run;

        await SendAsync(Root(trace, agent: "billing"));
        var after = (await RunAsync(trace)).Run;

        Assert.Equal("support-svc", before.Agent);
        Assert.Equal("billing", after.Agent);
    }

    [Fact]
    public async Task Ingest_OutcomeAttribute_OverridesRootStatus()
    {
        var trace = NewTraceId();
        await SendAsync(Root(trace, extra: new SpanAttribute("rein.run.outcome", "escalated")));

        Assert.Equal(RunStatus.Escalated, (await RunAsync(trace)).Run.Status);
    }

    [Fact]
    public async Task Ingest_RootWithErrorStatus_IsAFailure()
    {
        var trace = NewTraceId();
        var root = Root(trace);
        await SendAsync(new RawSpan
        {
            TraceId = root.TraceId,
            SpanId = root.SpanId,
            Name = root.Name,
            StartUnixNano = root.StartUnixNano,
            EndUnixNano = root.EndUnixNano,
            Attributes = root.Attributes,
            Resource = root.Resource,
            Status = SpanStatus.Error,
            StatusMessage = "gave up",
        });

        var runs = await Queries.ListRunsAsync(H.Admin, new RunFilter { Status = RunStatus.Failure }, null, 100, Ct);

        Assert.Contains(runs.Items, r => r.Id == trace);
        Assert.Equal(RunStatus.Failure, (await RunAsync(trace)).Run.Status);
    }

    [Fact]
    public async Task GetRunAsync_AnotherProjectsRun_IsNull()
    {
        var trace = NewTraceId();
        await SendAsync(Root(trace));
        var (other, _) = await H.CreateProjectAsync("other");

        Assert.Null(await Queries.GetRunAsync(other, trace, Ct));
        Assert.Empty((await Queries.ListRunsAsync(other, new RunFilter(), null, 10, Ct)).Items);
    }

    [Fact]
    public async Task IngestAsync_ViewerKey_IsRefused()
    {
        var (viewer, _) = await H.CreateCallerAsync(Role.Viewer);

        var e = await Assert.ThrowsAsync<ReinProblemException>(() => SendAsAsync(viewer, Root(NewTraceId())));

        Assert.Equal(403, e.Status);
    }

    [Fact]
    public async Task ListRunsAsync_Filters_CombineAndPageNewestFirst()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var trace = NewTraceId();
            ids.Add(trace);
            await SendAsync(
                Root(trace, startMs: i * 10_000, agent: i % 2 == 0 ? "even" : "odd", extra: new SpanAttribute("session.id", "s1")),
                Chat(trace, 1, 0, (i * 10_000) + 5, 1000 * (i + 1), 10),
                Tool(trace, 2, 0, (i * 10_000) + 50, i == 3 ? "refund" : "search", error: i == 4));
        }

        var all = await Queries.ListRunsAsync(H.Admin, new RunFilter(), null, 2, Ct);
        var second = await Queries.ListRunsAsync(H.Admin, new RunFilter(), all.Next, 2, Ct);
        var third = await Queries.ListRunsAsync(H.Admin, new RunFilter(), second.Next, 2, Ct);

        Assert.Equal([ids[4], ids[3], ids[2], ids[1], ids[0]], [.. all.Items.Concat(second.Items).Concat(third.Items).Select(r => r.Id)]);
        Assert.Null(third.Next);
        Assert.Equal([ids[4], ids[2], ids[0]], Ids(await Queries.ListRunsAsync(H.Admin, new RunFilter { Agent = "even" }, null, 10, Ct)));
        Assert.Equal([ids[3]], Ids(await Queries.ListRunsAsync(H.Admin, new RunFilter { Tool = "refund" }, null, 10, Ct)));
        Assert.Equal([ids[4]], Ids(await Queries.ListRunsAsync(H.Admin, new RunFilter { HasError = true }, null, 10, Ct)));
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(T0 / 1_000_000);
        Assert.Equal([ids[2], ids[1]], Ids(await Queries.ListRunsAsync(H.Admin, new RunFilter { From = t0.AddSeconds(10), To = t0.AddSeconds(30) }, null, 10, Ct)));
        // Input costs $2.50 per million: run i costs 1000·(i+1)·2.5e-6 + 10·1e-5 dollars.
        Assert.Equal([ids[4], ids[3]], Ids(await Queries.ListRunsAsync(H.Admin, new RunFilter { MinCost = 0.0101m }, null, 10, Ct)));
        Assert.Equal([ids[4], ids[2]], Ids(await Queries.ListRunsAsync(H.Admin, new RunFilter { Agent = "even", From = t0.AddSeconds(15) }, null, 10, Ct)));

        var session = await Queries.GetSessionAsync(H.Admin, "s1", Ct);
        Assert.Equal(ids, [.. session!.Runs.Select(r => r.Id)]);
    }

    private static List<string> Ids(Page<RunSummary> page) => [.. page.Items.Select(r => r.Id)];

    [Fact]
    public async Task ListRunsAsync_ForeignCursor_IsA400()
    {
        await StartAsync();

        var e = await Assert.ThrowsAsync<ReinProblemException>(() => Queries.ListRunsAsync(H.Admin, new RunFilter(), "not-a-cursor", 10, Ct));

        Assert.Equal(400, e.Status);
    }

    [Fact]
    public async Task AggregateAsync_HourBuckets_CountErrorsAndPercentiles()
    {
        for (var i = 0; i < 10; i++)
        {
            var trace = NewTraceId();
            var root = Root(trace, startMs: i * 1000, durationMs: (i + 1) * 100);
            await SendAsync(i == 9 ? new RawSpan
            {
                TraceId = trace,
                SpanId = root.SpanId,
                Name = root.Name,
                StartUnixNano = root.StartUnixNano,
                EndUnixNano = root.EndUnixNano,
                Attributes = root.Attributes,
                Resource = root.Resource,
                Status = SpanStatus.Error,
            } : root);
        }

        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(T0 / 1_000_000);
        var rows = await Queries.AggregateAsync(H.Admin, AggregateBucket.Hour, t0.AddHours(-1), t0.AddHours(1), "support", Ct);

        var row = Assert.Single(rows);
        Assert.Equal(t0, row.BucketStart);
        Assert.Equal(10, row.Runs);
        Assert.Equal(1, row.FailedRuns);
        Assert.Equal(0.1, row.ErrorRate);
        Assert.Equal(500, row.P50DurationMs);
        Assert.Equal(1000, row.P95DurationMs);
    }

    [Fact]
    public async Task Settings_SetThenGet_IsAuditedAndDefaultsComeFromOptions()
    {
        await StartAsync();
        var defaults = await Queries.GetSettingsAsync(H.Admin, Ct);

        await Queries.SetSettingsAsync(H.Admin, new TraceSettings(7, false), Ct);
        var changed = await Queries.GetSettingsAsync(H.Admin, Ct);
        var audit = await H.Audit.ListAsync(H.Admin.ProjectId, null, 1, null, Ct);

        Assert.Equal(new TraceSettings(30, true), defaults);
        Assert.Equal(new TraceSettings(7, false), changed);
        Assert.Equal("traces.settings", audit[0].Action);
        var e = await Assert.ThrowsAsync<ReinProblemException>(() => Queries.SetSettingsAsync(H.Admin, new TraceSettings(0, true), Ct));
        Assert.Equal(400, e.Status);
    }

    [Fact]
    public async Task Ingest_RunAtMaxSpansPerTrace_RefusesLaterSpansAndSaysWhy()
    {
        Options.MaxSpansPerTrace = 3;
        var trace = NewTraceId();
        await SendAsync(Root(trace), Chat(trace, 1, 0, 10, 1, 1));

        var result = await SendAsync(Tool(trace, 2, 0, 20, "a"), Tool(trace, 3, 0, 30, "b"), Tool(trace, 2, 0, 20, "a"));
        var run = (await RunAsync(trace)).Run;

        Assert.Equal(3, run.Spans);
        Assert.Equal(1, result.Rejected);
        Assert.Contains("MaxSpansPerTrace", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_OverMaxSpansPerRequest_StoresTheFirstAndRefusesTheRest()
    {
        Options.MaxSpansPerRequest = 2;
        var trace = NewTraceId();

        var result = await SendAsync(Root(trace), Chat(trace, 1, 0, 10, 1, 1), Tool(trace, 2, 0, 20, "a"));

        Assert.Equal((2, 1), (result.Accepted, result.Rejected));
        Assert.Contains("MaxSpansPerRequest", result.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync(trace)).Run.Spans);
    }

    [Fact]
    public async Task EnqueueAsync_QueueFull_IsUnavailableWithRetryAfterAndLosesNothingAccepted()
    {
        Options.QueueCapacity = 3;
        // A writer that is not started yet: what is queued stays queued.
        var writer = new TraceWriter(new TraceStore(H.Database), Options, H.Time, NullLogger<TraceWriter>.Instance);
        var normalizer = TracesRegistration.CreateNormalizer(Options);
        var trace = NewTraceId();
        var first = writer.EnqueueAsync(H.Admin.ProjectId, H.Admin.KeyId, [normalizer.Normalize(Root(trace), true), normalizer.Normalize(Chat(trace, 1, 0, 1, 1, 1), true)], Ct);

        var full = await Assert.ThrowsAsync<TraceIngestUnavailableException>(() =>
            writer.EnqueueAsync(H.Admin.ProjectId, H.Admin.KeyId, [normalizer.Normalize(Tool(trace, 2, 0, 2, "a"), true), normalizer.Normalize(Tool(trace, 3, 0, 3, "b"), true)], Ct));
        await writer.StartAsync(Ct);
        var stored = await first;
        await writer.StopAsync(Ct);
        var afterStop = await Assert.ThrowsAsync<TraceIngestUnavailableException>(() =>
            writer.EnqueueAsync(H.Admin.ProjectId, H.Admin.KeyId, [normalizer.Normalize(Tool(trace, 4, 0, 4, "c"), true)], Ct));

        Assert.Equal(TimeSpan.FromSeconds(1), full.RetryAfter);
        Assert.Contains("queue is full", full.Message, StringComparison.Ordinal);
        Assert.Equal(2, stored.Stored);
        Assert.Contains("shutting down", afterStop.Message, StringComparison.Ordinal);
        Assert.Equal(0, writer.QueuedSpans);
    }

    [Fact]
    public async Task EnqueueAsync_OverAKeysOrProjectsShare_IsRefusedAsOverShare_WhileAQuietProjectIsQueued()
    {
        Options.QueueCapacity = 100;
        Options.MaxQueuedSpansPerProject = 3;
        Options.MaxQueuedSpansPerKey = 2;
        // A writer that is not started yet: what is queued stays queued.
        var writer = new TraceWriter(new TraceStore(H.Database), Options, H.Time, NullLogger<TraceWriter>.Instance);
        var normalizer = TracesRegistration.CreateNormalizer(Options);
        var trace = NewTraceId();
        Span One(int i) => normalizer.Normalize(Tool(trace, i, 0, i, "t" + i), true);
        var waiting = new[] { writer.EnqueueAsync("noisy", "k1", [One(1), One(2)], Ct), writer.EnqueueAsync("noisy", "k2", [One(3)], Ct) };

        var overKey = await Assert.ThrowsAsync<TraceIngestUnavailableException>(() => writer.EnqueueAsync("noisy", "k1", [One(4)], Ct));
        var overProject = await Assert.ThrowsAsync<TraceIngestUnavailableException>(() => writer.EnqueueAsync("noisy", "k3", [One(5)], Ct));
        var quiet = writer.EnqueueAsync(H.Admin.ProjectId, H.Admin.KeyId, [One(6), One(7)], Ct);

        Assert.True(overKey.OverShare);
        Assert.Contains("Traces:MaxQueuedSpansPerKey", overKey.Message, StringComparison.Ordinal);
        Assert.True(overProject.OverShare);
        Assert.Contains("Traces:MaxQueuedSpansPerProject", overProject.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(1), overKey.RetryAfter);
        Assert.False(quiet.IsCompleted);
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        Assert.Equal(5, writer.QueuedSpans);
    }

    [Fact]
    public async Task Retention_RunsOlderThanTheProjectsDays_AreDeletedInBatchesWithTheirSpans()
    {
        Options.RetentionBatchSize = 1;
        await StartAsync();
        await Queries.SetSettingsAsync(H.Admin, new TraceSettings(7, true), Ct);
        var old = new[] { NewTraceId(), NewTraceId(), NewTraceId() };
        foreach (var trace in old)
        {
            await SendAsync(Root(trace), Tool(trace, 1, 0, 5, "search"));
        }

        // "Now" is three weeks after the spans above; this run started an hour ago.
        var fresh = NewTraceId();
        var recent = H.Time.GetUtcNow().AddHours(-1).ToUnixTimeMilliseconds() - (T0 / 1_000_000);
        await SendAsync(Root(fresh, startMs: recent), Tool(fresh, 1, 0, recent + 5, "search"));
        var retention = new TraceRetention(Store, Options, H.Time, NullLogger<TraceRetention>.Instance);

        var deleted = await retention.RunOnceAsync(Ct);
        var left = await H.Database.ReadAsync(async c => (
            await c.QuerySingleAsync<long>("SELECT COUNT(*) FROM spans"),
            await c.QuerySingleAsync<long>("SELECT COUNT(*) FROM run_tools"),
            await c.QuerySingleAsync<long>("SELECT COUNT(*) FROM runs")), Ct);

        Assert.Equal(3, deleted);
        Assert.Equal((2L, 1L, 1L), left);
        Assert.NotNull(await Queries.GetRunAsync(H.Admin, fresh, Ct));
        Assert.Equal(0, await retention.RunOnceAsync(Ct));
    }

    [Fact]
    public async Task Ingest_ContentCaptureOff_KeepsStructureDropsMessages()
    {
        await StartAsync();
        await Queries.SetSettingsAsync(H.Admin, new TraceSettings(30, false), Ct);
        var trace = NewTraceId();

        await SendAsync(Root(trace), Span(trace, 1, 0, "chat gpt-4o", 10, 100,
            new("gen_ai.operation.name", "chat"), new("gen_ai.request.model", "gpt-4o"), new("gen_ai.usage.input_tokens", 42L),
            new("gen_ai.input.messages", """[{"role":"user","parts":[{"type":"text","content":"my diagnosis is private"}]}]""")));
        var chat = Assert.Single((await RunAsync(trace)).Spans, s => s.Kind == StepKind.Llm);
        var stored = await H.Database.ReadAsync(c => c.QuerySingleAsync<string>("SELECT attributes FROM spans WHERE span_id = @id", new { id = chat.SpanId }), Ct);

        Assert.Equal(42, chat.Tokens.Input);
        Assert.Contains(chat.Attributes, a => a.Key == "gen_ai.input.messages");
        Assert.DoesNotContain("diagnosis", stored, StringComparison.Ordinal);
    }
}

public sealed class SqliteTraceStoreTests : TraceStoreTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.SqliteAsync(directory);
}

public sealed class PostgresTraceStoreTests(PostgresCluster cluster) : TraceStoreTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.PostgresAsync(cluster);
}
