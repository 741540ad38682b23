using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Rein.Server.Traces.Otlp;

namespace Rein.Server.Tests.Traces.Otlp;

public sealed class OtlpBodyTests
{
    private const int Limit = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReadAsync_Identity_ReturnsTheBody()
    {
        var body = RandomBytes(100_000);

        var result = await OtlpBody.ReadAsync(Request(body, contentLength: true), Limit, Ct);

        Assert.Equal(OtlpBodyOutcome.Ok, result.Outcome);
        Assert.Equal(body, result.Body.ToArray());
        Assert.Null(result.Problem);
        result.Return();
    }

    [Theory]
    [InlineData("identity")]
    [InlineData("none")]
    [InlineData("")]
    public async Task ReadAsync_NoCompression_ReturnsTheBody(string encoding)
    {
        var result = await OtlpBody.ReadAsync(Request([1, 2, 3], encoding: encoding), Limit, Ct);

        Assert.Equal(OtlpBodyOutcome.Ok, result.Outcome);
        Assert.Equal([1, 2, 3], result.Body.ToArray());
        result.Return();
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("GZIP")]
    [InlineData("x-gzip")]
    public async Task ReadAsync_Gzip_Decompresses(string encoding)
    {
        var body = RandomBytes(300_000);

        var result = await OtlpBody.ReadAsync(Request(Gzip(body), encoding: encoding, contentLength: true), Limit, Ct);

        Assert.Equal(OtlpBodyOutcome.Ok, result.Outcome);
        Assert.Equal(body, result.Body.ToArray());
        result.Return();
    }

    [Fact]
    public async Task ReadAsync_BodyExactlyAtTheLimit_IsAccepted()
    {
        var result = await OtlpBody.ReadAsync(Request(new byte[Limit]), Limit, Ct);

        Assert.Equal(OtlpBodyOutcome.Ok, result.Outcome);
        Assert.Equal(Limit, result.Length);
        result.Return();
    }

    [Fact]
    public async Task ReadAsync_ContentLengthOverTheLimit_IsTooLargeWithoutReading()
    {
        var request = Request([]);
        request.Body = new ThrowingStream();
        request.ContentLength = Limit + 1L;

        var result = await OtlpBody.ReadAsync(request, Limit, Ct);

        Assert.Equal(OtlpBodyOutcome.TooLarge, result.Outcome);
        Assert.Contains($"limit of {Limit} bytes", result.Problem, StringComparison.Ordinal);
        Assert.Null(result.Buffer);
    }

    [Fact]
    public async Task ReadAsync_ChunkedBodyOverTheLimit_IsTooLarge()
    {
        var result = await OtlpBody.ReadAsync(Request(new byte[Limit + 1]), Limit, Ct);

        Assert.Equal(OtlpBodyOutcome.TooLarge, result.Outcome);
        Assert.Contains($"limit of {Limit} bytes", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_GzipBomb_IsRefusedWithMemoryBoundedByTheLimit()
    {
        // 1 GiB of zeros compresses to about 1 MiB; inflated whole it would allocate a gigabyte.
        var bomb = GzipZeros(1L << 30);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var result = await OtlpBody.ReadAsync(Request(bomb, encoding: "gzip", contentLength: true), 2 * Limit, Ct);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(OtlpBodyOutcome.TooLarge, result.Outcome);
        Assert.Contains("once decompressed", result.Problem, StringComparison.Ordinal);
        // The compressed copy and the decompressed buffer, each at most the limit rounded up to a power of two.
        Assert.True(allocated < 16L * Limit, $"allocated {allocated} bytes");
    }

    [Fact]
    public async Task ReadAsync_CompressedBodyOverTheLimit_IsTooLarge()
    {
        var result = await OtlpBody.ReadAsync(Request(Gzip(RandomBytes(Limit + 100)), encoding: "gzip"), Limit, Ct);

        Assert.Equal(OtlpBodyOutcome.TooLarge, result.Outcome);
        Assert.Contains("(compressed)", result.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("br")]
    [InlineData("deflate")]
    [InlineData("gzip, br")]
    [InlineData("gzip, gzip")]
    public async Task ReadAsync_UnsupportedEncoding_SaysSo(string encoding)
    {
        var result = await OtlpBody.ReadAsync(Request([1], encoding: encoding), Limit, Ct);

        Assert.Equal(OtlpBodyOutcome.UnsupportedEncoding, result.Outcome);
        Assert.Contains("Content-Encoding", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_CorruptGzip_IsInvalid()
    {
        var result = await OtlpBody.ReadAsync(Request("not gzip at all"u8.ToArray(), encoding: "gzip"), Limit, Ct);

        Assert.Equal(OtlpBodyOutcome.Invalid, result.Outcome);
        Assert.StartsWith("body is not valid gzip: ", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_KestrelLimitTrips_IsTooLarge()
    {
        var request = Request([]);
        request.Body = new ThrowingStream(new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge));

        var result = await OtlpBody.ReadAsync(request, Limit, Ct);

        Assert.Equal(OtlpBodyOutcome.TooLarge, result.Outcome);
    }

    [Fact]
    public async Task ReadAsync_WritableSizeFeature_IsRaisedToTheLimit()
    {
        var request = Request([1]);
        var feature = new SizeFeature { MaxRequestBodySize = 1000 };
        request.HttpContext.Features.Set<IHttpMaxRequestBodySizeFeature>(feature);

        (await OtlpBody.ReadAsync(request, Limit, Ct)).Return();

        Assert.Equal(Limit, feature.MaxRequestBodySize);
    }

    [Fact]
    public async Task ReadAsync_ReadOnlySizeFeature_IsLeftAlone()
    {
        var request = Request([1]);
        var feature = new SizeFeature { MaxRequestBodySize = 1000, IsReadOnly = true };
        request.HttpContext.Features.Set<IHttpMaxRequestBodySizeFeature>(feature);

        (await OtlpBody.ReadAsync(request, Limit, Ct)).Return();

        Assert.Equal(1000, feature.MaxRequestBodySize);
    }

    private static HttpRequest Request(byte[] body, string? encoding = null, bool contentLength = false)
    {
        var request = new DefaultHttpContext().Request;
        request.Body = new MemoryStream(body);
        if (contentLength)
        {
            request.ContentLength = body.Length;
        }

        if (encoding is not null)
        {
            request.Headers.ContentEncoding = encoding;
        }

        return request;
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(42).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Gzip(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(body);
        }

        return output.ToArray();
    }

    private static byte[] GzipZeros(long length)
    {
        var zeros = new byte[1 << 20];
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            for (long written = 0; written < length; written += zeros.Length)
            {
                gzip.Write(zeros);
            }
        }

        return output.ToArray();
    }

    private sealed class SizeFeature : IHttpMaxRequestBodySizeFeature
    {
        public bool IsReadOnly { get; init; }

        public long? MaxRequestBodySize { get; set; }
    }

    /// <summary>A body that must not be read, or that fails the way Kestrel does at its limit.</summary>
    private sealed class ThrowingStream(Exception? exception = null) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw Failure();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => throw Failure();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private Exception Failure() => exception ?? new InvalidOperationException("the body was read");
    }
}
