namespace Rein.Server.Identity;

/// <summary>Bounds on projects and keys (section <c>Identity</c>).</summary>
public sealed class IdentityOptions : IReinSettings
{
    /// <summary>Projects on one server.</summary>
    public int MaxProjects { get; set; } = 1000;

    /// <summary>Keys that are neither revoked nor expired, per project. Revoked keys stay listed for the record.</summary>
    public int MaxActiveKeysPerProject { get; set; } = 1000;

    /// <summary>How often a key's last-used time is written at most; every request would be a write otherwise.</summary>
    public TimeSpan LastUsedResolution { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (MaxProjects is < 1 or > 100_000)
        {
            yield return (nameof(MaxProjects), "must be between 1 and 100000");
        }

        if (MaxActiveKeysPerProject is < 1 or > 100_000)
        {
            yield return (nameof(MaxActiveKeysPerProject), "must be between 1 and 100000");
        }

        if (LastUsedResolution < TimeSpan.Zero || LastUsedResolution > TimeSpan.FromDays(1))
        {
            yield return (nameof(LastUsedResolution), "must be between 0 and 1 day");
        }
    }
}
