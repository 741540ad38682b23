using Microsoft.Extensions.Logging;

namespace Rein.Server.Identity;

/// <summary>Holds the admin key made on first start until the console has shown it, then forgets it.</summary>
public sealed class FirstRunKey
{
    private string? _value;

    public string? KeyFile { get; private set; }

    internal void Set(string value, string? keyFile)
    {
        _value = value;
        KeyFile = keyFile;
    }

    /// <summary>The key, once; null afterwards and on every start but the first.</summary>
    public string? Take() => Interlocked.Exchange(ref _value, null);
}

/// <summary>On the first start against an empty database, creates the default project and its admin key, and writes
/// the key to <c>admin.key</c> in the data folder, readable by the owner only.</summary>
public sealed class Bootstrapper(ProjectService projects, ReinOptions options, FirstRunKey firstRun, ILogger<Bootstrapper> logger)
{
    public const string KeyFileName = "admin.key";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var created = await projects.CreateDefaultAsync(cancellationToken);
        if (created is null)
        {
            return;
        }

        var keyFile = Path.GetFullPath(Path.Combine(options.DataDir, KeyFileName));
        try
        {
            WriteOwnerOnly(keyFile, created.AdminKey.Value + "\n");
            firstRun.Set(created.AdminKey.Value, keyFile);
            Log.Bootstrapped(logger, created.Project.Id, created.AdminKey.Key.Id, keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            firstRun.Set(created.AdminKey.Value, null);
            Log.BootstrapKeyFileFailed(logger, created.Project.Id, created.AdminKey.Key.Id, keyFile, e.Message);
        }
    }

    /// <summary>Replaces the file (a stale key from an earlier database must not survive) with mode 0600 from the start,
    /// so the key is never readable by others, not even for a moment.</summary>
    internal static void WriteOwnerOnly(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, fileOptions);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }
}
