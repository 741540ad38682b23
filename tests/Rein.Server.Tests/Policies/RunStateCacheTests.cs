using Rein.Server.Policies;

namespace Rein.Server.Tests.Policies;

public sealed class RunStateCacheTests
{
    private static RunBudgetState State(string run, long steps) =>
        new(new GateRunRow { RunId = run, Steps = steps, StartedAt = 0, Depth = 0 }, steps, [], 10);

    [Fact]
    public void Put_OverCapacity_DropsTheLeastRecentlyUsed()
    {
        var cache = new RunStateCache(2);
        cache.Put(("p", "a"), State("a", 1));
        cache.Put(("p", "b"), State("b", 1));
        cache.Put(("p", "a"), State("a", 1));
        cache.Put(("p", "c"), State("c", 1));

        Assert.Equal(2, cache.Count);
        Assert.Null(cache.Take(("p", "b"), 1));
        Assert.NotNull(cache.Take(("p", "a"), 1));
        Assert.NotNull(cache.Take(("p", "c"), 1));
    }

    [Fact]
    public void Take_StepsMovedElsewhere_ReturnsNothingAndForgetsTheRun()
    {
        var cache = new RunStateCache(10);
        cache.Put(("p", "a"), State("a", 3));

        Assert.Null(cache.Take(("p", "a"), 4));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Take_RemovesTheRunWhileATransactionUsesIt()
    {
        var cache = new RunStateCache(10);
        cache.Put(("p", "a"), State("a", 3));

        Assert.NotNull(cache.Take(("p", "a"), 3));
        Assert.Null(cache.Take(("p", "a"), 3));
    }

    [Fact]
    public void Put_CapacityZero_KeepsNothing()
    {
        var cache = new RunStateCache(0);
        cache.Put(("p", "a"), State("a", 1));

        Assert.Equal(0, cache.Count);
    }
}
