using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rein.Core.Traces;

namespace Rein.Server.Traces;

/// <summary>Span times as the API writes them.</summary>
public static class SpanTimes
{
    /// <summary>ISO 8601 in UTC with microseconds, as trace viewers show span times.</summary>
    public static string Iso(long unixNano) =>
        DateTime.UnixEpoch.AddTicks(unixNano / TimeSpan.NanosecondsPerTick).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// Attributes as one JSON object in API answers, written straight from the stored list by the one attribute writer
/// (no intermediate JSON tree: a large run's answer is megabytes of them). OTLP forbids duplicate keys; if a sender
/// repeats one anyway, the last wins.
/// </summary>
[JsonConverter(typeof(AttributeMapConverter))]
public sealed record AttributeMap(IReadOnlyList<SpanAttribute> Items);

internal sealed class AttributeMapConverter : JsonConverter<AttributeMap>
{
    public override AttributeMap Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("attribute maps are only written");

    public override void Write(Utf8JsonWriter writer, AttributeMap value, JsonSerializerOptions options)
    {
        var items = value.Items;
        HashSet<string>? keys = null;
        var hasDuplicates = false;
        if (items.Count > 1)
        {
            keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                hasDuplicates |= !keys.Add(item.Key);
            }
        }

        if (!hasDuplicates)
        {
            AttributeValueJson.WriteObject(writer, items);
            return;
        }

        // Rare: keep only each key's last occurrence, in the order those occurrences come.
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            last[items[i].Key] = i;
        }

        writer.WriteStartObject();
        for (var i = 0; i < items.Count; i++)
        {
            if (last[items[i].Key] == i)
            {
                writer.WritePropertyName(items[i].Key);
                AttributeValueJson.Write(writer, items[i].Value);
            }
        }

        writer.WriteEndObject();
    }
}
