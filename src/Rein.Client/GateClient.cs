using System.Net.Http.Json;

namespace Rein.Client;

/// <summary>The gate (<c>POST /api/v1/gate</c>): one decision before every action an agent takes. Needs an agent or admin
/// key. Every decision is recorded in the decision log. <see cref="GatedFunctionExtensions.WithGate"/> puts the gate in
/// front of a Microsoft.Extensions.AI function in one line.</summary>
public sealed class GateClient
{
    private readonly ReinClient _client;

    internal GateClient(ReinClient client) => _client = client;

    /// <summary>Asks whether an action may go ahead.</summary>
    /// <param name="request">The action and who takes it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The decision. Anything but <see cref="GateEffect.Allow"/> means: do not act (yet).</returns>
    /// <exception cref="ReinApiException">400 naming a bad field; 403 for a key that is neither an agent's nor an admin's,
    /// for an agent key naming another agent, for another key naming an agent without <see cref="GateRequest.ActAs"/>,
    /// and for a run or trace another agent started.</exception>
    /// <exception cref="HttpRequestException">The server could not be reached; treat it as a deny (fail closed).</exception>
    public Task<Decision> DecideAsync(GateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Tool);
        var body = JsonContent.Create(request, ReinJsonContext.Default.GateRequest);
        return _client.SendAsync(HttpMethod.Post, "api/v1/gate", body, ReinJsonContext.Default.Decision, cancellationToken);
    }
}
