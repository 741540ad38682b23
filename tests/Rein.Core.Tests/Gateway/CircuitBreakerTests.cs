using Rein.Core.Gateway;

namespace Rein.Core.Tests.Gateway;

public sealed class CircuitBreakerTests
{
    private sealed class Clock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    [Fact]
    public void Failures_ThresholdInARow_OpensAndRefusesUntilTheCoolDown()
    {
        var clock = new Clock();
        var breaker = new CircuitBreaker(3, TimeSpan.FromSeconds(30), clock);
        for (var i = 0; i < 2; i++)
        {
            Assert.True(breaker.TryEnter());
            breaker.Failure();
        }

        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryEnter());
        breaker.Failure();
        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryEnter());
        Assert.Equal(TimeSpan.FromSeconds(30), breaker.RetryAfter);

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(breaker.TryEnter());
        Assert.Equal(TimeSpan.FromSeconds(1), breaker.RetryAfter);
    }

    [Fact]
    public void Success_BetweenFailures_RestartsTheCount()
    {
        var breaker = new CircuitBreaker(3, TimeSpan.FromSeconds(30), new Clock());
        breaker.Failure();
        breaker.Failure();
        breaker.Success();
        breaker.Failure();
        breaker.Failure();
        Assert.Equal(CircuitState.Closed, breaker.State);
        breaker.Failure();
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void AfterCoolDown_OneTrialOnly_SuccessCloses()
    {
        var clock = new Clock();
        var breaker = new CircuitBreaker(1, TimeSpan.FromSeconds(10), clock);
        breaker.Failure();
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(CircuitState.HalfOpen, breaker.State);

        Assert.True(breaker.TryEnter());
        Assert.False(breaker.TryEnter());
        breaker.Success();
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryEnter());
        Assert.True(breaker.TryEnter());
    }

    [Fact]
    public void AfterCoolDown_FailedTrial_OpensForAnotherCoolDown()
    {
        var clock = new Clock();
        var breaker = new CircuitBreaker(2, TimeSpan.FromSeconds(10), clock);
        breaker.Failure();
        breaker.Failure();
        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.True(breaker.TryEnter());
        breaker.Failure();
        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryEnter());
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(breaker.TryEnter());
    }

    [Fact]
    public void ManyThreads_AfterCoolDown_ExactlyOneTrialGoesThrough()
    {
        var clock = new Clock();
        var breaker = new CircuitBreaker(1, TimeSpan.FromSeconds(1), clock);
        breaker.Failure();
        clock.Advance(TimeSpan.FromSeconds(1));
        var entered = 0;
        Parallel.For(0, 64, _ =>
        {
            if (breaker.TryEnter())
            {
                Interlocked.Increment(ref entered);
            }
        });
        Assert.Equal(1, entered);
    }

    [Theory]
    [InlineData(0, 30)]
    [InlineData(1001, 30)]
    [InlineData(5, 0)]
    [InlineData(5, 3601)]
    public void Bounds_OutOfRange_Refused(int threshold, int coolDownSeconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CircuitBreaker(threshold, TimeSpan.FromSeconds(coolDownSeconds), new Clock()));
}
