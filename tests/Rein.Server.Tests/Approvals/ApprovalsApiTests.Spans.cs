using System.Globalization;

namespace Rein.Server.Tests.Approvals;

/// <summary>The span a decided request writes into its run.</summary>
public abstract partial class ApprovalsApiTests
{
    [Fact]
    public async Task Span_OfADecidedRequest_StartsWhenTheGateOpenedTheRequestToTheMicrosecond()
    {
        await using var h = await StartAsync();
        var run = Run();
        h.Clock.Advance(TimeSpan.FromMicroseconds(700));
        var opened = h.Clock.GetUtcNow();
        var id = await h.OpenAsync(run);
        h.Clock.Advance(TimeSpan.FromSeconds(3));
        await h.ApproveAsync(id);

        var span = await SpanAsync(h, run, "rein.approval payments.refund");

        Assert.Equal((opened.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100, long.Parse(span.GetProperty("startUnixNano").GetString()!, CultureInfo.InvariantCulture));
    }
}
