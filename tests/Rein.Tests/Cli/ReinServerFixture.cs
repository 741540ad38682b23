using System.Net.Http.Json;
using System.Text.Json;
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
    public async Task<(string Id, string Value)> CreateKeyAsync(string role, string? apiKey = null, string? name = null)
    {
        using var http = Server.CreateClient(apiKey);
        using var response = await http.PostAsJsonAsync("/api/v1/keys", new { name = name ?? $"test-{role}-{Guid.NewGuid():N}"[..30], role });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("key").GetProperty("id").GetString()!, body.RootElement.GetProperty("apiKey").GetString()!);
    }

    /// <summary>Creates a project through the API; returns its first admin key's id and value.</summary>
    public async Task<(string KeyId, string ApiKey)> CreateProjectAsync(string id)
    {
        using var http = Server.CreateClient();
        using var response = await http.PostAsJsonAsync("/api/v1/projects", new { id });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("key").GetProperty("id").GetString()!, body.RootElement.GetProperty("apiKey").GetString()!);
    }

    /// <summary>A project id no other test uses.</summary>
    public static string NewProjectId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    /// <summary>The id part of a key value: rein_&lt;id&gt;_&lt;secret&gt;.</summary>
    public static string IdOf(string apiKey) => apiKey.Split('_')[1];
}
