namespace Rein.Testing;

/// <summary>
/// Tests that need a program installed on the machine (PostgreSQL, Chromium) skip with a message when it is missing,
/// except in CI (<c>CI=true</c>), where a missing program is a failure: those tests must run there.
/// </summary>
public static class Requirements
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips the test (or fails it in CI) with the reason.</summary>
    public static void Unavailable(string reason)
    {
        if (InCi)
        {
            Assert.Fail($"{reason} CI must run this test: install it in .ci/run.");
        }

        Assert.Skip(reason);
    }

    /// <summary>Finds an executable on PATH or at one of the given paths; null when none exists.</summary>
    public static string? FindExecutable(string name, params string[] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var path = System.IO.Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
