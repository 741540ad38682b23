using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rein.Testing;

/// <summary>A request the receiver got, as it got it.</summary>
public sealed record ReceivedWebhook(string Path, string Body, IReadOnlyDictionary<string, string> Headers)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : "";
}

/// <summary>
/// A real HTTP receiver (Kestrel) on a free loopback port that records every request and answers the given status
/// codes in order, then 200. An answer of <see cref="Hang"/> never answers (until the client gives up).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const int Hang = 0;

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentQueue<int> _answers;
    private readonly SemaphoreSlim _arrived = new(0);

    private WebhookReceiver(IEnumerable<int> answers)
    {
        _answers = new ConcurrentQueue<int>(answers);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Map("/{**path}", ReceiveAsync);
    }

    public Uri Url => new(_app.Urls.First());

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    public static async Task<WebhookReceiver> StartAsync(params int[] answers)
    {
        var receiver = new WebhookReceiver(answers);
        await receiver._app.StartAsync();
        return receiver;
    }

    /// <summary>The receiver's address with a path, as a webhook URL.</summary>
    public string At(string path) => new Uri(Url, path).ToString();

    /// <summary>Waits until at least <paramref name="count"/> requests arrived; fails the test after the timeout.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        while (_received.Count < count)
        {
            try
            {
                await _arrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the receiver got {_received.Count} requests, expected {count}");
            }
        }

        return Received;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _arrived.Dispose();
    }

    private async Task ReceiveAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body);
        var body = await reader.ReadToEndAsync(http.RequestAborted);
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _received.Enqueue(new ReceivedWebhook(http.Request.Path + http.Request.QueryString, body, headers));
        _arrived.Release();
        var status = _answers.TryDequeue(out var answer) ? answer : StatusCodes.Status200OK;
        if (status == Hang)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, http.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        http.Response.StatusCode = status;
        if (status >= 300)
        {
            await http.Response.WriteAsync($"receiver says no ({status})\nsecond line", http.RequestAborted);
        }
    }
}
