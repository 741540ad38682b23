namespace Rein.Cli;

/// <summary>
/// Where the CLI sends its requests and with which key, each with the place it came from so that an error can say
/// which setting to fix. Flags win over environment variables; a server on this machine falls back to the admin key
/// that <c>rein serve</c> wrote on first start.
/// </summary>
public sealed record Connection(Uri Server, string ApiKey, string KeySource)
{
    public const string DefaultServer = "http://127.0.0.1:7346";
    public const string UrlVariable = "REIN_URL";
    public const string ApiKeyVariable = "REIN_API_KEY";

    /// <summary>The data folder as the CLI's documentation names it, and as <c>rein serve</c> reads it (REIN_DATADIR).</summary>
    public static readonly IReadOnlyList<string> DataDirVariables = ["REIN_DATA_DIR", "REIN_DATADIR"];

    /// <summary>The server's address for messages: no trailing slash.</summary>
    public string ServerText => Server.AbsoluteUri.TrimEnd('/');

    /// <exception cref="CliException">The server address is not an http(s) URL (exit 2), or there is no key (exit 4).</exception>
    public static Connection Resolve(string? serverOption, string? keyOption, Func<string, string?> environment, string currentDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var server = ResolveServer(serverOption, environment);
        if (NonEmpty(keyOption) is { } flagKey)
        {
            return new Connection(server, flagKey, "--api-key");
        }

        if (NonEmpty(environment(ApiKeyVariable)) is { } envKey)
        {
            return new Connection(server, envKey, ApiKeyVariable);
        }

        var keyFile = AdminKeyFile(environment, currentDirectory);
        if (!server.IsLoopback)
        {
            throw new CliException(ExitCodes.Unauthorized, $"no API key for {server.AbsoluteUri.TrimEnd('/')}: pass --api-key <key> or set {ApiKeyVariable}");
        }

        string? fileKey;
        try
        {
            fileKey = File.Exists(keyFile) ? NonEmpty(File.ReadAllText(keyFile)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Unauthorized, $"no API key: cannot read {keyFile} ({e.Message}); pass --api-key <key> or set {ApiKeyVariable}");
        }

        return fileKey is null
            ? throw new CliException(ExitCodes.Unauthorized, $"no API key: pass --api-key <key> or set {ApiKeyVariable} (there is no admin key at {keyFile}; 'rein serve' writes it on first start)")
            : new Connection(server, fileKey, keyFile);
    }

    private static Uri ResolveServer(string? option, Func<string, string?> environment)
    {
        var (text, source) = NonEmpty(option) is { } flag ? (flag, "--server")
            : NonEmpty(environment(UrlVariable)) is { } env ? (env, UrlVariable)
            : (DefaultServer, "the default");
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0
            ? uri
            : throw new CliException(ExitCodes.Usage, $"{source}: '{text}' is not a server address; use one such as {DefaultServer} or https://rein.example.com");
    }

    private static string AdminKeyFile(Func<string, string?> environment, string currentDirectory)
    {
        foreach (var variable in DataDirVariables)
        {
            if (NonEmpty(environment(variable)) is { } dir)
            {
                return Path.GetFullPath(Path.Combine(dir, "admin.key"), currentDirectory);
            }
        }

        return Path.GetFullPath(Path.Combine(".rein", "admin.key"), currentDirectory);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
