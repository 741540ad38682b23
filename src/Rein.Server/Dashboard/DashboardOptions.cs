namespace Rein.Server.Dashboard;

/// <summary>Dashboard sessions (section <c>Dashboard</c>).</summary>
public sealed class DashboardOptions : IReinSettings
{
    /// <summary>How long a sign-in lasts without activity; the key is re-checked on every request regardless.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (SessionLifetime < TimeSpan.FromMinutes(1) || SessionLifetime > TimeSpan.FromDays(30))
        {
            yield return (nameof(SessionLifetime), "must be between 1 minute and 30 days");
        }
    }
}
