using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Core.Traces;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;
using Rein.Server.Traces;
using Rein.Server.Traces.Otlp;

namespace Rein.Benchmarks;

/// <summary>
/// Where an ingest request's time goes, stage by stage, on the body the ingest driver sends: 512 realistic GenAI
/// spans (32 runs of 16) decoded from protobuf, normalised, their attributes written as JSON, and stored.
/// </summary>
[MemoryDiagnoser]
public class TraceIngestPipelineBenchmarks
{
    private byte[] _body = [];
    private IReadOnlyList<RawSpan> _raw = [];
    private Span[] _spans = [];
    private SpanNormalizer _normalizer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var traces = new GenAiTraces(seed: 7);
        // 512 spans: the OpenTelemetry SDK batch span processor's default export batch size.
        var plans = Enumerable.Range(0, 32).Select(i => new RunPlan(TraceBenchData.TraceId(1, i), 16, 1_700_000_000_000_000_000 + i));
        _body = traces.Build(plans).ToByteArray();
        _raw = OtlpDecoder.DecodeProtobuf(_body).Spans;
        _normalizer = TraceBenchData.Normalizer();
        _spans = [.. _raw.Select(r => _normalizer.Normalize(r, captureContent: true))];
    }

    [Benchmark]
    public int DecodeProtobuf512() => OtlpDecoder.DecodeProtobuf(_body).Spans.Count;

    [Benchmark]
    public int Normalize512()
    {
        var redactions = 0;
        foreach (var raw in _raw)
        {
            redactions += _normalizer.Normalize(raw, captureContent: true).Redactions;
        }

        return redactions;
    }

    /// <summary>The attribute, event and resource JSON each stored row carries.</summary>
    [Benchmark]
    public long SerializeRows512()
    {
        long length = 0;
        foreach (var span in _spans)
        {
            length += SpanJson.Attributes(span.Attributes).Length + SpanJson.Attributes(span.Resource).Length + (SpanJson.Events(span.Events)?.Length ?? 0);
        }

        return length;
    }
}

/// <summary>
/// <see cref="TraceStore.WriteAsync"/> of one 512-span request on SQLite (WAL, synchronous FULL, as the server runs
/// it): duplicate check, inserts, run merge, commit. Every invocation writes new runs, so a fixed count of them is
/// built ahead: 2 warm-up and 10 measured iterations of 4 invocations. Not sealed: BenchmarkDotNet does not find
/// sealed benchmark classes.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 10, invocationCount: 4)]
public class TraceStoreWriteBenchmarks : IDisposable
{
    private const int Batches = (2 + 10) * 4;
    private string _directory = "";
    private ReinDatabase _database = null!;
    private TraceStore _store = null!;
    private string _project = "";
    private readonly List<Span[]> _batches = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "rein-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _database = new SqliteReinDatabase(Path.Combine(_directory, "rein.db"));
        var time = TimeProvider.System;
        new Migrator(_database, time, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        var options = new IdentityOptions();
        var audit = new AuditLog(_database, time, NullLogger<AuditLog>.Instance);
        var keys = new KeyService(_database, audit, time, options, NullLogger<KeyService>.Instance);
        var created = new ProjectService(_database, audit, keys, time, options, NullLogger<ProjectService>.Instance)
            .CreateDefaultAsync(CancellationToken.None).GetAwaiter().GetResult() ?? throw new InvalidOperationException("A fresh database should bootstrap.");
        _project = created.Project.Id;
        _store = new TraceStore(_database);
        var traces = new GenAiTraces(seed: 7);
        var normalizer = TraceBenchData.Normalizer();
        for (var b = 0; b < Batches + 4; b++)
        {
            var plans = Enumerable.Range(b * 32, 32).Select(i => new RunPlan(TraceBenchData.TraceId(2, i), 16, 1_700_000_000_000_000_000 + i));
            _batches.Add(TraceBenchData.Normalize(traces, normalizer, plans));
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        _database?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Benchmark]
    public async Task<int> WriteSqlite512()
    {
        var spans = _batches[_next++ % _batches.Count];
        var outcome = await _store.WriteAsync([new SpanBatch(_project, spans)], 10_000, 0, CancellationToken.None);
        return outcome[0].Stored;
    }
}
