using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Rein.Core.Traces;
using Rein.Server.Traces;

namespace Rein.Benchmarks;

/// <summary>
/// Reads with a million spans stored. <c>trace-load</c> fills a migrated database through <see cref="TraceStore"/>
/// (the writer's own path, minus HTTP): 20 000 runs of 50 spans spread over 29 days (inside the default 30-day
/// retention) and one run of exactly 1 000 spans, whose id goes to <c>--run-file</c>. <c>query</c> then times
/// get-run and filtered list-runs over HTTP, one request at a time.
/// <c>dotnet run -c Release --project bench/Rein.Benchmarks -- trace-load --database sqlite --data-dir DIR --run-file DIR/big-run</c>
/// <c>dotnet run -c Release --project bench/Rein.Benchmarks -- query --url http://127.0.0.1:7395 --key-file DIR/admin.key --run-file DIR/big-run</c>
/// </summary>
public static class TraceQueryDriver
{
    private const int RunsPerTransaction = 80; // 4 000 spans of 50-span runs: the writer's default transaction

    public static async Task<int> LoadAsync(string[] args)
    {
        var arguments = new Arguments(args);
        var runs = arguments.Int("--runs", 20_000);
        var spansPerRun = arguments.Int("--spans-per-run", 50);
        var days = arguments.Int("--days", 29);
        await using var database = TraceBenchData.Open(arguments);
        var project = await TraceBenchData.ProjectAsync(database);
        var store = new TraceStore(database);
        var salt = (uint)Random.Shared.Next();
        var end = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 3_600_000) * 1_000_000;
        var start = end - (days * 86_400_000_000_000L);
        var step = (end - start) / runs;
        var bigRun = runs / 2;

        // Building and normalising on one core overlaps with writing on the other.
        var queue = Channel.CreateBounded<Span[]>(4);
        var producer = Task.Run(async () =>
        {
            var traces = new GenAiTraces(seed: 3);
            var normalizer = TraceBenchData.Normalizer();
            for (var first = 0; first <= runs; first += RunsPerTransaction)
            {
                var plans = Enumerable.Range(first, Math.Min(RunsPerTransaction, runs + 1 - first))
                    .Select(i => new RunPlan(TraceBenchData.TraceId(salt, i), i == runs ? 1_000 : spansPerRun, start + ((i == runs ? bigRun : i) * step) + Random.Shared.NextInt64(step / 2)))
                    .ToList();
                if (plans.Any(p => p.Spans == 1_000))
                {
                    await File.WriteAllTextAsync(arguments.Get("--run-file", "big-run"), Convert.ToHexStringLower(plans.Single(p => p.Spans == 1_000).TraceId));
                }

                await queue.Writer.WriteAsync(TraceBenchData.Normalize(traces, normalizer, plans));
            }

            queue.Writer.Complete();
        });

        var clock = Stopwatch.StartNew();
        long stored = 0;
        await foreach (var spans in queue.Reader.ReadAllAsync())
        {
            var outcome = await store.WriteAsync([new SpanBatch(project, spans)], 10_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), CancellationToken.None);
            stored += outcome[0].Stored;
            if (stored % 100_000 < 4_000)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stored} spans stored, {stored / clock.Elapsed.TotalSeconds:F0} spans/s"));
            }
        }

        await producer;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loaded {stored} spans in {runs + 1} runs in {clock.Elapsed.TotalSeconds:F0} s ({stored / clock.Elapsed.TotalSeconds:F0} spans/s)"));
        return 0;
    }

    public static async Task<int> QueryAsync(string[] args)
    {
        var arguments = new Arguments(args);
        var requests = arguments.Int("--requests", 200);
        var run = arguments.Get("--run", File.Exists(arguments.Get("--run-file", "big-run")) ? (await File.ReadAllTextAsync(arguments.Get("--run-file", "big-run"))).Trim() : "");
        using var client = new HttpClient { BaseAddress = new Uri(arguments.Get("--url", "http://127.0.0.1:7395")), Timeout = TimeSpan.FromMinutes(1) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await arguments.KeyAsync());
        var day = DateTimeOffset.UtcNow.Date.AddDays(-10);
        var from = Uri.EscapeDataString(new DateTimeOffset(day, TimeSpan.Zero).ToString("O", CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(new DateTimeOffset(day.AddDays(1), TimeSpan.Zero).ToString("O", CultureInfo.InvariantCulture));

        (string Name, string Path)[] cases =
        [
            ("get-run (1 000 spans)", $"/api/v1/runs/{run}"),
            ("list: no filter", "/api/v1/runs?limit=50"),
            ("list: agent", "/api/v1/runs?limit=50&agent=support-agent-3"),
            ("list: agent + status", "/api/v1/runs?limit=50&agent=support-agent-3&status=failure"),
            ("list: status", "/api/v1/runs?limit=50&status=failure"),
            ("list: tool", "/api/v1/runs?limit=50&tool=tool_issue_refund"),
            ("list: from/to (1 day, 10 days ago)", $"/api/v1/runs?limit=50&from={from}&to={to}"),
            ("list: minCost", "/api/v1/runs?limit=50&minCost=0.25"),
            ("list: hasError", "/api/v1/runs?limit=50&hasError=true"),
            ("list: agent + tool + hasError", "/api/v1/runs?limit=50&agent=support-agent-3&tool=tool_issue_refund&hasError=true"),
        ];
        var failed = false;
        foreach (var (name, path) in cases)
        {
            var latencies = new List<double>(requests);
            long bytes = 0;
            for (var i = -10; i < requests; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
                var body = await response.Content.ReadAsByteArrayAsync();
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    Console.WriteLine($"{name}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
                    failed = true;
                    break;
                }

                if (i >= 0)
                {
                    latencies.Add(ms);
                    bytes = body.Length;
                }
            }

            latencies.Sort();
            double P(double q) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-38} p50 {P(0.50),7:F2} ms  p95 {P(0.95),7:F2} ms  max {P(1),7:F2} ms  ({latencies.Count} requests, {bytes / 1024.0:F0} KiB answer)"));
        }

        return failed ? 1 : 0;
    }
}
