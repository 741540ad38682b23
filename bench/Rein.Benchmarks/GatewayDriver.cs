using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol.Client;

namespace Rein.Benchmarks;

/// <summary>
/// The tool gateway's overhead: the same <c>tools/call</c> made straight to an upstream MCP server over stdio, then
/// through Rein's <c>/mcp</c> (schema check, gate decision with a durable decision log, forward, result screening, span),
/// each with closed-loop workers, one MCP session per worker. The difference is what Rein adds to a call.
/// <c>dotnet run -c Release --project bench/Rein.Benchmarks -- gateway --url http://127.0.0.1:7395 --key-file DIR/admin.key
/// --upstream tests/Rein.Testing/scripted-mcp-server.js --concurrency 8 --duration 15</c>
/// </summary>
public static class GatewayDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = new Arguments(args);
        var url = new Uri(arguments.Get("--url", "http://127.0.0.1:7395"));
        var adminKey = await arguments.KeyAsync();
        var script = Path.GetFullPath(arguments.Get("--upstream", "tests/Rein.Testing/scripted-mcp-server.js"));
        var concurrency = arguments.Int("--concurrency", 8);
        var duration = arguments.Seconds("--duration", 15);

        using var admin = new HttpClient { BaseAddress = url };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        var agent = "bench-gateway-" + Guid.NewGuid().ToString("N")[..6];
        var policy = $"name: {agent}\nagents: [\"{agent}\"]\nmode: enforce\ndefault: deny\nrules:\n  - name: lookups\n    tools: [\"bench.lookup\"]\n    when: size(args.id) < 64\n    effect: allow\n";
        (await admin.PostAsJsonAsync("/api/v1/policies", new { source = policy, activate = true })).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync("/api/v1/tools/servers/bench", new { command = "node", args = new[] { script } })).EnsureSuccessStatusCode();
        var created = await (await admin.PostAsJsonAsync("/api/v1/keys", new { name = agent, role = "agent" })).Content.ReadFromJsonAsync<JsonElement>();
        var agentKey = created.GetProperty("apiKey").GetString()!;

        var direct = await MeasureAsync("direct to the upstream (stdio)", concurrency, duration, () => McpClient.CreateAsync(
            new StdioClientTransport(new StdioClientTransportOptions { Command = "node", Arguments = [script], Name = "bench" })), "lookup");
        var gateway = await MeasureAsync("through Rein's /mcp", concurrency, duration, () => McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(url, "/mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + agentKey },
            })), "bench.lookup");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gateway overhead per call: p50 +{gateway.P50 - direct.P50:F2} ms, p99 +{gateway.P99 - direct.P99:F2} ms"));
        return direct.Failures + gateway.Failures == 0 ? 0 : 1;
    }

    private sealed record Measured(double P50, double P99, int Failures);

    private static async Task<Measured> MeasureAsync(string what, int concurrency, TimeSpan duration, Func<Task<McpClient>> connect, string tool)
    {
        var clients = new McpClient[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            clients[i] = await connect();
        }

        // Warm: the first calls connect upstreams and compile schemas.
        await Task.WhenAll(clients.Select(c => c.CallToolAsync(tool, new Dictionary<string, object?> { ["id"] = "warm" }).AsTask()));
        var latencies = new List<double>[concurrency];
        var failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(100_000);
            var n = 0;
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                var result = await clients[w].CallToolAsync(tool, new Dictionary<string, object?> { ["id"] = $"o-{w}-{n++}" });
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (result.IsError == true)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        var elapsed = clock.Elapsed;
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        var all = latencies.SelectMany(l => l).Order().ToList();
        double P(double q) => all.Count == 0 ? 0 : all[Math.Min(all.Count - 1, (int)(q * all.Count))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tools/call {what}, {concurrency} sessions: {all.Count / elapsed.TotalSeconds:F0} calls/s over {elapsed.TotalSeconds:F1} s; latency ms p50 {P(0.5):F2}, p99 {P(0.99):F2}, max {P(1):F2}; errors {failures}"));
        return new Measured(P(0.5), P(0.99), failures);
    }
}
