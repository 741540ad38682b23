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

    [Fact]
    public async Task Gate_MaxQueuedPerKey_ANoisyKeyIsDenied_WhileAnotherKeyOfItsProjectIsQueued()
    {
        await using var host = await TestHost.StartAsync();
        var gate = Stalled(host, new GateOptions { QueueCapacity = 10, MaxQueuedPerProject = 3, MaxQueuedPerKey = 2, CommitTimeout = TimeSpan.FromSeconds(30) });
        var noisy = new Caller("noisy", "a", "default", Role.Agent);
        var waiting = new[] { gate.DecideAsync(noisy, new GateCall { Agent = "a", Tool = "t" }, Ct), gate.DecideAsync(noisy, new GateCall { Agent = "a", Tool = "t" }, Ct) };

        var refused = await gate.DecideAsync(noisy, new GateCall { Agent = "a", Tool = "t" }, Ct);
        var quiet = gate.DecideAsync(new Caller("quiet", "b", "default", Role.Agent), new GateCall { Agent = "b", Tool = "t" }, Ct);

        Assert.Equal("deny", refused.Effect);
        Assert.Equal("gate.unavailable", refused.Reasons[0].Rule);
        Assert.Contains("this key already holds 2 decisions waiting", refused.Reasons[0].Message, StringComparison.Ordinal);
        Assert.Contains("Gate:MaxQueuedPerKey", refused.Reasons[0].Message, StringComparison.Ordinal);
        Assert.False(quiet.IsCompleted);
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
    }

    [Fact]
    public async Task Gate_MaxQueuedPerProject_ANoisyProjectIsDenied_WhileAnotherProjectIsQueued()
    {
        await using var host = await TestHost.StartAsync();
        var gate = Stalled(host, new GateOptions { QueueCapacity = 10, MaxQueuedPerProject = 3, MaxQueuedPerKey = 2, CommitTimeout = TimeSpan.FromSeconds(30) });
        var a = new Caller("a", "a", "noisy", Role.Agent);
        var b = new Caller("b", "b", "noisy", Role.Agent);
        var waiting = new[] { gate.DecideAsync(a, new GateCall { Agent = "a", Tool = "t" }, Ct), gate.DecideAsync(a, new GateCall { Agent = "a", Tool = "t" }, Ct), gate.DecideAsync(b, new GateCall { Agent = "b", Tool = "t" }, Ct) };

        var refused = await gate.DecideAsync(b, new GateCall { Agent = "b", Tool = "t" }, Ct);
        var quiet = gate.DecideAsync(new Caller("q", "q", "quiet", Role.Agent), new GateCall { Agent = "q", Tool = "t" }, Ct);

        Assert.Equal("deny", refused.Effect);
        Assert.Contains("project noisy already holds 3 decisions waiting", refused.Reasons[0].Message, StringComparison.Ordinal);
        Assert.Contains("Gate:MaxQueuedPerProject", refused.Reasons[0].Message, StringComparison.Ordinal);
        Assert.False(quiet.IsCompleted);
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
    }
}
