namespace Rein.Server.Approvals;

/// <summary>Approval requests: how long they stay open, how long agents may wait on one, and the bounds on what
/// people send when they decide (section <c>Approvals</c>).</summary>
public sealed class ApprovalsOptions : IReinSettings
{
    /// <summary>How long a request stays open when neither its policy (<c>approval_expiry</c>) nor its queue says.</summary>
    public TimeSpan DefaultExpiry { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Longest <c>?wait=</c> of one long poll; a client that waits longer asks again.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the token of an approval may be redeemed at the gate after the approval.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often open requests past their expiry are marked expired. The expiry is late by at most this.</summary>
    public TimeSpan ExpiryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest note an approver may leave with a decision, in characters.</summary>
    public int MaxNoteLength { get; set; } = 2000;

    /// <summary>Largest modified arguments an approver may send, in bytes of JSON; the gate's own body limit is 64 KiB.</summary>
    public int MaxArgsBytes { get; set; } = 64 * 1024;

    /// <summary>How often a waiting request re-reads the request even without a notification, so a lost one costs at
    /// most this much delay.</summary>
    public TimeSpan NotifyPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Long polls one server holds open at once; beyond it a request is answered at once, as it stands.</summary>
    public int MaxWaiters { get; set; } = 10_000;

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        foreach (var (key, value, min, max) in new (string, TimeSpan, TimeSpan, TimeSpan)[]
        {
            (nameof(DefaultExpiry), DefaultExpiry, TimeSpan.FromMinutes(1), TimeSpan.FromDays(7)),
            (nameof(MaxWait), MaxWait, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
            (nameof(TokenLifetime), TokenLifetime, TimeSpan.FromSeconds(10), TimeSpan.FromDays(1)),
            (nameof(ExpiryInterval), ExpiryInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10)),
            (nameof(NotifyPollInterval), NotifyPollInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1)),
        })
        {
            if (value < min || value > max)
            {
                yield return (key, $"must be between {Format(min)} and {Format(max)}");
            }
        }

        foreach (var (key, value, min, max) in new (string, int, int, int)[]
        {
            (nameof(MaxNoteLength), MaxNoteLength, 1, 100_000),
            (nameof(MaxArgsBytes), MaxArgsBytes, 1024, 16 * 1024 * 1024),
            (nameof(MaxWaiters), MaxWaiters, 1, 1_000_000),
        })
        {
            if (value < min || value > max)
            {
                yield return (key, $"must be between {min} and {max}");
            }
        }
    }

    internal static string Format(TimeSpan span) => Policies.Durations.Format(span);
}
