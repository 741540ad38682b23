using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Rein.Benchmarks;

/// <summary>
/// Closed-loop HTTP load against a running Rein: N workers each send the next request when the previous answers.
/// Prints requests per second and latency percentiles.
/// <c>dotnet run -c Release --project bench/Rein.Benchmarks -- load --url http://127.0.0.1:7346 --key-file .rein/admin.key --path /api/v1/me --concurrency 32 --duration 10</c>
/// </summary>
public static class LoadDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var url = new Uri(Arg("--url", "http://127.0.0.1:7346"));
        var path = Arg("--path", "/api/v1/me");
        var keyFile = Arg("--key-file", ".rein/admin.key");
        var key = Arg("--key", File.Exists(keyFile) ? (await File.ReadAllTextAsync(keyFile)).Trim() : "");
        var concurrency = int.Parse(Arg("--concurrency", "32"), CultureInfo.InvariantCulture);
        var duration = TimeSpan.FromSeconds(double.Parse(Arg("--duration", "10"), CultureInfo.InvariantCulture));
        var warmup = TimeSpan.FromSeconds(double.Parse(Arg("--warmup", "2"), CultureInfo.InvariantCulture));

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var client = new HttpClient(handler) { BaseAddress = url };
        if (key.Length > 0)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        await RunPhaseAsync(client, path, concurrency, warmup);
        var (latencies, errors, elapsed) = await RunPhaseAsync(client, path, concurrency, duration);
        latencies.Sort();
        double P(double q) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GET {path}: {latencies.Count / elapsed.TotalSeconds:F0} req/s over {elapsed.TotalSeconds:F1} s with {concurrency} workers; " +
            $"latency ms p50 {P(0.50):F2}, p90 {P(0.90):F2}, p99 {P(0.99):F2}, max {P(1):F2}; non-2xx {errors}"));
        return errors == 0 ? 0 : 1;
    }

    private static async Task<(List<double> Latencies, long Errors, TimeSpan Elapsed)> RunPhaseAsync(HttpClient client, string path, int concurrency, TimeSpan duration)
    {
        var latencies = new List<double>[concurrency];
        long errors = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var mine = latencies[worker] = new List<double>(100_000);
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(path);
                await response.Content.ReadAsByteArrayAsync();
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));
        return ([.. latencies.SelectMany(l => l)], errors, clock.Elapsed);
    }
}
