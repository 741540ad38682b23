namespace Rein.Core.Traces;

/// <summary>Bounds on what one stored span may hold; what goes over is dropped or cut, and counted on the span.</summary>
public sealed class TraceLimits
{
    /// <summary>Attributes kept per span (the OpenTelemetry SDKs' default span attribute count limit is 128).</summary>
    public int MaxAttributesPerSpan { get; set; } = 128;

    /// <summary>
    /// Characters kept per string value, including strings inside arrays and key-value lists (bytes for binary
    /// values). 16 384 keeps a long chat turn whole while bounding a pasted document; a cut value ends with
    /// <c>…[truncated N chars]</c>.
    /// </summary>
    public int MaxAttributeValueLength { get; set; } = 16_384;

    /// <summary>Events kept per span (the OpenTelemetry SDKs' default).</summary>
    public int MaxEventsPerSpan { get; set; } = 128;

    /// <summary>Attributes kept per event. Dropped ones count in <see cref="Span.DroppedAttributes"/>.</summary>
    public int MaxAttributesPerEvent { get; set; } = 64;
}
