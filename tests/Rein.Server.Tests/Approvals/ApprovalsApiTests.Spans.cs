using System.Globalization;
using System.Net;
using System.Text.Json;

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

    /// <summary>Rein's spans go through trace ingest after the decision: waits until the run holds the named one.</summary>
    private static async Task<JsonElement> SpanAsync(ApprovalHarness h, string run, string name)
    {
        var last = "";
        for (var i = 0; i < 200; i++)
        {
            using var response = await h.Viewer.GetAsync($"/api/v1/runs/{run}", Ct);
            last = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                using var detail = JsonDocument.Parse(last);
                foreach (var span in detail.RootElement.GetProperty("spans").EnumerateArray())
                {
                    if (span.GetProperty("name").GetString() == name)
                    {
                        return span.Clone();
                    }
                }
            }

            await Task.Delay(50, Ct);
        }

        throw new Xunit.Sdk.XunitException($"run {run} never held a span {name}; last answer: {last}");
    }
}
