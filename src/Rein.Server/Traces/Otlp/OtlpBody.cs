using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Rein.Server.Traces.Otlp;

internal enum OtlpBodyOutcome
{
    /// <summary>The body is in <see cref="OtlpBodyResult.Buffer"/>, decompressed.</summary>
    Ok,

    /// <summary>Over the limit, as sent or once decompressed: answer 413.</summary>
    TooLarge,

    /// <summary>A Content-Encoding other than gzip or identity: answer 415.</summary>
    UnsupportedEncoding,

    /// <summary>The body claims gzip but does not decompress: answer 400.</summary>
    Invalid,
}

/// <summary>
/// A request body read by <see cref="OtlpBody.ReadAsync"/>. When <see cref="Outcome"/> is
/// <see cref="OtlpBodyOutcome.Ok"/>, <see cref="Buffer"/> is rented from <see cref="ArrayPool{T}.Shared"/> and holds
/// the body in its first <see cref="Length"/> bytes: the caller gives it back, once, with <see cref="Return"/> when
/// done decoding (decoded spans do not refer to it). Otherwise <see cref="Problem"/> says what is wrong, for people.
/// </summary>
internal readonly record struct OtlpBodyResult(OtlpBodyOutcome Outcome, byte[]? Buffer, int Length, string? Problem)
{
    public ReadOnlySpan<byte> Body => Buffer.AsSpan(0, Length);

    public void Return()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }

    internal static OtlpBodyResult Failed(OtlpBodyOutcome outcome, string problem) => new(outcome, null, 0, problem);
}

/// <summary>Reads an OTLP/HTTP request body within a size limit, gzip or not, with memory bounded by the limit.</summary>
internal static class OtlpBody
{
    // First guess when the sender gives no Content-Length (chunked); the buffer doubles from here up to the limit.
    private const int InitialBufferBytes = 16 * 1024;

    /// <summary>
    /// Reads the body of <paramref name="request"/>, decompressing <c>Content-Encoding: gzip</c> (OTLP/HTTP: the only
    /// compression a client may use). Both the body as sent and the decompressed body must fit in
    /// <paramref name="maxBytes"/>; a gzip bomb is stopped once its output passes the limit, never inflated whole.
    /// </summary>
    public static async Task<OtlpBodyResult> ReadAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        // One byte past the limit is read to see that a body is over it.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBytes, Array.MaxLength - 1);
        var gzip = false;
        foreach (var coding in request.Headers.ContentEncoding)
        {
            foreach (var part in (coding ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (part.Equals("gzip", StringComparison.OrdinalIgnoreCase) || part.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
                {
                    if (gzip)
                    {
                        return OtlpBodyResult.Failed(OtlpBodyOutcome.UnsupportedEncoding, "Content-Encoding gzip applied twice is not supported");
                    }

                    gzip = true;
                }
                else if (!part.Equals("identity", StringComparison.OrdinalIgnoreCase) && !part.Equals("none", StringComparison.OrdinalIgnoreCase))
                {
                    return OtlpBodyResult.Failed(OtlpBodyOutcome.UnsupportedEncoding,
                        $"Content-Encoding '{part}' is not supported; send the body uncompressed or with gzip");
                }
            }
        }

        if (request.ContentLength > maxBytes)
        {
            return OtlpBodyResult.Failed(OtlpBodyOutcome.TooLarge, TooLarge(maxBytes, request.ContentLength.Value, gzip));
        }

        // The server-wide Kestrel limit is for the JSON API; OTLP exports are allowed up to this endpoint's own limit.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = maxBytes;
        }

        var initial = request.ContentLength is { } length ? (int)length : Math.Min(InitialBufferBytes, maxBytes);
        var (sent, sentLength, sentTooLarge) = await ReadLimitedAsync(request.Body, maxBytes, initial, ct);
        if (sentTooLarge)
        {
            return OtlpBodyResult.Failed(OtlpBodyOutcome.TooLarge, TooLarge(maxBytes, null, gzip));
        }

        if (!gzip)
        {
            return new OtlpBodyResult(OtlpBodyOutcome.Ok, sent, sentLength, null);
        }

        try
        {
            using var input = new MemoryStream(sent!, 0, sentLength, writable: false);
            using var gunzip = new GZipStream(input, CompressionMode.Decompress);
            // OTLP payloads compress about five to ten times; a guess, the buffer grows if it is short.
            var guess = (int)Math.Min(maxBytes, Math.Max(InitialBufferBytes, 8L * sentLength));
            var (body, bodyLength, tooLarge) = await ReadLimitedAsync(gunzip, maxBytes, guess, ct);
            if (tooLarge)
            {
                return OtlpBodyResult.Failed(OtlpBodyOutcome.TooLarge,
                    $"the request body is larger than the limit of {maxBytes} bytes once decompressed");
            }

            return new OtlpBodyResult(OtlpBodyOutcome.Ok, body, bodyLength, null);
        }
        catch (InvalidDataException e)
        {
            return OtlpBodyResult.Failed(OtlpBodyOutcome.Invalid, $"body is not valid gzip: {e.Message}");
        }
        finally
        {
            if (sent is not null)
            {
                ArrayPool<byte>.Shared.Return(sent);
            }
        }
    }

    private static string TooLarge(int maxBytes, long? length, bool gzip) =>
        $"the request body{(gzip ? " (compressed)" : "")} is larger than the limit of {maxBytes} bytes{(length is { } l ? $" (Content-Length {l})" : "")}";

    /// <summary>
    /// Reads <paramref name="stream"/> to its end into a pooled buffer, growing it as needed but never past
    /// <paramref name="maxBytes"/> plus one byte, which is how exceeding the limit is detected. When over the limit,
    /// the buffer is returned and null comes back.
    /// </summary>
    private static async Task<(byte[]? Buffer, int Length, bool TooLarge)> ReadLimitedAsync(Stream stream, int maxBytes, int initialBytes, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Clamp(initialBytes, 1, maxBytes) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return (null, 0, true);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * buffer.Length, maxBytes + 1L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, maxBytes + 1) - length), ct);
                if (read == 0)
                {
                    return (buffer, length, false);
                }

                length += read;
                if (length > maxBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, 0, true);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own limit (set above to the same number) tripped first.
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0, true);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
