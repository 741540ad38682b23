using Rein.Testing;

namespace Rein.Cli.Tests.Cli;

/// <summary><see cref="Connection.Resolve"/> on its own: which setting wins, and where the admin key is looked for.</summary>
public sealed class ConnectionResolveTests : IDisposable
{
    private const string FlagKey = "rein_aaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string EnvKey = "rein_bbbbbbbbbbbb_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private const string FileKey = "rein_cccccccccccc_cccccccccccccccccccccccccccccccccccccccc";

    private readonly TempDirectory _cwd = new();
    private readonly Dictionary<string, string?> _env = [];

    public void Dispose() => _cwd.Dispose();

    [Fact]
    public void Resolve_NothingSet_UsesTheDefaultServerAndTheLocalAdminKeyFile()
    {
        var file = WriteKeyFile(_cwd.Combine(".rein"));

        var connection = Resolve();

        Assert.Equal(new Uri(Connection.DefaultServer), connection.Server);
        Assert.Equal(FileKey, connection.ApiKey);
        Assert.Equal(file, connection.KeySource);
    }

    [Fact]
    public void Resolve_FlagAndEnvironment_FlagWins()
    {
        _env["REIN_URL"] = "http://env.example:1";
        _env["REIN_API_KEY"] = EnvKey;

        var connection = Resolve(server: "http://flag.example:2", key: FlagKey);

        Assert.Equal("flag.example", connection.Server.Host);
        Assert.Equal(FlagKey, connection.ApiKey);
        Assert.Equal("--api-key", connection.KeySource);
    }

    [Fact]
    public void Resolve_EnvironmentAndKeyFile_EnvironmentWins()
    {
        WriteKeyFile(_cwd.Combine(".rein"));
        _env["REIN_URL"] = "http://localhost:9000";
        _env["REIN_API_KEY"] = EnvKey;

        var connection = Resolve();

        Assert.Equal(9000, connection.Server.Port);
        Assert.Equal(EnvKey, connection.ApiKey);
        Assert.Equal("REIN_API_KEY", connection.KeySource);
    }

    [Theory]
    [InlineData("REIN_DATA_DIR")]
    [InlineData("REIN_DATADIR")]
    public void Resolve_DataDirVariable_ReadsTheAdminKeyFileThere(string variable)
    {
        WriteKeyFile(_cwd.Combine(".rein"));
        using var dataDir = new TempDirectory();
        var file = WriteKeyFile(dataDir.Path, "rein_dddddddddddd_dddddddddddddddddddddddddddddddddddddddd");
        _env[variable] = dataDir.Path;

        var connection = Resolve();

        Assert.Equal(file, connection.KeySource);
        Assert.StartsWith("rein_dddd", connection.ApiKey, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:7346")]
    [InlineData("http://localhost:7346")]
    [InlineData("http://[::1]:7346")]
    public void Resolve_LoopbackServer_FallsBackToTheKeyFile(string server)
    {
        WriteKeyFile(_cwd.Combine(".rein"));

        Assert.Equal(FileKey, Resolve(server: server).ApiKey);
    }

    [Fact]
    public void Resolve_RemoteServerWithoutKey_RefusesWithUnauthorizedEvenWithAKeyFile()
    {
        WriteKeyFile(_cwd.Combine(".rein"));

        var e = Assert.Throws<CliException>(() => Resolve(server: "https://rein.example.com"));

        Assert.Equal(ExitCodes.Unauthorized, e.ExitCode);
        Assert.Contains("REIN_API_KEY", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rein.example.com")]
    [InlineData("ftp://rein.example.com")]
    [InlineData("http://")]
    public void Resolve_ServerThatIsNotAnHttpAddress_IsAUsageErrorNamingTheSource(string server)
    {
        _env["REIN_URL"] = server;

        var e = Assert.Throws<CliException>(() => Resolve(key: FlagKey));

        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.StartsWith("REIN_URL: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_KeyFileWithTrailingNewline_TrimsIt()
    {
        Directory.CreateDirectory(_cwd.Combine(".rein"));
        File.WriteAllText(_cwd.Combine(".rein", "admin.key"), FileKey + "\n");

        Assert.Equal(FileKey, Resolve().ApiKey);
    }

    private Connection Resolve(string? server = null, string? key = null) =>
        Connection.Resolve(server, key, name => _env.GetValueOrDefault(name), _cwd.Path);

    private static string WriteKeyFile(string dir, string key = FileKey)
    {
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "admin.key");
        File.WriteAllText(file, key);
        return file;
    }
}
