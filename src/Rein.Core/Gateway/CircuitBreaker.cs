namespace Rein.Core.Gateway;

/// <summary>Where a <see cref="CircuitBreaker"/> stands.</summary>
public enum CircuitState
{
    /// <summary>Calls go through; failures are counted.</summary>
    Closed,

    /// <summary>Calls are refused at once until the cool-down has passed.</summary>
    Open,

    /// <summary>The cool-down has passed: one trial call goes through; the others are refused until it ends.</summary>
    HalfOpen,
}

/// <summary>
/// A circuit breaker for one upstream: after <see cref="FailureThreshold"/> failures in a row it opens and refuses
/// calls for <see cref="CoolDown"/>, so a dead upstream costs the agent an immediate error instead of a timeout per call;
/// then one trial call decides whether it closes again or stays open for another cool-down. Driven by a
/// <see cref="TimeProvider"/>; safe to use from many threads.
/// </summary>
public sealed class CircuitBreaker
{
    public const int DefaultFailureThreshold = 5;

    public static readonly TimeSpan DefaultCoolDown = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private CircuitState _state = CircuitState.Closed;
    private int _failures;
    private DateTimeOffset _openedAt;
    private bool _trialInFlight;

    /// <param name="failureThreshold">Failures in a row that open the circuit: 1 to 1000.</param>
    /// <param name="coolDown">How long it stays open before a trial: 1 second to 1 hour.</param>
    /// <param name="time">The clock.</param>
    public CircuitBreaker(int failureThreshold, TimeSpan coolDown, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failureThreshold, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(failureThreshold, 1000);
        ArgumentOutOfRangeException.ThrowIfLessThan(coolDown, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(coolDown, TimeSpan.FromHours(1));
        ArgumentNullException.ThrowIfNull(time);
        FailureThreshold = failureThreshold;
        CoolDown = coolDown;
        _time = time;
    }

    public int FailureThreshold { get; }

    public TimeSpan CoolDown { get; }

    /// <summary>The state now (an open circuit whose cool-down has passed reads as half-open).</summary>
    public CircuitState State
    {
        get
        {
            lock (_lock)
            {
                return _state == CircuitState.Open && CoolDownOver() ? CircuitState.HalfOpen : _state;
            }
        }
    }

    /// <summary>How long until an open circuit lets a trial through; zero when it is not open.</summary>
    public TimeSpan RetryAfter
    {
        get
        {
            lock (_lock)
            {
                if (_state != CircuitState.Open)
                {
                    return TimeSpan.Zero;
                }

                var left = CoolDown - (_time.GetUtcNow() - _openedAt);
                return left > TimeSpan.Zero ? left : TimeSpan.Zero;
            }
        }
    }

    /// <summary>
    /// Whether a call may go through now. True when closed; when the cool-down of an open circuit has passed, true
    /// for exactly one caller (the trial), whose <see cref="Success"/> or <see cref="Failure"/> then decides.
    /// </summary>
    public bool TryEnter()
    {
        lock (_lock)
        {
            switch (_state)
            {
                case CircuitState.Closed:
                    return true;
                case CircuitState.Open when CoolDownOver():
                    _state = CircuitState.HalfOpen;
                    _trialInFlight = true;
                    return true;
                case CircuitState.HalfOpen when !_trialInFlight:
                    _trialInFlight = true;
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>A call that went through succeeded: the failure count restarts and a half-open circuit closes.</summary>
    public void Success()
    {
        lock (_lock)
        {
            _failures = 0;
            _trialInFlight = false;
            _state = CircuitState.Closed;
        }
    }

    /// <summary>A call that went through failed: a failed trial reopens the circuit; enough failures in a row open it.</summary>
    public void Failure()
    {
        lock (_lock)
        {
            _trialInFlight = false;
            if (_state == CircuitState.HalfOpen)
            {
                Open();
                return;
            }

            if (_state == CircuitState.Closed && ++_failures >= FailureThreshold)
            {
                Open();
            }
        }
    }

    private void Open()
    {
        _state = CircuitState.Open;
        _openedAt = _time.GetUtcNow();
        _failures = 0;
    }

    private bool CoolDownOver() => _time.GetUtcNow() - _openedAt >= CoolDown;
}
