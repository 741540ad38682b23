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
public static class Conversation
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

    private static List<ChatMessage>? FromJson(JsonElement root, string defaultRole)
    {
        switch (root.ValueKind)
        {
            case JsonValueKind.Array:
                var list = new List<ChatMessage>(root.GetArrayLength());
                foreach (var item in root.EnumerateArray())
                {
                    if (Message(item, defaultRole) is { } m)
                    {
                        list.Add(m);
                    }
                }

                return list.Count > 0 || root.GetArrayLength() == 0 ? list : null;
            case JsonValueKind.Object:
                // A request body ({"messages": [...]}) or a chat completion response ({"choices": [...]}).
                if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
                {
                    return FromJson(messages, defaultRole);
                }

                if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
                {
                    return FromJson(choices, defaultRole);
                }

                return Message(root, defaultRole) is { } single ? [single] : null;
            case JsonValueKind.String:
                return [Plain(defaultRole, root.GetString()!)];
            default:
                return null;
        }
    }

    private static ChatMessage? Message(JsonElement e, string defaultRole, string? finishReason = null)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            return Plain(defaultRole, e.GetString()!);
        }

        if (e.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        finishReason = Str(e, "finish_reason") ?? finishReason;

        // gen_ai.choice bodies and chat completion choices wrap the message.
        if (e.TryGetProperty("message", out var inner))
        {
            if (inner.ValueKind == JsonValueKind.Object)
            {
                return Message(inner, defaultRole, finishReason);
            }

            // Event attributes carry nested values as JSON text.
            if (inner.ValueKind == JsonValueKind.String && TryParse(inner.GetString()!, out var innerDoc))
            {
                using (innerDoc)
                {
                    return Message(innerDoc.RootElement, defaultRole, finishReason);
                }
            }
        }

        var role = Str(e, "role") ?? defaultRole;
        var text = new StringBuilder();
        var calls = new List<ToolCallPart>();
        var recognised = e.TryGetProperty("role", out _);
        if (e.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
        {
            recognised = true;
            foreach (var part in parts.EnumerateArray())
            {
                Part(part, text, calls);
            }
        }

        if (e.TryGetProperty("content", out var content))
        {
            recognised = true;
            Content(content, text, calls);
        }

        if (e.TryGetProperty("tool_calls", out var toolCalls))
        {
            recognised = true;
            if (toolCalls.ValueKind == JsonValueKind.Array)
            {
                ToolCalls(toolCalls, calls);
            }
            else if (toolCalls.ValueKind == JsonValueKind.String && TryParse(toolCalls.GetString()!, out var callsDoc))
            {
                using (callsDoc)
                {
                    if (callsDoc.RootElement.ValueKind == JsonValueKind.Array)
                    {
                        ToolCalls(callsDoc.RootElement, calls);
                    }
                }
            }
        }

        return recognised ? new ChatMessage(role, text.Length == 0 ? null : text.ToString(), calls, finishReason) : null;
    }

    private static void ToolCalls(JsonElement array, List<ToolCallPart> calls)
    {
        foreach (var call in array.EnumerateArray())
        {
            if (ToolCall(call) is { } c)
            {
                calls.Add(c);
            }
        }
    }

    // OTel GenAI message parts (gen-ai-input-messages.json): text, tool_call, tool_call_response, uri, and others.
    private static void Part(JsonElement part, StringBuilder text, List<ToolCallPart> calls)
    {
        if (part.ValueKind == JsonValueKind.String)
        {
            Append(text, part.GetString());
            return;
        }

        if (part.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        switch (Str(part, "type"))
        {
            case "tool_call":
            case "function":
            case "tool_use":
                if (ToolCall(part) is { } call)
                {
                    calls.Add(call);
                }

                break;
            case "tool_call_response":
                Append(text, part.TryGetProperty("response", out var response) ? Raw(response) : Str(part, "result"));
                break;
            case "uri":
                Append(text, Str(part, "uri"));
                break;
            case "reasoning":
                break;
            default:
                Append(text, part.TryGetProperty("content", out var c) ? Raw(c) : Str(part, "text"));
                break;
        }
    }

    // "content" is a string, or a list of parts (OpenAI and Anthropic content blocks).
    private static void Content(JsonElement content, StringBuilder text, List<ToolCallPart> calls)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                Append(text, content.GetString());
                break;
            case JsonValueKind.Array:
                foreach (var part in content.EnumerateArray())
                {
                    Part(part, text, calls);
                }

                break;
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                break;
            default:
                Append(text, content.GetRawText());
                break;
        }
    }

    private static ToolCallPart? ToolCall(JsonElement call)
    {
        if (call.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var function = call.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : call;
        var name = Str(function, "name");
        if (name is null)
        {
            return null;
        }

        var arguments = function.TryGetProperty("arguments", out var args) ? Raw(args)
            : call.TryGetProperty("input", out var input) ? Raw(input)
            : null;
        return new ToolCallPart(Str(call, "id"), name, arguments);
    }

    private static string? Raw(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => e.GetRawText(),
    };

    private static string? Str(JsonElement e, string property) =>
        e.TryGetProperty(property, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    private static void Append(StringBuilder text, string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return;
        }

        if (text.Length > 0)
        {
            text.Append('\n');
        }

        text.Append(s);
    }

    // Deprecated GenAI events: one event per message, content in attributes or in a body carried as an attribute.
    private static List<ChatMessage>? FromEvents(IReadOnlyList<SpanEvent> events, bool output)
    {
        List<ChatMessage>? result = null;
        foreach (var e in events)
        {
            var role = e.Name switch
            {
                SystemMessageEvent => "system",
                UserMessageEvent => "user",
                AssistantMessageEvent => "assistant",
                ToolMessageEvent => "tool",
                ChoiceEvent => "assistant",
                _ => null,
            };
            if (role is not null && (e.Name == ChoiceEvent) == output)
            {
                (result ??= []).Add(EventMessage(e, role));
            }
            else if ((!output && e.Name == ContentPromptEvent) || (output && e.Name == ContentCompletionEvent))
            {
                var value = Find(e.Attributes, output ? Completion : Prompt);
                if (Messages(value, output ? "assistant" : "user") is { } messages)
                {
                    (result ??= []).AddRange(messages);
                }
            }
        }

        return result;
    }

    private static ChatMessage EventMessage(SpanEvent e, string role)
    {
        var body = Find(e.Attributes, "gen_ai.event.content") ?? Find(e.Attributes, "event.body") ?? Find(e.Attributes, "body");
        var json = body is not null ? JsonText(body) : JsonText(e.Attributes);
        if (json is not null && TryParse(json, out var doc))
        {
            using (doc)
            {
                if (Message(doc.RootElement, role) is { } message)
                {
                    return message;
                }
            }
        }

        // A plain-text body is the message; an event whose content was not captured still shows the message was there.
        return body is string { Length: > 0 } text && json == text ? Plain(role, text) : new ChatMessage(role, null, [], null);
    }

    private static object? Find(IReadOnlyList<SpanAttribute> attributes, string key)
    {
        foreach (var a in attributes)
        {
            if (a.Key == key)
            {
                return a.Value;
            }
        }

        return null;
    }

    // Flattened messages: gen_ai.prompt.0.role, gen_ai.completion.0.tool_calls.1.arguments,
    // llm.input_messages.0.message.contents.1.message_content.text, llm.output_messages.0.message.tool_calls.0.tool_call.function.name.
    private static List<ChatMessage>? Flattened(IReadOnlyList<SpanAttribute> attributes, string prefix, string defaultRole)
    {
        SortedDictionary<int, FlatMessage>? messages = null;
        foreach (var a in attributes)
        {
            if (!a.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = a.Key.AsSpan(prefix.Length);
            if (!TakeIndex(ref rest, out var index))
            {
                continue;
            }

            messages ??= [];
            if (!messages.TryGetValue(index, out var m))
            {
                messages[index] = m = new FlatMessage();
            }

            if (rest.StartsWith("message."))
            {
                rest = rest["message.".Length..];
            }

            var value = TextOf(a.Value);
            if (rest is "role")
            {
                m.Role = value;
            }
            else if (rest is "content")
            {
                m.Texts[-1] = value;
            }
            else if (rest is "finish_reason")
            {
                m.FinishReason = value;
            }
            else if (rest.StartsWith("contents."))
            {
                rest = rest["contents.".Length..];
                if (TakeIndex(ref rest, out var part) && rest is "message_content.text")
                {
                    m.Texts[part] = value;
                }
            }
            else if (rest.StartsWith("tool_calls."))
            {
                rest = rest["tool_calls.".Length..];
                if (!TakeIndex(ref rest, out var call))
                {
                    continue;
                }

                if (rest.StartsWith("tool_call."))
                {
                    rest = rest["tool_call.".Length..];
                }

                if (rest.StartsWith("function."))
                {
                    rest = rest["function.".Length..];
                }

                if (!m.Calls.TryGetValue(call, out var c))
                {
                    m.Calls[call] = c = new string?[3];
                }

                var slot = rest switch
                {
                    "id" => 0,
                    "name" => 1,
                    "arguments" => 2,
                    _ => -1,
                };
                if (slot >= 0)
                {
                    c[slot] = value;
                }
            }
        }

        if (messages is null)
        {
            return null;
        }

        var result = new List<ChatMessage>(messages.Count);
        foreach (var m in messages.Values)
        {
            var calls = new List<ToolCallPart>(m.Calls.Count);
            foreach (var c in m.Calls.Values)
            {
                if (c[1] is { } name)
                {
                    calls.Add(new ToolCallPart(c[0], name, c[2]));
                }
            }

            var text = m.Texts.Count == 0 ? null : string.Join('\n', m.Texts.Values.Where(t => !string.IsNullOrEmpty(t)));
            result.Add(new ChatMessage(m.Role ?? defaultRole, string.IsNullOrEmpty(text) ? null : text, calls, m.FinishReason));
        }

        return result;
    }

    private static bool TakeIndex(ref ReadOnlySpan<char> rest, out int index)
    {
        var dot = rest.IndexOf('.');
        if (dot <= 0 || !int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            index = 0;
            return false;
        }

        rest = rest[(dot + 1)..];
        return true;
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

    private sealed class FlatMessage
    {
        public string? Role { get; set; }

        public string? FinishReason { get; set; }

        // -1 holds the single "content" value; contents.N parts follow in order.
        public SortedDictionary<int, string?> Texts { get; } = [];

        public SortedDictionary<int, string?[]> Calls { get; } = [];
    }
}
