using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Rein.Core.Expressions;
using Rein.Core.Policies;

namespace Rein.Benchmarks;

/// <summary>
/// The gate's hot paths. <c>gate-eval</c>: in-process evaluation of a 50-rule policy (<see cref="FiftyRules"/>) against
/// a mix of realistic requests, timed one evaluation at a time for percentiles.
/// <c>gate</c>: the HTTP gate end to end against a running server with the decision log durable: pushes the same
/// policy, then (1) closed-loop workers for throughput, (2) an open loop at a fixed rate for latency.
/// <c>dotnet run -c Release --project bench/Rein.Benchmarks -- gate-eval</c>;
/// <c>dotnet run -c Release --project bench/Rein.Benchmarks -- gate --url http://127.0.0.1:7395 --key-file DIR/admin.key --concurrency 32 --duration 20 --rate 2000</c>
/// </summary>
public static class GateDrivers
{
    /// <summary>50 rules: 40 plain tool rules (exact and prefix globs), 10 with conditions on arguments, principal,
    /// context and the run's history, as a support agent's policy grows to be; budgets on.</summary>
    public static string FiftyRules()
    {
        var yaml = new StringBuilder("""
            name: bench
            agents: ["bench-agent*"]
            mode: enforce
            default: deny
            budgets: { max_steps: 1000, max_identical_calls: 50, max_duration: 1h, on_exceed: require_approval }
            rules:

            """);
        for (var i = 0; i < 20; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - name: read {i}\n    tools: [\"svc{i}.get_*\", \"svc{i}.list\"]\n    effect: allow\n");
            yaml.Append(CultureInfo.InvariantCulture, $"  - name: write {i}\n    tools: [\"svc{i}.update\"]\n    effect: confirm\n");
        }

        yaml.Append("""
              - name: large refunds
                tools: ["payments.refund"]
                when: args.amount > 50
                effect: require_approval
                route: finance
                message: "'refund of ' + string(args.amount) + ' needs finance'"
              - name: refunds
                tools: ["payments.refund"]
                effect: allow
              - name: foreign currency
                tools: ["payments.*"]
                when: has(args.currency) && !(args.currency in ['EUR', 'USD', 'GBP'])
                effect: deny
              - name: admins only
                tools: ["admin.*"]
                when: "!principal.roles.exists(r, r == 'admin')"
                effect: deny
              - name: low confidence
                tools: ["email.send", "payments.*"]
                when: has(context.confidence) && context.confidence < 0.6
                effect: require_approval
              - name: no send after export
                tools: ["email.send"]
                when: run.called('crm.export')
                effect: deny
              - name: bulk email
                tools: ["email.send"]
                when: size(args.to) > 10
                effect: deny
              - name: sending
                tools: ["email.send"]
                effect: allow
              - name: internal domains
                tools: ["email.send"]
                when: args.to.all(a, a.endsWith('@example.com'))
                effect: allow
              - name: working hours
                tools: ["deploy.*"]
                when: now.getHours('Europe/Paris') < 8 || now.getHours('Europe/Paris') > 18
                effect: deny

            """);
        return yaml.ToString();
    }

    public static Task<int> EvaluateAsync(string[] args)
    {
        var arguments = new Arguments(args);
        var iterations = arguments.Int("--iterations", 200_000);
        var policy = PolicyParser.Parse(FiftyRules(), "bench.yaml");
        var inputs = Inputs();
        foreach (var input in inputs)
        {
            // Warm up every path (JIT, regex and zone caches).
            for (var i = 0; i < 2000; i++)
            {
                PolicyEvaluator.Evaluate(policy, input);
            }
        }

        var samples = new double[iterations];
        var effects = new int[4];
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var total = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var input = inputs[i % inputs.Length];
            var started = Stopwatch.GetTimestamp();
            var decision = PolicyEvaluator.Evaluate(policy, input);
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            effects[(int)decision.Effect]++;
        }

