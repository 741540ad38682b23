using System.Globalization;
using System.Text.Json.Nodes;
using Rein.Core.Traces;

namespace Rein.Server.Traces;

/// <summary>Span values as plain JSON: OTLP's AnyValue becomes a string, number, boolean, array or object.</summary>
public static class AttributeJson
{
    /// <summary>ISO 8601 in UTC with microseconds, as trace viewers show span times.</summary>
    public static string Time(long unixNano) =>
        DateTime.UnixEpoch.AddTicks(unixNano / TimeSpan.NanosecondsPerTick).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Attributes as one object. OTLP forbids duplicate keys; if a sender repeats one anyway, the last wins.</summary>
    public static JsonObject Attributes(IReadOnlyList<SpanAttribute> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var json = new JsonObject();
        foreach (var attribute in attributes)
        {
            json[attribute.Key] = Value(attribute.Value);
        }

        return json;
    }

    public static JsonNode? Value(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        // JSON has no NaN or infinities; say them as strings rather than fail the whole answer.
        double d when double.IsFinite(d) => JsonValue.Create(d),
        double d => JsonValue.Create(d.ToString(CultureInfo.InvariantCulture)),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        IReadOnlyList<SpanAttribute> list => Attributes(list),
        IReadOnlyList<object?> array => new JsonArray([.. array.Select(Value)]),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };
}
