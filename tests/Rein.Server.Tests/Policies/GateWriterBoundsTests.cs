using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Core.Identity;
using Rein.Core.Traces;
using Rein.Server.Identity;
using Rein.Server.Policies;
using Rein.Server.Storage;
using Rein.Server.Tests.Hosting;
using Rein.Server.Traces;

namespace Rein.Server.Tests.Policies;

/// <summary>The gate's queue and commit bounds, with a writer whose loop is not running so nothing drains.</summary>
public sealed class GateWriterBoundsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static GateService Stalled(TestHost host, GateOptions options)
    {
        var sp = host.App.Services;
        var writer = new GateWriter(
            sp.GetRequiredService<ReinDatabase>(), sp.GetRequiredService<PolicyCatalog>(), sp.GetRequiredService<TraceQueries>(),
            sp.GetRequiredService<DecisionSpans>(), sp.GetRequiredService<Redactor>(), sp.GetRequiredService<Rein.Server.Approvals.ApprovalRequests>(),
            sp.GetRequiredService<Rein.Server.Audit.AuditLog>(), options, TimeProvider.System, NullLogger<GateWriter>.Instance);
        return new GateService(writer, sp.GetRequiredService<TraceQueries>());
    }

    private static readonly Caller Agent = new("k1", "a", "default", Role.Agent);

    [Fact]
    public async Task Gate_CommitTimeout_AnswersDenyGateUnavailable()
    {
        await using var host = await TestHost.StartAsync();
        var gate = Stalled(host, new GateOptions { CommitTimeout = TimeSpan.FromMilliseconds(50) });
        var decision = await gate.DecideAsync(Agent, new GateCall { Agent = "a", Tool = "t" }, Ct);
        Assert.Equal("deny", decision.Effect);
        Assert.Equal("gate.unavailable", decision.Reasons[0].Rule);
        Assert.Contains("Gate:CommitTimeout", decision.Reasons[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_QueueCapacity_FullQueueAnswersDenyGateUnavailable()
    {
        await using var host = await TestHost.StartAsync();
        var gate = Stalled(host, new GateOptions { QueueCapacity = 1, CommitTimeout = TimeSpan.FromSeconds(30) });
        var waiting = gate.DecideAsync(Agent, new GateCall { Agent = "a", Tool = "t" }, Ct);
        var refused = await gate.DecideAsync(Agent, new GateCall { Agent = "a", Tool = "t" }, Ct);
        Assert.Equal("deny", refused.Effect);
        Assert.Contains("Gate:QueueCapacity", refused.Reasons[0].Message, StringComparison.Ordinal);
        Assert.False(waiting.IsCompleted);
    }
}
