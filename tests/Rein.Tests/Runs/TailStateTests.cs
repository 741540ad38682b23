using Rein.Cli.Runs;
using Rein.Client;

namespace Rein.Cli.Tests.Runs;

public sealed class TailStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Observe_FirstPoll_PrintsNothingThatAlreadyExisted()
    {
        var state = new TailState(TimeSpan.FromMinutes(1));

        var printed = state.Observe([Run("a", RunStatuses.Success), Run("b", RunStatuses.Failure)], Now.AddMinutes(-15), Now);

        Assert.Empty(printed);
    }

    [Fact]
    public void Observe_RunFinishingLater_IsPrintedOnceWhenItFinishes()
    {
        var state = new TailState(TimeSpan.FromMinutes(1));
        state.Observe([], Now.AddMinutes(-15), Now);

        var running = state.Observe([Run("a", RunStatuses.Running)], Now.AddMinutes(-15), Now.AddSeconds(2));
        var finished = state.Observe([Run("a", RunStatuses.Success)], Now.AddMinutes(-15), Now.AddSeconds(4));
        var again = state.Observe([Run("a", RunStatuses.Success)], Now.AddMinutes(-15), Now.AddSeconds(6));

        Assert.Empty(running);
        Assert.Equal(RunStatuses.Success, Assert.Single(finished).Status);
        Assert.Empty(again);
    }

    [Fact]
    public void Observe_RunStillRunningAfterTheWait_IsPrintedAsRunningOnce()
    {
        var state = new TailState(TimeSpan.FromSeconds(30));
        state.Observe([], Now.AddMinutes(-15), Now);
        state.Observe([Run("a", RunStatuses.Running)], Now.AddMinutes(-15), Now);

        var early = state.Observe([Run("a", RunStatuses.Running)], Now.AddMinutes(-15), Now.AddSeconds(29));
        var late = state.Observe([Run("a", RunStatuses.Running)], Now.AddMinutes(-15), Now.AddSeconds(30));
        var finished = state.Observe([Run("a", RunStatuses.Success)], Now.AddMinutes(-15), Now.AddSeconds(40));

        Assert.Empty(early);
        Assert.Equal(RunStatuses.Running, Assert.Single(late).Status);
        Assert.Empty(finished);
    }

    [Fact]
    public void Observe_RunsBeforeTheWindow_AreForgotten()
    {
        var state = new TailState(TimeSpan.FromMinutes(1));
        state.Observe([Run("old", RunStatuses.Success, Now.AddMinutes(-10))], Now.AddMinutes(-15), Now);

        state.Observe([], Now.AddMinutes(-5), Now.AddMinutes(10));

        Assert.Equal(0, state.Tracked);
    }

    [Fact]
    public void Observe_MoreRunsThanTheBound_KeepsTrackingAtMostTheBound()
    {
        var state = new TailState(TimeSpan.FromMinutes(1));
        var runs = Enumerable.Range(0, TailState.MaxTracked + 500).Select(i => Run($"r{i}", RunStatuses.Success, Now.AddMilliseconds(-i))).ToList();

        state.Observe(runs, Now.AddMinutes(-15), Now);

        Assert.Equal(TailState.MaxTracked, state.Tracked);
    }

    [Fact]
    public void Observe_SeveralNewRuns_PrintsThemOldestFirst()
    {
        var state = new TailState(TimeSpan.FromMinutes(1));
        state.Observe([], Now.AddMinutes(-15), Now);

        var printed = state.Observe([Run("new", RunStatuses.Success, Now), Run("older", RunStatuses.Failure, Now.AddSeconds(-5))], Now.AddMinutes(-15), Now);

        Assert.Equal(["older", "new"], printed.Select(r => r.Id));
    }

    private static Run Run(string id, string status, DateTimeOffset? startedAt = null) => new(
        id, "default", "root", "agent", null, null, null, status, startedAt ?? Now.AddSeconds(-1), 10, 1, 0, 0, 0, new RunTokens(0, 0, 0, 0), 0m, 0, 0);
}
