using System.Text;
using Rein.Core.Traces;

namespace Rein.Server.Traces.Otlp;

/// <summary>
/// The spans of one OTLP export request. Spans that cannot be used (bad ids) are left out one by one and counted, so
/// the endpoint can answer with an OTLP partial success instead of refusing the whole request.
/// </summary>
/// <param name="Spans">The usable spans, in request order.</param>
/// <param name="Rejected">How many spans were left out.</param>
/// <param name="RejectionMessage">Why, with a few examples; null when nothing was rejected.</param>
internal sealed record OtlpTraces(IReadOnlyList<RawSpan> Spans, int Rejected, string? RejectionMessage);

/// <summary>A request body that does not decode as an OTLP trace export; the message says what failed and where.</summary>
internal sealed class OtlpFormatException : Exception
{
    public OtlpFormatException()
    {
    }

    public OtlpFormatException(string message)
        : base(message)
    {
    }

    public OtlpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Counts rejected spans and keeps the first few reasons, so the partial-success message stays short.</summary>
internal sealed class SpanRejections
{
    // Enough for a person to see the pattern; the message goes back to the exporter, which usually logs it.
    private const int MaxExamples = 3;
    private const int MaxScopeNameLength = 64;

    private readonly StringBuilder _examples = new();

    public int Count { get; private set; }

    public void Add(int spanIndex, string? scopeName, string problem)
    {
        Count++;
        if (Count > MaxExamples)
        {
            return;
        }

        if (_examples.Length > 0)
        {
            _examples.Append("; ");
        }

        _examples.Append("span ").Append(spanIndex);
        if (string.IsNullOrEmpty(scopeName))
        {
            _examples.Append(" of an unnamed scope");
        }
        else
        {
            _examples.Append(" of scope '")
                .Append(scopeName.Length > MaxScopeNameLength ? string.Concat(scopeName.AsSpan(0, MaxScopeNameLength), "…") : scopeName)
                .Append('\'');
        }

        _examples.Append(": ").Append(problem);
    }

    public OtlpTraces ToResult(IReadOnlyList<RawSpan> spans)
    {
        if (Count == 0)
        {
            return new OtlpTraces(spans, 0, null);
        }

        var more = Count > MaxExamples ? $"; and {Count - MaxExamples} more" : "";
        return new OtlpTraces(spans, Count, $"{Count} {(Count == 1 ? "span" : "spans")} rejected: {_examples}{more}");
    }
}
