using System.Runtime.CompilerServices;

namespace Rein.Client;

/// <summary>Reads newline-delimited JSON (JSON lines) from a stream as it arrives, one line at a time, with a bound on
/// the length of a line so that a server that never sends a newline cannot make the client buffer without end.</summary>
internal static class JsonLines
{
    /// <summary>The longest line read. A feedback record holds the proposed arguments (at most the gate's 64 KiB body) and
    /// the approved ones (at most <c>Approvals:MaxArgsBytes</c>, which a server may raise to 16 MiB) and the context;
    /// 64 MiB holds the largest with room to spare.</summary>
    public const int MaxLineBytes = 64 * 1024 * 1024;

    private const int InitialBufferBytes = 64 * 1024;

    /// <summary>Yields each non-blank line without its line ending. A line is valid only until the next one is asked for:
    /// the buffer behind it is reused.</summary>
    /// <exception cref="HttpRequestException">A line is longer than <paramref name="maxLineBytes"/>
    /// (<see cref="HttpRequestError.InvalidResponse"/>).</exception>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(Stream stream, int maxLineBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new byte[Math.Min(InitialBufferBytes, maxLineBytes + 1)];
        var start = 0;
        var end = 0;
        while (true)
        {
            int newline;
            while ((newline = Array.IndexOf(buffer, (byte)'\n', start, end - start)) >= 0)
            {
                var line = Line(buffer, start, newline, maxLineBytes);
                start = newline + 1;
                if (!line.IsEmpty)
                {
                    yield return line;
                }
            }

            if (end - start > maxLineBytes)
            {
                throw TooLong(maxLineBytes);
            }

            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            if (end == buffer.Length)
            {
                // Full and no newline yet: room for the longest line and one byte more, to see that it is too long.
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxLineBytes + 1L));
            }

            var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
            if (read == 0)
            {
                var last = Line(buffer, start, end, maxLineBytes);
                if (!last.IsEmpty)
                {
                    yield return last;
                }

                yield break;
            }

            end += read;
        }
    }

    private static ReadOnlyMemory<byte> Line(byte[] buffer, int start, int end, int maxLineBytes)
    {
        if (end > start && buffer[end - 1] == '\r')
        {
            end--;
        }

        if (end - start > maxLineBytes)
        {
            throw TooLong(maxLineBytes);
        }

        var line = buffer.AsMemory(start, end - start);
        return line.Span.Trim(" \t"u8).IsEmpty ? ReadOnlyMemory<byte>.Empty : line;
    }

    private static HttpRequestException TooLong(int maxLineBytes) =>
        new(HttpRequestError.InvalidResponse, $"the server sent a line longer than {maxLineBytes} bytes; that is not what a Rein server sends");
}
