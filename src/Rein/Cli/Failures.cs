using System.Net;
using System.Net.Sockets;
using Rein.Client;

namespace Rein.Cli;

/// <summary>Turns what went wrong into one line on stderr and the exit code scripts rely on; never a stack trace.</summary>
public static class Failures
{
    public static int Report(Exception exception, Connection? connection, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(error);
        var server = connection?.ServerText ?? "the server";
        var (code, message) = exception switch
        {
            CliException e => (e.ExitCode, e.Message),
            ReinApiException { StatusCode: HttpStatusCode.Unauthorized } e =>
                (ExitCodes.Unauthorized, $"unauthorized: {What(e)}{(connection is null ? "" : $" (key from {connection.KeySource})")}"),
            ReinApiException { StatusCode: >= HttpStatusCode.InternalServerError } e =>
                (ExitCodes.Failed, $"server error ({(int)e.StatusCode}): {What(e)}{(e.RequestId is { } id && e.Detail?.Contains(id, StringComparison.Ordinal) != true ? $" (request id {id})" : "")}"),
            ReinApiException e => (ExitCodes.Failed, $"refused ({(int)e.StatusCode}): {What(e)}"),
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } e =>
                (ExitCodes.Unreachable, $"{server} did not answer like a Rein server: {e.Message}"),
            HttpRequestException e => (ExitCodes.Unreachable, $"cannot reach Rein at {server} ({Reason(e)}). Is 'rein serve' running?"),
            TaskCanceledException { InnerException: TimeoutException } => (ExitCodes.Unreachable, $"Rein at {server} did not answer in time"),
            OperationCanceledException => (ExitCodes.Failed, "cancelled"),
            _ => (ExitCodes.Failed, $"unexpected error: {exception.Message}"),
        };
        error.WriteLine("rein: " + OneLine(message));
        return code;
    }

    private static string What(ReinApiException e) => e.Detail ?? e.Title ?? e.StatusCode.ToString();

    private static string Reason(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.NetworkUnreachable or SocketError.HostUnreachable => "no route to the host",
                    SocketError.ConnectionReset => "connection reset",
                    _ => socket.Message,
                };
            }
        }

        return e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "host not found",
            HttpRequestError.SecureConnectionError => $"TLS failed: {e.InnerException?.Message ?? e.Message}",
            _ => e.InnerException?.Message ?? e.Message,
        };
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
