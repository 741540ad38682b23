using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using static Rein.Core.Traces.SemanticConventions;

namespace Rein.Core.Traces;

/// <summary>
/// Which attributes carry what people and models said (prompts, completions, tool arguments and results, retrieved
/// documents), and how to blank them when a project does not capture content: text becomes <c>[not captured]</c>
/// while keys, roles, tool names, ids, numbers and the shape of JSON messages stay, so the explorer can still show who
/// said what to whom.
/// </summary>
internal static class ContentCapture
{
    public const string NotCaptured = "[not captured]";

    private static readonly FrozenSet<string> ContentKeys = FrozenSet.Create(StringComparer.Ordinal,
    [
        InputMessages, OutputMessages, SystemInstructions, Prompt, Completion, ToolCallArguments, ToolCallResult,
        RetrievalDocuments, RetrievalQuery, InputValue, OutputValue,
        "llm.prompt_template.variables", "reranker.query",

        // Semantic Kernel and others put an event's body here when they report GenAI events as span events.
        "gen_ai.event.content",
    ]);

    // Flattened conventions: every value under these prefixes is content except the structural leaves below.
    private static readonly string[] FlattenedPrefixes =
    [
        Prompt + ".", Completion + ".", InputMessagesPrefix, OutputMessagesPrefix, "llm.prompts", "llm.choices.",
        "retrieval.documents.", "reranker.input_documents.", "reranker.output_documents.", "embedding.embeddings.",
    ];

    private static readonly FrozenSet<string> ContentEvents = FrozenSet.Create(StringComparer.Ordinal,
    [
        SystemMessageEvent, UserMessageEvent, AssistantMessageEvent, ToolMessageEvent, ChoiceEvent,
        ContentPromptEvent, ContentCompletionEvent,
    ]);

    // Leaves and JSON properties that say who and what, not what was said.
    private static readonly FrozenSet<string> StructuralNames = FrozenSet.Create(StringComparer.Ordinal,
    [
        "role", "name", "id", "type", "finish_reason", "finish_reasons", "tool_call_id", "call_id", "mime_type",
        "modality", "index", "gen_ai.system", "gen_ai.provider.name", "gen_ai.response.id", "gen_ai.tool.call.id",
        "gen_ai.tool.name",
    ]);

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static bool IsContentEvent(string eventName) => ContentEvents.Contains(eventName);

    /// <summary>True when an attribute's value is content; inside a content event every non-structural value is.</summary>
    public static bool IsContent(string key, bool inContentEvent)
    {
        if (ContentKeys.Contains(key))
        {
            return true;
        }

        if (inContentEvent)
        {
            return !StructuralNames.Contains(key);
        }

        // Cheap reject before the prefix list: every flattened prefix starts with one of these letters.
        if (key.Length == 0 || key[0] is not ('g' or 'l' or 'r' or 'e'))
        {
            return false;
        }

        foreach (var prefix in FlattenedPrefixes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                var leaf = key.AsSpan(key.LastIndexOf('.') + 1);
                return !StructuralNames.GetAlternateLookup<ReadOnlySpan<char>>().Contains(leaf);
            }
        }

        return false;
    }

    /// <summary>The value with its text blanked and its structure kept.</summary>
    public static object? Uncapture(object? value) => value switch
    {
        string { Length: 0 } s => s,
        string s => UncaptureText(s),
        byte[] => NotCaptured,
        IReadOnlyList<SpanAttribute> list => UncaptureKeyValues(list),
        IReadOnlyList<object?> list => UncaptureList(list),
        _ => value,
    };

    private static SpanAttribute[] UncaptureKeyValues(IReadOnlyList<SpanAttribute> list)
    {
        var result = new SpanAttribute[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            var a = list[i];
            result[i] = StructuralNames.Contains(a.Key) ? a : new SpanAttribute(a.Key, Uncapture(a.Value));
        }

        return result;
    }

    private static object?[] UncaptureList(IReadOnlyList<object?> list)
    {
        var result = new object?[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            result[i] = Uncapture(list[i]);
        }

        return result;
    }

    private static string UncaptureText(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length == 0 || trimmed[0] is not ('{' or '['))
        {
            return NotCaptured;
        }

        try
        {
            return UncaptureJson(text);
        }
        catch (JsonException)
        {
            return NotCaptured;
        }
    }

    // Streams the JSON through, replacing every string or number that is not the value of a structural property (or an element
    // of an array held by one) so that roles, part types, tool names and ids survive.
    private static string UncaptureJson(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var output = new ArrayBufferWriter<byte>(Math.Min(bytes.Length, 4096));
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            // For each open container: the property that holds it (null at the top or inside an array).
            var holders = new List<string?>();
            string? property = null;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        writer.WriteStartObject();
                        holders.Add(property);
                        property = null;
                        break;
                    case JsonTokenType.StartArray:
                        writer.WriteStartArray();
                        holders.Add(property);
                        property = null;
                        break;
                    case JsonTokenType.EndObject:
                        writer.WriteEndObject();
                        holders.RemoveAt(holders.Count - 1);
                        property = null;
                        break;
                    case JsonTokenType.EndArray:
                        writer.WriteEndArray();
                        holders.RemoveAt(holders.Count - 1);
                        property = null;
                        break;
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        writer.WritePropertyName(property!);
                        break;
                    case JsonTokenType.String:
                    case JsonTokenType.Number:
                        // Numbers inside content (amounts, account numbers in tool arguments) are content too.
                        var governing = property ?? (holders.Count > 0 ? holders[^1] : null);
                        if (governing is null || !StructuralNames.Contains(governing))
                        {
                            writer.WriteStringValue(NotCaptured);
                        }
                        else if (reader.TokenType == JsonTokenType.String)
                        {
                            writer.WriteStringValue(reader.GetString());
                        }
                        else
                        {
                            writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        }

                        property = null;
                        break;
                    case JsonTokenType.True:
                    case JsonTokenType.False:
                        writer.WriteBooleanValue(reader.TokenType == JsonTokenType.True);
                        property = null;
                        break;
                    case JsonTokenType.Null:
                        writer.WriteNullValue();
                        property = null;
                        break;
                    default:
                        break;
                }
            }
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
