using Microsoft.Extensions.Logging;

namespace Rein.Server.Storage;

/// <summary>
/// Whether storage is serving, as the server's own reads and writes find it: a storage outage (see
/// <see cref="StorageFailure"/>) marks it unavailable; a write that commits once no outage has been seen for
/// <see cref="QuietPeriod"/> marks it available again. The quiet period matters on a full disk, where a small write
/// can still fit in space a failed large one had claimed while every large write fails. Each change is logged once
/// (events 2010 and 2011), so an outage under load is two lines, not one stack trace per request.
/// </summary>
public sealed class StorageHealth(Action? onOutage = null)
{
    private readonly Lock _lock = new();
    private ILogger? _logger;
    private TimeProvider _time = TimeProvider.System;
    private StorageUnavailable? _outage;
    private DateTimeOffset _since;
    private DateTimeOffset _lastFailure;

    /// <summary>How long after the last failure a committed write ends an outage.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(5);

    /// <summary>The outage under way, or null while storage serves.</summary>
    public StorageUnavailable? Outage => Volatile.Read(ref _outage);

    internal void Attach(ILogger logger, TimeProvider time)
    {
        _logger = logger;
        _time = time;
    }

    /// <summary>Records <paramref name="exception"/> when it is a storage outage; returns the outage, or null when it
    /// is another error (which the caller handles as before).</summary>
    public StorageUnavailable? Failed(Exception exception, string kind, string location)
    {
        var outage = StorageFailure.Classify(exception);
        if (outage is null)
        {
            return null;
        }

        onOutage?.Invoke();
        lock (_lock)
        {
            _lastFailure = _time.GetUtcNow();
            if (_outage is null)
            {
                _since = _lastFailure;
                if (_logger is not null)
                {
                    Log.StorageUnavailable(_logger, kind, location, outage.Reason, exception.GetType().Name, exception.Message);
                }
            }

            Volatile.Write(ref _outage, outage);
        }

        return outage;
    }

    /// <summary>A write committed: storage serves, unless an outage was seen within <see cref="QuietPeriod"/>.</summary>
    public void Succeeded(string kind, string location)
    {
        if (Volatile.Read(ref _outage) is null)
        {
            return;
        }

        lock (_lock)
        {
            if (_outage is null || _time.GetUtcNow() - _lastFailure < QuietPeriod)
            {
                return;
            }

            Volatile.Write(ref _outage, null);
            if (_logger is not null)
            {
                Log.StorageAvailable(_logger, kind, location, _time.GetUtcNow() - _since);
            }
        }
    }
}