        total.Stop();
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)iterations;
        Array.Sort(samples);
        double P(double q) => samples[Math.Min(samples.Length - 1, (int)(q * samples.Length))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"50-rule policy, {inputs.Length} request shapes, {iterations} evaluations: median {P(0.5):F2} µs, p90 {P(0.9):F2} µs, p99 {P(0.99):F2} µs, " +
            $"mean {total.Elapsed.TotalMicroseconds / iterations:F2} µs (timer included), {bytes:F0} B allocated per evaluation; " +
            $"effects allow {effects[0]}, confirm {effects[1]}, require_approval {effects[2]}, deny {effects[3]}"));
        return Task.FromResult(0);
    }

    /// <summary>Request shapes a support agent sends: lookups, writes, refunds, email, admin, unknown tools.</summary>
    private static GateInput[] Inputs()
    {
        static object? Json(string json) => Expression.FromJson(JsonDocument.Parse(json).RootElement);
        var run = new RunSnapshot
        {
            Steps = 12,
            Calls = [new RecordedCall("svc1.get_customer", Effect.Allow), new RecordedCall("kb.search", Effect.Allow), new RecordedCall("svc3.update", Effect.Confirm)],
            ToolCalls = new Dictionary<string, int> { ["svc1.get_customer"] = 1, ["kb.search"] = 1, ["svc3.update"] = 1 },
            Duration = TimeSpan.FromMinutes(3),
        };
        var now = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
        GateInput Make(string tool, string args, string context = "{}", string[]? roles = null) => new()
        {
            Agent = "bench-agent-eu",
            Release = "v7",
            Tool = tool,
            Args = Json(args),
            Context = Json(context),
            PrincipalId = "user-42",
            PrincipalRoles = roles ?? ["support"],
            PrincipalAttributes = Json("""{"tier":"gold"}"""),
            Run = run,
            Now = now,
        };
        return
        [
            Make("svc7.get_order", """{"id":"o-123"}"""),
            Make("svc12.update", """{"id":"o-123","status":"shipped"}"""),
            Make("payments.refund", """{"amount":20,"currency":"EUR","order":"o-1"}""", """{"confidence":0.9}"""),
            Make("payments.refund", """{"amount":500,"currency":"EUR","order":"o-2"}""", """{"confidence":0.95}"""),
            Make("email.send", """{"to":["a@example.com","b@example.com"],"subject":"Your order","body":"Hello"}""", """{"confidence":0.8}"""),
            Make("admin.reset_password", """{"user":"u-9"}"""),
            Make("deploy.rollout", """{"service":"api"}""", roles: ["admin"]),
            Make("unknown.tool", """{}"""),
        ];
    }

    public static async Task<int> HttpAsync(string[] args)
    {
        var arguments = new Arguments(args);
        var url = new Uri(arguments.Get("--url", "http://127.0.0.1:7395"));
        var key = await arguments.KeyAsync();
        var concurrency = arguments.Int("--concurrency", 32);
        var duration = arguments.Seconds("--duration", 20);
        var rate = arguments.Int("--rate", 2000);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var client = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var push = await client.PostAsJsonAsync("/api/v1/policies", new { source = FiftyRules(), activate = true });
        if (!push.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"push failed: {(int)push.StatusCode} {await push.Content.ReadAsStringAsync()}");
            return 1;
        }

        var runLength = arguments.Int("--run-length", 40);
        await ClosedAsync(client, new Bodies(runLength, "warm"), concurrency, TimeSpan.FromSeconds(3));
        var closed = await ClosedAsync(client, new Bodies(runLength, "closed"), concurrency, duration);
        Report($"closed loop, {concurrency} workers, runs of {runLength} calls", closed);
        var open = await OpenAsync(client, new Bodies(runLength, "open"), rate, duration);
        Report($"open loop at {rate}/s, runs of {runLength} calls", open);
        return closed.Failures + open.Failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// Request n belongs to run n / runLength, so every run is as long as <paramref name="runLength"/> calls (budgets and
    /// sequences are exercised as in real runs) and runs never grow past it however long the benchmark lasts.
    /// </summary>
    private sealed class Bodies(int runLength, string phase)
    {
        private static readonly (string Tool, string Args)[] Tools =
        [
            ("svc7.get_order", """{"id":"o-123"}"""), ("payments.refund", """{"amount":500,"currency":"EUR"}"""),
            ("email.send", """{"to":["a@example.com"],"subject":"s"}"""), ("svc2.update", """{"id":1}"""),
        ];

        private readonly int _pid = Environment.ProcessId;

        public byte[] For(long n)
        {
            var (tool, args) = Tools[n % Tools.Length];
            return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $$$"""{"agent":"bench-agent-eu","release":"v7","runId":"bench-run-{{{phase}}}-{{{n / runLength}}}-{{{_pid}}}","tool":"{{{tool}}}","args":{{{args}}},"principal":{"id":"user-{{{n % 50}}}","roles":["support"]},"context":{"confidence":0.9}}"""));
        }
    }

    private sealed record Result(List<double> Latencies, int Ok, int Failures, TimeSpan Elapsed);

    private static async Task<Result> ClosedAsync(HttpClient client, Bodies bodies, int concurrency, TimeSpan duration)
    {
        var latencies = new List<double>[concurrency];
        int ok = 0, failures = 0;
        long next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(100_000);
            while (clock.Elapsed < duration)
            {
                var body = bodies.For(Interlocked.Increment(ref next));
                var (ms, success) = await SendAsync(client, body);
                mine.Add(ms);
                Interlocked.Increment(ref success ? ref ok : ref failures);
            }
        })));
        return new Result([.. latencies.SelectMany(l => l)], ok, failures, clock.Elapsed);
    }

    /// <summary>Requests start on a fixed schedule whatever the answers, so latency includes any queueing (no coordinated omission).</summary>
    private static async Task<Result> OpenAsync(HttpClient client, Bodies bodies, int rate, TimeSpan duration)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var tasks = new Task<(double, bool)>[total];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            tasks[i] = SendAsync(client, bodies.For(i));
        }

        var results = await Task.WhenAll(tasks);
        return new Result([.. results.Select(r => r.Item1)], results.Count(r => r.Item2), results.Count(r => !r.Item2), clock.Elapsed);
    }

    private static async Task<(double Ms, bool Ok)> SendAsync(HttpClient client, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var started = Stopwatch.GetTimestamp();
        using var response = await client.PostAsync(new Uri("/api/v1/gate", UriKind.Relative), content);
        var answer = await response.Content.ReadAsByteArrayAsync();
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        // A deny for "gate.unavailable" is the gate failing closed under load: counted as a failure.
        var ok = response.IsSuccessStatusCode && answer.AsSpan().IndexOf("gate.unavailable"u8) < 0;
        return (ms, ok);
    }

    private static void Report(string phase, Result r)
    {
        r.Latencies.Sort();
        double P(double q) => r.Latencies.Count == 0 ? 0 : r.Latencies[Math.Min(r.Latencies.Count - 1, (int)(q * r.Latencies.Count))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"POST /api/v1/gate, {phase}: {r.Ok / r.Elapsed.TotalSeconds:F0} decisions/s over {r.Elapsed.TotalSeconds:F1} s; latency ms p50 {P(0.5):F2}, p99 {P(0.99):F2}, max {P(1):F2}; failed or unavailable {r.Failures}"));
    }
}
