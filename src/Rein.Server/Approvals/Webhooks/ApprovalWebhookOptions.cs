namespace Rein.Server.Approvals.Webhooks;

/// <summary>How approval webhooks are delivered (section <c>Approvals:Webhooks</c>, beside the approvals' own
/// <c>Approvals</c> settings).</summary>
public sealed class ApprovalWebhookOptions : IReinSettings
{
    /// <summary>Most entries of <see cref="Backoff"/>.</summary>
    public const int MaxBackoffSteps = 20;

    /// <summary>The dashboard's address as people reach it (<c>https://rein.example.com</c>); a webhook's link to a
    /// request is <c>&lt;PublicUrl&gt;/approvals/&lt;id&gt;</c>. Empty: the server's own listening address, which is
    /// only right when people reach Rein directly.</summary>
    public string PublicUrl { get; set; } = "";

    /// <summary>How long one attempt may take, connecting included, before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per delivery, the first included; after the last failed one the delivery is <c>failed</c>.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait after the 1st, 2nd, ... failed attempt; the last entry repeats when attempts outnumber it.
    /// The defaults spread five attempts over about two and a half minutes, long enough to ride out a receiver's
    /// restart, short enough that a person still sees the request before a 15-minute expiry.</summary>
    public List<string> Backoff { get; set; } = ["1s", "5s", "30s", "2m", "10m"];

    /// <summary>How often each server looks for deliveries that are due. A new request waits at most this long.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deliveries one server takes at a time.</summary>
    public int BatchSize { get; set; } = 20;

    /// <summary>Deliveries of one project in one batch at most, so a project with many waiting (or a receiver that times
    /// out) cannot keep other projects' deliveries waiting behind its own.</summary>
    public int MaxBatchPerProject { get; set; } = 5;

    /// <summary>Deliveries of one approval queue (one receiver) in one batch at most.</summary>
    public int MaxBatchPerQueue { get; set; } = 3;

    /// <summary>Deliveries one server sends at once, so one slow receiver does not hold up the others.</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>Delivered and failed deliveries are kept this long in the delivery log, then deleted.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary><see cref="Backoff"/> as durations (valid once <see cref="Validate"/> found nothing).</summary>
    public IReadOnlyList<TimeSpan> BackoffSteps => [.. Backoff.Select(b => Durations.TryParse(b, out var d) ? d : TimeSpan.Zero)];

    /// <summary>The wait after failed attempt number <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        var steps = BackoffSteps;
        return steps[Math.Clamp(attempt - 1, 0, steps.Count - 1)];
    }

    /// <summary>How long a server holds the deliveries it took before another may take them: long enough for the
    /// whole batch to be sent at <see cref="Concurrency"/> with every attempt timing out, plus a minute of slack.</summary>
    public TimeSpan Lease => (Timeout * ((BatchSize + Concurrency - 1) / Concurrency)) + TimeSpan.FromMinutes(1);

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (PublicUrl.Length > 0 && WebhookUrls.Problem(PublicUrl, allowQuery: false) is { } problem)
        {
            yield return (nameof(PublicUrl), problem);
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(2))
        {
            yield return (nameof(Timeout), "must be more than 0 and at most 2 minutes");
        }

        foreach (var (key, value, min, max) in new (string, int, int, int)[]
        {
            (nameof(MaxAttempts), MaxAttempts, 1, 20),
            (nameof(BatchSize), BatchSize, 1, 1000),
            (nameof(MaxBatchPerProject), MaxBatchPerProject, 1, 1000),
            (nameof(MaxBatchPerQueue), MaxBatchPerQueue, 1, 1000),
            (nameof(Concurrency), Concurrency, 1, 64),
        })
        {
            if (value < min || value > max)
            {
                yield return (key, $"must be between {min} and {max}");
            }
        }

        if (Backoff.Count is 0 or > MaxBackoffSteps)
        {
            yield return (nameof(Backoff), $"must list 1 to {MaxBackoffSteps} durations, such as 1s, 5s, 30s, 2m, 10m");
        }

        foreach (var step in Backoff)
        {
            if (!Durations.TryParse(step, out var delay) || delay <= TimeSpan.Zero || delay > TimeSpan.FromDays(1))
            {
                yield return (nameof(Backoff), $"'{step}' is not a duration of more than 0 and at most 1 day, such as 30s or 2m");
            }
        }

        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromMinutes(1))
        {
            yield return (nameof(PollInterval), "must be between 10ms and 1 minute");
        }

        if (Retention < TimeSpan.FromHours(1) || Retention > TimeSpan.FromDays(3650))
        {
            yield return (nameof(Retention), "must be between 1 hour and 3650 days");
        }
    }
}
