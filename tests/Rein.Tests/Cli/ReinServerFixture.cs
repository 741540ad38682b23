using Rein.Testing;

namespace Rein.Cli.Tests.Cli;

/// <summary>One real <c>rein serve</c> per test class, and the real <c>rein</c> CLI run against it.</summary>
public sealed class ReinServerFixture : IAsyncLifetime
{
    private ReinServerProcess? _server;

    public ReinServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public string Url => Server.Url.AbsoluteUri.TrimEnd('/');

    public async ValueTask InitializeAsync() => _server = await ReinServerProcess.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>rein with --server and the admin key of the default project.</summary>
    public Task<ProcessResult> RunAsync(params string[] args) => RunWithKeyAsync(Server.AdminKey, args);

    public Task<ProcessResult> RunWithKeyAsync(string apiKey, params string[] args) =>
        ReinBinary.RunAsync([.. args, "--server", Url, "--api-key", apiKey], workingDirectory: Path.GetTempPath());

    /// <summary>Creates a key straight through the API (not through the CLI under test); returns its id and value.</summary>
    public Task<(string Id, string Value)> CreateKeyAsync(string role, string? apiKey = null, string? name = null) =>
        Server.CreateKeyAsync(name ?? $"test-{role}-{Guid.NewGuid():N}"[..30], role, apiKey);

    /// <summary>Creates a project through the API; returns its first admin key's id and value.</summary>
    public Task<(string KeyId, string ApiKey)> CreateProjectAsync(string id) => Server.CreateProjectAsync(id);

    /// <summary>A project id no other test uses.</summary>
    public static string NewProjectId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    /// <summary>The id part of a key value: rein_&lt;id&gt;_&lt;secret&gt;.</summary>
    public static string IdOf(string apiKey) => apiKey.Split('_')[1];
}
