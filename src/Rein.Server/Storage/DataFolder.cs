namespace Rein.Server.Storage;

/// <summary>
/// The data folder holds the SQLite database (and in it the dashboard's data-protection keys) and admin.key: only its
/// owner may read them. The folder is created 0700 and the database files 0600; a folder that others can read or that
/// its group can write stops the start unless <see cref="ReinOptions.AllowSharedDataDir"/> says otherwise. As with
/// PostgreSQL's data directory, a group may read (0750) but never write. Unix only: Windows folders inherit ACLs.
/// </summary>
internal static class DataFolder
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode TooOpen = UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
    private const UnixFileMode NotOwners = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | TooOpen;

    /// <exception cref="ReinStartupException">The folder cannot be created, or others may read or write it.</exception>
    public static void CreateAndCheck(string dataDir, bool allowShared)
    {
        var path = Path.GetFullPath(dataDir);
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(path);
                return;
            }

            if (!Directory.Exists(path))
            {
                Directory.CreateDirectory(path, OwnerOnlyFolder);
                return;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReinStartupException($"DataDir: cannot create the data folder {path}: {e.Message}", e);
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & TooOpen) != 0 && !allowShared)
        {
            throw new ReinStartupException(
                $"DataDir: the data folder {path} has mode {Octal(mode)}, so other users can {((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0 ? "change" : "read")} the database and admin.key in it. " +
                $"Make it the owner's only: chmod 700 {path} (or 750 to let its group read it). " +
                "To start anyway, set AllowSharedDataDir to true (REIN_ALLOW_SHARED_DATA_DIR=true).");
        }
    }

    /// <summary>Creates the SQLite file owner-only before SQLite does (SQLite gives its -wal and -shm files the
    /// database file's mode), and takes away what others may do with database files an earlier version left readable.</summary>
    /// <returns>The files whose mode was narrowed.</returns>
    public static IReadOnlyList<string> SecureDatabaseFiles(string databasePath)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(Path.GetDirectoryName(databasePath)))
        {
            return [];
        }

        if (!File.Exists(databasePath))
        {
            // An empty file is an empty SQLite database.
            using var created = new FileStream(databasePath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = OwnerOnlyFile,
            });
            return [];
        }

        var narrowed = new List<string>();
        foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm", databasePath + "-journal" })
        {
            if (File.Exists(file) && File.GetUnixFileMode(file) is var mode && (mode & NotOwners) != 0)
            {
                File.SetUnixFileMode(file, mode & ~NotOwners);
                narrowed.Add(file);
            }
        }

        return narrowed;
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
}
