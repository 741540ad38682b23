using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using static Rein.Core.Traces.SemanticConventions;

namespace Rein.Core.Traces;

/// <summary>A tool call a model asked for.</summary>
/// <param name="Id">The call id that the tool's response refers back to, when reported.</param>
/// <param name="Name">The tool's name.</param>
/// <param name="Arguments">The arguments as sent, usually JSON text.</param>
public sealed record ToolCallPart(string? Id, string Name, string? Arguments);

/// <summary>One message of a model call, whichever convention reported it.</summary>
/// <param name="Role">system, user, assistant, tool, or what the sender wrote.</param>
/// <param name="Text">The text parts joined by new lines; null when the message had only tool calls.</param>
/// <param name="ToolCalls">Tools the message asked to call.</param>
/// <param name="FinishReason">Why the model stopped (output messages only): stop, length, tool_calls….</param>
public sealed record ChatMessage(string Role, string? Text, IReadOnlyList<ToolCallPart> ToolCalls, string? FinishReason);

/// <summary>What a span says was sent and received, for the explorer.</summary>
public sealed record ConversationView(
    IReadOnlyList<ChatMessage> Input,
    IReadOnlyList<ChatMessage> Output,
    string? SystemInstructions,
    string? ToolArguments,
    string? ToolResult);

/// <summary>
/// Reads the messages of a stored span from any of the forms instrumentations use: OTel GenAI's
/// <c>gen_ai.input.messages</c>/<c>gen_ai.output.messages</c> JSON, the older per-message events and flattened
/// <c>gen_ai.prompt.N.*</c> attributes, OpenInference's <c>llm.input_messages.N.*</c>, and <c>input.value</c>/
/// <c>output.value</c>. Malformed JSON never throws: the raw text is shown as one message instead.
/// </summary>
public static partial class Conversation
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads a span's conversation; empty lists when it reported none.</summary>
    public static ConversationView Read(Span span)
    {
        ArgumentNullException.ThrowIfNull(span);
        var attributes = new Dictionary<string, object?>(span.Attributes.Count, StringComparer.Ordinal);
        foreach (var a in span.Attributes)
        {
            attributes.TryAdd(a.Key, a.Value);
        }

        object? Get(string key) => attributes.GetValueOrDefault(key);
        var isTool = span.Kind == StepKind.Tool;

        var input = Messages(Get(InputMessages), "user")
            ?? FromEvents(span.Events, output: false)
            ?? Flattened(span.Attributes, Prompt + ".", "user")
            ?? Flattened(span.Attributes, InputMessagesPrefix, "user")
            ?? Messages(Get(Prompt), "user")
            ?? (isTool ? null : MessagesOrText(Get(InputValue), "user"))
            ?? [];
        var output = Messages(Get(OutputMessages), "assistant")
            ?? FromEvents(span.Events, output: true)
            ?? Flattened(span.Attributes, Completion + ".", "assistant")
            ?? Flattened(span.Attributes, OutputMessagesPrefix, "assistant")
            ?? Messages(Get(Completion), "assistant")
            ?? (isTool ? null : MessagesOrText(Get(OutputValue), "assistant"))
            ?? [];

        return new ConversationView(
            input,
            output,
            ReadSystemInstructions(Get(SystemInstructions)),
            TextOf(Get(ToolCallArguments)) ?? (isTool ? TextOf(Get(InputValue)) ?? TextOf(Get(ToolParameters)) : null),
            TextOf(Get(ToolCallResult)) ?? (isTool ? TextOf(Get(OutputValue)) : null));
    }

    // A JSON messages attribute: a string holding JSON, or the same structure sent as an OTLP array or key-value list.
    private static List<ChatMessage>? Messages(object? value, string defaultRole)
    {
        var json = JsonText(value);
        if (json is null)
        {
            return null;
        }

        return TryParse(json, out var doc) ? Using(doc, d => FromJson(d.RootElement, defaultRole)) ?? [Plain(defaultRole, json)] : [Plain(defaultRole, json)];
    }

    // input.value / output.value hold JSON messages, a request or response body, or plain text.
    private static List<ChatMessage>? MessagesOrText(object? value, string defaultRole)
    {
        var text = JsonText(value);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return TryParse(text, out var doc) ? Using(doc, d => FromJson(d.RootElement, defaultRole)) ?? [Plain(defaultRole, text)] : [Plain(defaultRole, text)];
    }

    private static T Using<T>(JsonDocument doc, Func<JsonDocument, T> read)
    {
        using (doc)
        {
            return read(doc);
        }
    }

    private static ChatMessage Plain(string role, string text) => new(role, text, [], null);

    private static bool TryParse(string text, out JsonDocument doc)
    {
        doc = null!;
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length == 0 || trimmed[0] is not ('{' or '[' or '"'))
        {
            return false;
        }

        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    // gen_ai.system_instructions is a JSON array of parts, or plain text from instrumentations that send a string.
    private static string? ReadSystemInstructions(object? value)
    {
        var json = JsonText(value);
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        if (!TryParse(json, out var doc))
        {
            return json;
        }

        using (doc)
        {
            var text = new StringBuilder();
            var calls = new List<ToolCallPart>();
            switch (doc.RootElement.ValueKind)
            {
                case JsonValueKind.Array:
                    foreach (var part in doc.RootElement.EnumerateArray())
                    {
                        Part(part, text, calls);
                    }

                    break;
                case JsonValueKind.String:
                    return doc.RootElement.GetString();
                default:
                    return json;
            }

            return text.Length == 0 ? json : text.ToString();
        }
    }

    private static string? TextOf(object? value) => value switch
    {
        null => null,
        string s => s,
        IReadOnlyList<SpanAttribute> or IReadOnlyList<object?> => JsonText(value),
        byte[] b => Convert.ToBase64String(b),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    // Strings are returned as they are; OTLP arrays and key-value lists are written as JSON to be read the same way.
    private static string? JsonText(object? value)
    {
        if (value is null or string)
        {
            return (string?)value;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            AttributeValueJson.Write(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
