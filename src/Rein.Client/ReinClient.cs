namespace Rein.Client;

/// <summary>A typed client for the Rein HTTP API.</summary>
public sealed class ReinClient
{
}
