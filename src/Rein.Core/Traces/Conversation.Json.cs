using System.Text;
using System.Text.Json;

namespace Rein.Core.Traces;

// Messages as JSON: the newer gen_ai.input.messages/output.messages shape, and the role/content objects other
// instrumentations put in input.value or output.value.
public static partial class Conversation
{
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
}
