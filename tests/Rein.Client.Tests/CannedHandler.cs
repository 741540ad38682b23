using System.Net;
using System.Text;

namespace Rein.Client.Tests;

/// <summary>Answers every request with the same response: for answers a real Rein server does not give.</summary>
internal sealed class CannedHandler(HttpStatusCode status, string body, string mediaType) : HttpMessageHandler
{
    public HttpRequestMessage? LastRequest { get; private set; }

    public string? LastBody { get; private set; }

    public static ReinClient Client(HttpMessageHandler handler) =>
        new(new HttpClient(handler) { BaseAddress = new Uri("http://rein.test/") }, "rein_key");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        LastRequest = request;
        LastBody = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, mediaType), RequestMessage = request };
        response.Headers.Add("X-Request-Id", "req-7");
        return response;
    }
}
