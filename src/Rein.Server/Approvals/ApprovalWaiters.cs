namespace Rein.Server.Approvals;

/// <summary>
/// The long polls this server holds, by request. A decision or an expiry signals the request's waiters after it
/// commits: directly on this server, and through PostgreSQL's NOTIFY on the others
/// (<see cref="PostgresApprovalListener"/>). Waiters re-read the request on every signal and at least every
/// <see cref="ApprovalsOptions.NotifyPollInterval"/>, so a lost signal costs delay, never a wrong answer.
/// </summary>
internal sealed class ApprovalWaiters(ApprovalsOptions options)
{
    /// <summary>The PostgreSQL notification channel; the payload is <c>&lt;project&gt;/&lt;request id&gt;</c>.</summary>
    public const string Channel = "rein_approvals";

    private readonly Dictionary<string, List<Waiter>> _waiters = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>A waiter for one request, or null when <see cref="ApprovalsOptions.MaxWaiters"/> are already waiting.</summary>
    public Waiter? Register(string projectId, string id)
    {
        var key = Key(projectId, id);
        lock (_lock)
        {
            if (_count >= options.MaxWaiters)
            {
                return null;
            }

            if (!_waiters.TryGetValue(key, out var list))
            {
                _waiters[key] = list = [];
            }

            var waiter = new Waiter(this, key);
            list.Add(waiter);
            _count++;
            return waiter;
        }
    }

    public void Signal(string projectId, string id) => Signal(Key(projectId, id));

    /// <summary>A notification's payload, <c>&lt;project&gt;/&lt;id&gt;</c>; anything else is ignored.</summary>
    public void SignalPayload(string payload)
    {
        var slash = payload.LastIndexOf('/');
        if (slash > 0 && slash < payload.Length - 1)
        {
            Signal(payload);
        }
    }

    /// <summary>Every waiter re-reads its request: after the notification connection was lost, nothing is known missed.</summary>
    public void SignalAll()
    {
        lock (_lock)
        {
            foreach (var list in _waiters.Values)
            {
                foreach (var waiter in list)
                {
                    waiter.Set();
                }
            }
        }
    }

    private void Signal(string key)
    {
        lock (_lock)
        {
            if (_waiters.TryGetValue(key, out var list))
            {
                foreach (var waiter in list)
                {
                    waiter.Set();
                }
            }
        }
    }

    private void Remove(Waiter waiter)
    {
        lock (_lock)
        {
            if (_waiters.TryGetValue(waiter.Key, out var list) && list.Remove(waiter))
            {
                _count--;
                if (list.Count == 0)
                {
                    _waiters.Remove(waiter.Key);
                }
            }
        }
    }

    private static string Key(string projectId, string id) => projectId + "/" + id;

    /// <summary>One long poll's wake-up: signalled, or its time is up.</summary>
    internal sealed class Waiter(ApprovalWaiters owner, string key) : IDisposable
    {
        private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Key { get; } = key;

        /// <summary>Returns when signalled (true) or after <paramref name="timeout"/> (false); a signal is consumed.</summary>
        public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
        {
            var signal = Volatile.Read(ref _signal);
            try
            {
                await signal.Task.WaitAsync(timeout, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return false;
            }

            Interlocked.CompareExchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), signal);
            return true;
        }

        public void Set() => Volatile.Read(ref _signal).TrySetResult();

        public void Dispose() => owner.Remove(this);
    }
}
