using System.Globalization;
using static Rein.Core.Traces.SemanticConventions;

namespace Rein.Core.Traces;

// Messages from the older GenAI per-message events and from flattened attributes (gen_ai.prompt.N.*, OpenInference
// llm.input_messages.N.*).
public static partial class Conversation
{
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

    private sealed class FlatMessage
    {
        public string? Role { get; set; }

        public string? FinishReason { get; set; }

        // -1 holds the single "content" value; contents.N parts follow in order.
        public SortedDictionary<int, string?> Texts { get; } = [];

        public SortedDictionary<int, string?[]> Calls { get; } = [];
    }
}
