using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Rein.Server.Traces.Otlp.Wire;

namespace Rein.Benchmarks;

/// <summary>
/// Sustained OTLP/HTTP trace ingest against a running Rein: closed-loop workers post pre-built export requests of
/// realistic GenAI spans (<see cref="GenAiTraces"/>). Every request gets fresh trace ids, patched into the pre-built
/// body, so nothing is a duplicate and the driver spends its CPU on sending, not on building. Only 2xx answers count
/// as ingested; Rein answers only after the spans are committed.
/// <c>dotnet run -c Release --project bench/Rein.Benchmarks -- ingest --url http://127.0.0.1:7395 --key-file DIR/admin.key --concurrency 8 --duration 30</c>
/// </summary>
public static partial class TraceIngestDriver
{
    /// <summary>Marks the eight bytes of every trace id that a request overwrites with its own.</summary>
    private static readonly byte[] Marker = "TRACEID!"u8.ToArray();

    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new Arguments(args);
        var url = new Uri(arguments.Get("--url", "http://127.0.0.1:7395"));
        var key = await arguments.KeyAsync();
        var concurrency = arguments.Int("--concurrency", 8);
        var duration = arguments.Seconds("--duration", 30);
        var warmup = arguments.Seconds("--warmup", 5);
        var spansPerRequest = arguments.Int("--spans-per-request", 512);
        // 16 spans a run: an agent span with 8 model calls and 7 tool calls, so a request spans 32 runs.
        var spansPerRun = arguments.Int("--spans-per-run", 16);
        var json = arguments.Get("--encoding", "protobuf") == "json";
        var gzip = arguments.Has("--gzip");

