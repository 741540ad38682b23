using System.Text.Json;

namespace Rein.Cli.Tools;

/// <summary>
/// Standard input and output for the stdio bridge that answer every request before the bridge exits. The SDK's server
/// ends as soon as its input ends and drops the replies still being worked on (an <c>initialize</c> piped in, then the
/// pipe closed: no output). Here the end of standard input is held back until every request read from it has its
/// reply written to standard output, or until the drain timeout passes.
/// </summary>
/// <remarks>Messages are newline-delimited JSON-RPC (MCP stdio transport). A line longer than
/// <see cref="MaxTrackedLine"/> is passed on but not tracked: the bridge does not wait for its reply.</remarks>
internal sealed class DrainingStdio(Stream input, Stream output, TimeSpan drainTimeout, TimeProvider time) : IDisposable
{
    /// <summary>Longest line whose request id is read; longer ones are still passed on whole.</summary>
    public const int MaxTrackedLine = 16 * 1024 * 1024;

    private readonly Stream _input = input;
    private readonly Stream _output = output;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _ended = new();
    private TaskCompletionSource _drained = Drained();

    /// <summary>Cancelled when input has ended and the drain is over: what is still being worked on is abandoned.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>Requests read and not answered yet.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    public Stream Input => new InputStream(this);

    public Stream Output => new OutputStream(this);

    private static TaskCompletionSource Drained()
    {
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        drained.SetResult();
        return drained;
    }

    private void Read(ReadOnlySpan<byte> line)
    {
        if (IdOf(line, request: true) is { } id)
        {
            lock (_lock)
            {
                if (_pending.Add(id) && _pending.Count == 1)
                {
                    _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
    }

    private void Written(ReadOnlySpan<byte> line)
    {
        if (IdOf(line, request: false) is { } id)
        {
            lock (_lock)
            {
                if (_pending.Remove(id) && _pending.Count == 0)
                {
                    _drained.TrySetResult();
                }
            }
        }
    }

    /// <summary>Waits until every request read has been answered, at most the drain timeout.</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        Task drained;
        lock (_lock)
        {
            drained = _drained.Task;
        }

        try
        {
            await drained.WaitAsync(drainTimeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
        }

        await _ended.CancelAsync();
    }

    public void Dispose() => _ended.Dispose();

    /// <summary>The id of a request (a message with a method and an id) or of a reply (an id and no method), as text
    /// that tells a string id from a number; null for anything else, including what is not JSON.</summary>
    internal static string? IdOf(ReadOnlySpan<byte> line, bool request)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? id = null;
            var method = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueTextEquals("id") ? 1 : reader.ValueTextEquals("method") ? 2 : 0;
                reader.Read();
                if (name == 1 && reader.TokenType == JsonTokenType.String)
                {
                    id = "s:" + reader.GetString();
                }
                else if (name == 1 && reader.TokenType == JsonTokenType.Number)
                {
                    id = "n:" + System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                }
                else if (name == 2)
                {
                    method = true;
                }

                reader.Skip();
            }

            return method == request ? id : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Splits a byte stream into lines, keeping at most <see cref="MaxTrackedLine"/> bytes of one.</summary>
    private sealed class Lines(Action<ReadOnlySpan<byte>> onLine)
    {
        private readonly List<byte> _line = [];
        private bool _overlong;

        public void Add(ReadOnlySpan<byte> bytes)
        {
            while (bytes.Length > 0)
            {
                var end = bytes.IndexOf((byte)'\n');
                var part = end < 0 ? bytes : bytes[..end];
                if (!_overlong && _line.Count + part.Length <= MaxTrackedLine)
                {
                    _line.AddRange(part);
                }
                else
                {
                    _overlong = true;
                }

                if (end < 0)
                {
                    return;
                }

                if (!_overlong)
                {
                    onLine(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_line));
                }

                _line.Clear();
                _overlong = false;
                bytes = bytes[(end + 1)..];
            }
        }
    }

    private abstract class PassStream : Stream
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private sealed class InputStream(DrainingStdio stdio) : PassStream
    {
        private readonly Lines _lines = new(stdio.Read);

        public override bool CanRead => true;

        public override bool CanWrite => false;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await stdio._input.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                _lines.Add(buffer.Span[..read]);
                return read;
            }

            // The end of input: answer what was asked first, then let the server end.
            _lines.Add("\n"u8);
            await stdio.DrainAsync(cancellationToken);
            return 0;
        }

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class OutputStream(DrainingStdio stdio) : PassStream
    {
        private readonly Lines _lines = new(stdio.Written);

        public override bool CanRead => false;

        public override bool CanWrite => true;

        public override void Flush() => stdio._output.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => stdio._output.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            stdio._output.Write(buffer);
            stdio._output.Flush();
            _lines.Add(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await stdio._output.WriteAsync(buffer, cancellationToken);
            await stdio._output.FlushAsync(cancellationToken);
            _lines.Add(buffer.Span);
        }
    }
}
