using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using Rein.Server.Traces.Otlp.Wire;
using Rein.Testing;

namespace Rein.Server.Tests.Hosting;

/// <summary>Storage that stops under a running server, for real: a PostgreSQL cluster stopped and started again, a
/// SQLite file on a file system that fills up. Clients get answers they can act on (503 with Retry-After, the gate's
/// deny), the log says when the outage began and ended, and everything serves again afterwards.</summary>
public sealed class StorageOutageTests
{
    private const string Agent = "outage-bot";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PostgresStopped_GateDeniesAndOtlpAndApiAnswer503WithRetryAfter_ReadyzTurnsUnready_OneLogLineEachWay_ThenAllRecover()
    {
        // A cluster of its own: stopping the assembly's would fail every other PostgreSQL test under way.
        var cluster = new PostgresCluster();
        await cluster.InitializeAsync();
        try
        {
            cluster.Require();
            await using var host = await TestHost.StartAsync(database: await cluster.CreateDatabaseAsync());
            using var client = host.Client(await AgentKeyAsync(host));
            using var admin = host.Client(host.AdminKey);
            using var anonymous = host.Client();
            await AssertServingAsync(host, client, anonymous);

            await cluster.StopAsync();

            for (var i = 0; i < 3; i++)
            {
                await AssertUnavailableAsync(admin, client, anonymous, diskFull: false);
            }

            Assert.Single(host.Logs.Entries, e => e.EventId.Id == 2010);
            var traces = host.Logs.Entries.Where(e => e.Exception is not null).Select(e => $"{e.Category}[{e.EventId.Id}] {e.Level} {e.Exception!.GetType().Name}: {e.Message}").ToList();
            Assert.True(traces.Count == 0, "logged with a stack trace:\n" + string.Join("\n", traces));
            Assert.DoesNotContain(host.Logs.Entries, e => e.EventId.Id == 1002);

            await cluster.StartAsync();
            await WaitUntilReadyAsync(anonymous);

            await AssertServingAsync(host, client, anonymous);
            Assert.Single(host.Logs.Entries, e => e.EventId.Id == 2010);
            Assert.Single(host.Logs.Entries, e => e.EventId.Id == 2011);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task SqliteDiskFull_WritesAnswer503AndTheGateDenies_ReadyzTurnsUnready_ThenAllRecoverWhenSpaceIsFreed()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && Environment.UserName == "root", "mounts a small tmpfs to fill: Linux, as root");
        using var mountPoint = new TempDirectory("rein-full");
        // A container without the right to mount cannot run this test; it says so in the skip count, never silently.
        var mounted = await TryRunAsync("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", mountPoint.Path);
        Assert.SkipUnless(mounted is null, $"this machine cannot mount a tmpfs to fill: {mounted}");
        try
        {
            await using var host = await TestHost.StartAsync(dataDir: mountPoint.Path);
            using var client = host.Client(await AgentKeyAsync(host));
            using var admin = host.Client(host.AdminKey);
            using var anonymous = host.Client();
            await AssertServingAsync(host, client, anonymous);

            var filler = mountPoint.Combine("filler");
            Fill(filler);
            // Writes fail once SQLite needs a page the disk no longer has: send traces until one is refused.
            var refused = false;
            for (var i = 0; i < 200 && !refused; i++)
            {
                using var response = await PostTraceAsync(client, new string('x', 64 * 1024));
                refused = response.StatusCode == HttpStatusCode.ServiceUnavailable;
                Assert.True(refused || response.StatusCode == HttpStatusCode.OK, $"OTLP answered {(int)response.StatusCode}");
            }

            Assert.True(refused, "the file system never filled up");
            await AssertUnavailableAsync(admin, client, anonymous, diskFull: true);
            Assert.Single(host.Logs.Entries, e => e.EventId.Id == 2010);
            Assert.DoesNotContain(host.Logs.Entries, e => e.EventId.Id == 1002);

            File.Delete(filler);
            await WaitUntilReadyAsync(anonymous);

            await AssertServingAsync(host, client, anonymous);
            Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 2011);
        }
        finally
        {
            SqliteConnectionPools.Clear();
            await RunAsync("umount", "-l", mountPoint.Path);
        }
    }

    private static async Task<string> AgentKeyAsync(TestHost host)
    {
        using var admin = host.Client(host.AdminKey);
        var created = await admin.PostAsJsonAsync("/api/v1/keys", new { name = Agent, role = "agent" }, Ct);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("apiKey").GetString()!;
    }

    private static async Task AssertServingAsync(TestHost host, HttpClient agent, HttpClient anonymous)
    {
        var gate = await GateAsync(agent);
        Assert.NotEqual("gate.unavailable", gate.GetProperty("reasons")[0].GetProperty("rule").GetString());
        using var otlp = await PostTraceAsync(agent, "hello");
        Assert.Equal(HttpStatusCode.OK, otlp.StatusCode);
        using var admin = host.Client(host.AdminKey);
        using var runs = await admin.GetAsync("/api/v1/runs", Ct);
        Assert.Equal(HttpStatusCode.OK, runs.StatusCode);
        using var ready = await anonymous.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var key = await admin.PostAsJsonAsync("/api/v1/keys", new { name = "k-" + Guid.NewGuid().ToString("N")[..8], role = "viewer" }, Ct);
        Assert.Equal(HttpStatusCode.Created, key.StatusCode);
    }

    // diskFull: on a full disk SQLite may still fit a small write in a page it already has, so each small write may
    // succeed instead; then it must really be stored (the gate's decision is in the log). Reads still work there.
    // With the database stopped, every write and read is refused.
    private static async Task AssertUnavailableAsync(HttpClient admin, HttpClient agent, HttpClient anonymous, bool diskFull)
    {
        var gate = await GateAsync(agent);
        Assert.Equal("deny", gate.GetProperty("effect").GetString());
        if (!diskFull || gate.GetProperty("reasons")[0].GetProperty("rule").GetString() == "gate.unavailable")
        {
            Assert.Equal("gate.unavailable", gate.GetProperty("reasons")[0].GetProperty("rule").GetString());
        }
        else
        {
            using var logged = await admin.GetAsync($"/api/v1/decisions/{gate.GetProperty("decisionId").GetString()}", Ct);
            Assert.Equal(HttpStatusCode.OK, logged.StatusCode);
        }

        using var otlp = await PostTraceAsync(agent, "hello");
        if (!diskFull || otlp.StatusCode != HttpStatusCode.OK)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, otlp.StatusCode);
            Assert.NotNull(otlp.Headers.RetryAfter?.Delta);
            Assert.Equal("application/x-protobuf", otlp.Content.Headers.ContentType?.MediaType);
            var status = Rein.Server.Traces.Otlp.Wire.Rpc.Status.Parser.ParseFrom(await otlp.Content.ReadAsByteArrayAsync(Ct));
            Assert.Contains("storage is unavailable", status.Message, StringComparison.Ordinal);
        }

        // Plain API endpoints: a write always, a read too when the database does not answer at all.
        using var write = await admin.PostAsJsonAsync("/api/v1/keys", new { name = "k-" + Guid.NewGuid().ToString("N")[..8], role = "viewer" }, Ct);
        using var read = diskFull ? null : await admin.GetAsync("/api/v1/runs", Ct);
        foreach (var response in new[] { write, read }.OfType<HttpResponseMessage>().Where(r => !diskFull || r.StatusCode != HttpStatusCode.Created))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(response.Headers.RetryAfter?.Delta);
            Assert.Contains("storage is unavailable", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using var ready = await anonymous.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    private static async Task<JsonElement> GateAsync(HttpClient agent)
    {
        using var response = await agent.PostAsJsonAsync("/api/v1/gate", new { agent = Agent, tool = "notes.search", args = new { q = "x" } }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"gate answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<HttpResponseMessage> PostTraceAsync(HttpClient agent, string text)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
            SpanId = ByteString.CopyFrom(BitConverter.GetBytes(Random.Shared.NextInt64(1, long.MaxValue))),
            Name = "invoke_agent " + Agent,
            StartTimeUnixNano = 1_763_000_000_000_000_000UL,
            EndTimeUnixNano = 1_763_000_001_000_000_000UL,
        };
        span.Attributes.Add(new KeyValue { Key = "gen_ai.agent.name", Value = new AnyValue { StringValue = Agent } });
        span.Attributes.Add(new KeyValue { Key = "note", Value = new AnyValue { StringValue = text } });
        var scope = new ScopeSpans();
        scope.Spans.Add(span);
        var resource = new ResourceSpans();
        resource.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resource);
        var content = new ByteArrayContent(request.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        return await agent.PostAsync("/v1/traces", content, Ct);
    }

    /// <summary>Polls until /readyz answers 200: the recovery is the server's to notice, in its own time.</summary>
    private static async Task WaitUntilReadyAsync(HttpClient anonymous)
    {
        while (true)
        {
            using var ready = await anonymous.GetAsync("/readyz", Ct);
            if (ready.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            await Task.Delay(100, Ct);
        }
    }

    private static void Fill(string path)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        var block = new byte[64 * 1024];
        try
        {
            while (true)
            {
                file.Write(block);
                file.Flush();
            }
        }
        catch (IOException)
        {
            // No space left on the device: what this test wants.
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var failed = await TryRunAsync(file, args);
        Assert.True(failed is null, failed);
    }

    /// <summary>Null when the command succeeded, else the command and what it wrote to standard error.</summary>
    private static async Task<string?> TryRunAsync(string file, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return process.ExitCode == 0 ? null : $"{file} {string.Join(' ', args)}: {error.Trim()}";
    }
}

internal static class SqliteConnectionPools
{
    public static void Clear() => Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
}