        var template = Template(spansPerRequest, spansPerRun, json);
        var offsets = FindAll(template, json ? Encoding.ASCII.GetBytes(Convert.ToHexStringLower(Marker)) : Marker);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"body: {spansPerRequest} spans in {spansPerRequest / spansPerRun} runs, {template.Length / 1024.0:F0} KiB {(json ? "JSON" : "protobuf")}{(gzip ? ", gzip" : "")}; {offsets.Count} trace ids patched per request"));

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var client = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var salt = (uint)Random.Shared.Next();
        var counter = 0L;
        var run = new Phase(client, template, offsets, json, gzip, salt, () => Interlocked.Increment(ref counter));

        await run.RunAsync(concurrency, warmup);
        var result = await run.RunAsync(concurrency, duration);
        var latencies = result.Latencies;
        latencies.Sort();
        double P(double q) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        var seconds = result.Elapsed.TotalSeconds;
        var stored = (result.Ok * (long)spansPerRequest) - result.RejectedSpans;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"POST /v1/traces: {stored / seconds:F0} spans/s, {result.Ok / seconds:F1} req/s over {seconds:F1} s with {concurrency} workers; " +
            $"latency ms p50 {P(0.50):F1}, p95 {P(0.95):F1}, p99 {P(0.99):F1}, max {P(1):F1}; spans stored {stored}, rejected in partial success {result.RejectedSpans}; " +
            $"non-2xx {(result.Failures.IsEmpty ? "none" : string.Join(", ", result.Failures.OrderBy(f => f.Key).Select(f => $"{f.Key}: {f.Value}")))}"));
        return result.Failures.IsEmpty && result.RejectedSpans == 0 ? 0 : 1;
    }

    /// <summary>The serialised request whose trace ids all start with <see cref="Marker"/>.</summary>
    private static byte[] Template(int spans, int spansPerRun, bool json)
    {
        var traces = new GenAiTraces(seed: 7);
        var now = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000) * 1_000_000;
        var runs = new List<RunPlan>();
        for (var i = 0; spans > 0; i++)
        {
            var id = new byte[16];
            Marker.CopyTo(id, 0);
            BinaryPrimitives.WriteInt32BigEndian(id.AsSpan(8), i);
            BinaryPrimitives.WriteInt32BigEndian(id.AsSpan(12), 0x1234_0000 + i);
            runs.Add(new RunPlan(id, Math.Min(spansPerRun, spans), now + (i * 1_000_000L)));
            spans -= spansPerRun;
        }

        var request = traces.Build(runs);
        return json ? Encoding.UTF8.GetBytes(ToOtlpJson(request)) : request.ToByteArray();
    }

    /// <summary>OTLP/JSON differs from the protobuf JSON mapping in ids (hex, not base64) and enums (integers).</summary>
    internal static string ToOtlpJson(ExportTraceServiceRequest request)
    {
        var text = new JsonFormatter(JsonFormatter.Settings.Default.WithFormatEnumsAsIntegers(true)).Format(request);
        return IdField().Replace(text, m => $"\"{m.Groups[1].Value}\": \"{Convert.ToHexStringLower(Convert.FromBase64String(m.Groups[2].Value))}\"");
    }

    [GeneratedRegex("\"(traceId|spanId|parentSpanId)\": \"([^\"]*)\"")]
    private static partial Regex IdField();

    private static List<int> FindAll(byte[] haystack, byte[] needle)
    {
        var found = new List<int>();
        for (var at = 0; ;)
        {
            var i = haystack.AsSpan(at).IndexOf(needle);
            if (i < 0)
            {
                return found;
            }

            found.Add(at + i);
            at += i + needle.Length;
        }
    }

    private sealed record PhaseResult(List<double> Latencies, long Ok, long RejectedSpans, ConcurrentDictionary<int, long> Failures, TimeSpan Elapsed);

    private sealed class Phase(HttpClient client, byte[] template, List<int> offsets, bool json, bool gzip, uint salt, Func<long> next)
    {
        public async Task<PhaseResult> RunAsync(int concurrency, TimeSpan duration)
        {
            var latencies = new List<double>[concurrency];
            long ok = 0, rejected = 0;
            var failures = new ConcurrentDictionary<int, long>();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
            {
                var mine = latencies[worker] = new List<double>(10_000);
                var body = (byte[])template.Clone();
                while (clock.Elapsed < duration)
                {
                    Patch(body, next());
                    var payload = gzip ? Compress(body) : body;
                    using var content = new ByteArrayContent(payload);
                    content.Headers.ContentType = new MediaTypeHeaderValue(json ? "application/json" : "application/x-protobuf");
                    if (gzip)
                    {
                        content.Headers.ContentEncoding.Add("gzip");
                    }

                    var started = Stopwatch.GetTimestamp();
                    using var response = await client.PostAsync(new Uri("/v1/traces", UriKind.Relative), content);
                    var answer = await response.Content.ReadAsByteArrayAsync();
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref ok);
                        Interlocked.Add(ref rejected, Rejected(answer));
                    }
                    else
                    {
                        failures.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    }
                }
            })));
            return new PhaseResult([.. latencies.SelectMany(l => l)], ok, rejected, failures, clock.Elapsed);
        }

        private long Rejected(byte[] answer)
        {
            if (json)
            {
                var text = Encoding.UTF8.GetString(answer);
                var at = text.IndexOf("\"rejectedSpans\"", StringComparison.Ordinal);
                return at < 0 ? 0 : long.Parse(new string([.. text[(at + 15)..].SkipWhile(c => !char.IsAsciiDigit(c)).TakeWhile(char.IsAsciiDigit)]), CultureInfo.InvariantCulture);
            }

            return ExportTraceServiceResponse.Parser.ParseFrom(answer).PartialSuccess?.RejectedSpans ?? 0;
        }

        /// <summary>Gives every trace id of the body this request's unique eight bytes.</summary>
        private void Patch(byte[] body, long request)
        {
            Span<byte> unique = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32BigEndian(unique, salt);
            BinaryPrimitives.WriteUInt32BigEndian(unique[4..], (uint)request);
            Span<byte> hex = stackalloc byte[16];
            if (json)
            {
                Encoding.ASCII.GetBytes(Convert.ToHexStringLower(unique), hex);
            }

            foreach (var offset in offsets)
            {
                (json ? hex : unique).CopyTo(body.AsSpan(offset));
            }
        }

        private static byte[] Compress(byte[] body)
        {
            using var output = new MemoryStream(body.Length / 4);
            using (var zip = new GZipStream(output, CompressionLevel.Fastest))
            {
                zip.Write(body);
            }

            return output.ToArray();
        }
    }
}

/// <summary>The drivers' <c>--name value</c> arguments.</summary>
internal sealed class Arguments(string[] args)
{
    public bool Has(string name) => Array.IndexOf(args, name) >= 0;

    public string Get(string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    public int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    /// <summary>Seconds, with or without a trailing s.</summary>
    public TimeSpan Seconds(string name, double fallback) =>
        TimeSpan.FromSeconds(double.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)).TrimEnd('s'), CultureInfo.InvariantCulture));

    public async Task<string> KeyAsync()
    {
        var file = Get("--key-file", ".rein/admin.key");
        return Get("--key", File.Exists(file) ? (await File.ReadAllTextAsync(file)).Trim() : "");
    }
}
