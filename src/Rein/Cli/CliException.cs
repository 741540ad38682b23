namespace Rein.Cli;

/// <summary>A failure the CLI explains itself in one line (a missing key, a bad --server), with its exit code.</summary>
public sealed class CliException : Exception
{
    public CliException(int exitCode, string message) : base(message) => ExitCode = exitCode;

    public CliException() : this(ExitCodes.Failed, "the command failed")
    {
    }

    public CliException(string message) : this(ExitCodes.Failed, message)
    {
    }

    public CliException(string message, Exception innerException) : base(message, innerException) => ExitCode = ExitCodes.Failed;

    public int ExitCode { get; }
}
