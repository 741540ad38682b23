namespace Rein.Server;

/// <summary>The server cannot start for a reason the operator can fix; the message says what and how.</summary>
public sealed class ReinStartupException : Exception
{
    public ReinStartupException(string message) : base(message)
    {
    }

    public ReinStartupException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public ReinStartupException()
    {
    }
}
