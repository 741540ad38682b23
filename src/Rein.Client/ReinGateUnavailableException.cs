namespace Rein.Client;

/// <summary>A gated function could not get a decision (the server could not be reached, refused the request, or answered
/// something unreadable), so it did not run: the gate fails closed. <see cref="Exception.InnerException"/> says why.</summary>
public sealed class ReinGateUnavailableException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public ReinGateUnavailableException()
        : this("The Rein gate could not decide; the tool was not run.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public ReinGateUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ReinGateUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The tool that was not run; null when not known.</summary>
    public string? Tool { get; private init; }

    internal static ReinGateUnavailableException For(string tool, Exception innerException) =>
        new($"The Rein gate could not decide on '{tool}', so it was not run: {innerException.Message}", innerException) { Tool = tool };
}
