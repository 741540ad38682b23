using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Rein.Client.Tests;

/// <summary>The feedback export read as the server streams it: lines split across reads, blank lines, a line that is
/// not a record, and the bound on a line. No server needed: the bodies are ones a real server does not send.</summary>
public sealed class ApprovalExportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Modified = """{"requestId":"apr_1","decidedAt":"2026-11-22T12:03:30Z","decidedBy":"ann","outcome":"modified","queue":"finance","severity":"high","agent":"support-bot","release":"v7","runId":"r-1","tool":"payments.refund","proposedArgs":{"amount":500},"approvedArgs":{"amount":200},"changedFields":["$.amount"],"rule":"large refunds go to finance","message":"refund of 500 needs finance","policy":{"name":"refunds","version":3,"hash":"sha256:9f2c"},"context":{"confidence":0.9},"note":"lowered","extra":"kept"}""";

    private const string Rejected = """{"requestId":"apr_2","decidedAt":"2026-11-22T12:04:00Z","decidedBy":"bob","outcome":"rejected","queue":"finance","severity":"medium","agent":"support-bot","release":null,"runId":null,"tool":"payments.refund","proposedArgs":{"amount":900},"approvedArgs":null,"changedFields":[],"rule":null,"message":null,"policy":null,"context":null,"note":null}""";

    [Fact]
    public async Task ExportAsync_LinesSplitAcrossReads_YieldsEachRecordWhole()
    {
        var handler = new StreamHandler(() => new TrickleStream(Encoding.UTF8.GetBytes(Modified + "\n" + Rejected + "\n"), chunk: 7));
        using var client = CannedHandler.Client(handler);

        var records = await client.Approvals.ExportAsync(TimeSpan.FromHours(24), Ct).ToListAsync(Ct);

        Assert.Equal("/api/v1/approvals/export?since=1d&format=jsonl", handler.LastRequest!.RequestUri!.PathAndQuery);
        Assert.Equal("application/x-ndjson", Assert.Single(handler.LastRequest.Headers.Accept).MediaType);
        Assert.Equal(2, records.Count);
        var modified = records[0];
        Assert.Equal(("apr_1", ApprovalOutcomes.Modified, "ann", "lowered"), (modified.RequestId, modified.Outcome, modified.DecidedBy, modified.Note));
        Assert.Equal(["$.amount"], modified.ChangedFields);
        Assert.Equal(500, modified.ProposedArgs!.Value.GetProperty("amount").GetInt32());
        Assert.Equal(200, modified.ApprovedArgs!.Value.GetProperty("amount").GetInt32());
        Assert.Equal(new PolicyReference("refunds", 3, "sha256:9f2c"), modified.Policy);
        Assert.Equal(ApprovalOutcomes.Rejected, records[1].Outcome);
        Assert.Null(records[1].ApprovedArgs);
    }

    [Fact]
    public async Task ExportAsync_BlankLinesCarriageReturnsAndNoFinalNewline_AreRead()
    {
        using var client = CannedHandler.Client(new StreamHandler(() => new MemoryStream(Encoding.UTF8.GetBytes("\r\n" + Modified + "\r\n\n  \n" + Rejected))));

        var records = await client.Approvals.ExportAsync(cancellationToken: Ct).ToListAsync(Ct);

        Assert.Equal(["apr_1", "apr_2"], records.Select(r => r.RequestId));
    }

    [Fact]
    public async Task ExportAsync_Empty_YieldsNothing()
    {
        var handler = new StreamHandler(() => new MemoryStream());
        using var client = CannedHandler.Client(handler);

        Assert.Empty(await client.Approvals.ExportAsync(cancellationToken: Ct).ToListAsync(Ct));
        Assert.Equal("/api/v1/approvals/export?format=jsonl", handler.LastRequest!.RequestUri!.PathAndQuery);
    }

    [Fact]
    public async Task ExportAsync_LineThatIsNotARecord_IsAnInvalidResponseNamingTheLine()
    {
        using var client = CannedHandler.Client(new StreamHandler(() => new MemoryStream(Encoding.UTF8.GetBytes(Modified + "\n<html>\n"))));
        var seen = new List<string>();

        var e = await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var record in client.Approvals.ExportAsync(cancellationToken: Ct))
            {
                seen.Add(record.RequestId);
            }
        });

        Assert.Equal(["apr_1"], seen);
        Assert.Equal(HttpRequestError.InvalidResponse, e.HttpRequestError);
        Assert.StartsWith("line 2 of the export is not a feedback record", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportAsync_HtmlPage_IsAnInvalidResponse()
    {
        using var client = CannedHandler.Client(new CannedHandler(HttpStatusCode.OK, "<html>captive portal</html>", "text/html"));

        var e = await Assert.ThrowsAsync<HttpRequestException>(async () => await client.Approvals.ExportAsync(cancellationToken: Ct).ToListAsync(Ct));

        Assert.Equal(HttpRequestError.InvalidResponse, e.HttpRequestError);
        Assert.Contains("text/html", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportAsync_Refused_ThrowsTheProblem()
    {
        using var client = CannedHandler.Client(new CannedHandler(HttpStatusCode.BadRequest, """{"title":"Bad Request","status":400,"detail":"since: must be a duration between 1ms and 366d, such as 24h or 30d"}""", "application/problem+json"));

        var e = await Assert.ThrowsAsync<ReinApiException>(async () => await client.Approvals.ExportAsync(TimeSpan.FromDays(400), Ct).ToListAsync(Ct));

        Assert.Equal("since", e.Field);
    }

    [Fact]
    public async Task ExportAsync_LineLongerThan64MiB_StopsWithAnInvalidResponseInsteadOfBufferingMore()
    {
        // A server that never ends its line: the reader gives up at the bound rather than reading on.
        var endless = new EndlessStream((byte)'x');
        using var client = CannedHandler.Client(new StreamHandler(() => endless));

        var e = await Assert.ThrowsAsync<HttpRequestException>(async () => await client.Approvals.ExportAsync(cancellationToken: Ct).ToListAsync(Ct));

        Assert.Equal(HttpRequestError.InvalidResponse, e.HttpRequestError);
        Assert.Contains($"longer than {64 * 1024 * 1024} bytes", e.Message, StringComparison.Ordinal);
        Assert.InRange(endless.BytesRead, 64L * 1024 * 1024 + 1, 65L * 1024 * 1024);
    }

    [Fact]
    public async Task ExportToAsync_WritesTheLinesAsSentWithFieldsThisClientDoesNotKnow()
    {
        using var client = CannedHandler.Client(new StreamHandler(() => new TrickleStream(Encoding.UTF8.GetBytes(Modified + "\r\n\n" + Rejected), chunk: 100)));
        using var destination = new MemoryStream();

        var count = await client.Approvals.ExportToAsync(destination, TimeSpan.FromMinutes(90), Ct);

        Assert.Equal(2, count);
        Assert.Equal(Modified + "\n" + Rejected + "\n", Encoding.UTF8.GetString(destination.ToArray()));
    }

    [Fact]
    public async Task ExportToAsync_BadLine_KeepsTheRecordsBeforeItAndThrows()
    {
        using var client = CannedHandler.Client(new StreamHandler(() => new MemoryStream(Encoding.UTF8.GetBytes(Modified + "\n{\"requestId\":\n"))));
        using var destination = new MemoryStream();

        await Assert.ThrowsAsync<HttpRequestException>(() => client.Approvals.ExportToAsync(destination, cancellationToken: Ct));

        Assert.Equal(Modified + "\n", Encoding.UTF8.GetString(destination.ToArray()));
    }

    /// <summary>Answers 200 with a JSON-lines body read from a fresh stream.</summary>
    private sealed class StreamHandler(Func<Stream> body) : HttpMessageHandler
    {
        public HttpRequestMessage? LastRequest { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastRequest = request;
            var content = new StreamContent(body());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
        }
    }

    /// <summary>Gives its bytes a few at a time, as a network does.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(chunk, count), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The same byte for ever; counts what was read.</summary>
    private sealed class EndlessStream(byte value) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill(value);
            BytesRead += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
