using Rein.Testing;

namespace Rein.Client.Tests;

/// <summary>One real <c>rein serve</c> per test class, with an SDK client holding its admin key.</summary>
public sealed class ReinServerFixture : IAsyncLifetime
{
    private ReinServerProcess? _server;
    private ReinClient? _admin;

    public ReinServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>A client with the default project's admin key.</summary>
    public ReinClient Admin => _admin ?? throw new InvalidOperationException("The server has not started.");

    public async ValueTask InitializeAsync()
    {
        _server = await ReinServerProcess.StartAsync();
        _admin = new ReinClient(_server.Url, _server.AdminKey);
    }

    public async ValueTask DisposeAsync()
    {
        _admin?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A client for the same server with another key; the caller disposes it.</summary>
    public ReinClient ClientWith(string apiKey) => new(Server.Url, apiKey);

    public static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];
}
