using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Rein.Server.Tests.Hosting;
using Rein.Testing;

namespace Rein.Server.Tests.Traces;

/// <summary>Span and run times to the nanosecond, on a host of their own (the seeded one's lists stay as they are).</summary>
public sealed partial class RunsApiTests
{
    [Fact]
    public async Task Get_SpansMicrosecondsApartSentOutOfOrder_InStartOrderWithTheirExactStartAndEndNanos()
    {
        await using var host = await TestHost.StartAsync();
        using var admin = host.Client(host.AdminKey);
        var trace = new OtlpTrace("precise", DateTimeOffset.UtcNow.AddMinutes(-1));
        var root = trace.Root("precise", durationMs: 2);
        // Two siblings 100 µs apart, the later one first in the body; a child 300 ns into its parent's millisecond,
        // before its parent in the body.
        var first = OtlpTrace.NewSpanId();
        var second = trace.Span("second", root, startMs: 0.6, durationMs: 0.05);
        var child = trace.Span("child", first, startMs: 0.5003, durationMs: 0.01);
        trace.Span("first", root, startMs: 0.5, durationMs: 0.05, spanId: first);
        await trace.SendAsync(admin);
        await trace.WaitForRunAsync(admin, "success");

        var detail = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{trace.TraceId}", Ct);

        var t0 = trace.Start.ToUnixTimeMilliseconds() * 1_000_000;
        long Ns(double ms) => t0 + (long)(ms * 1_000_000);
        var spans = detail.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal([root, first, child, second], spans.Select(s => s.GetProperty("spanId").GetString()));
        Assert.Equal([Ns(0), Ns(0.5), Ns(0.5003), Ns(0.6)], spans.Select(s => Nanos(s, "startUnixNano")));
        Assert.Equal([Ns(0 + 2), Ns(0.5 + 0.05), Ns(0.5003 + 0.01), Ns(0.6 + 0.05)], spans.Select(s => Nanos(s, "endUnixNano")));
        Assert.Equal(100_000, Ns(0.6) - Ns(0.5));
        Assert.EndsWith("500Z", spans[1].GetProperty("startedAt").GetString(), StringComparison.Ordinal);
        var run = detail.GetProperty("run");
        Assert.Equal(Ns(0), Nanos(run, "startUnixNano"));
        Assert.Equal(Ns(2), Nanos(run, "endUnixNano"));
    }

    private static long Nanos(JsonElement e, string name) => long.Parse(e.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);
}
