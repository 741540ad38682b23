using System.Text.Json;
using System.Text.Json.Nodes;
using Rein.Core.Traces;

namespace Rein.Core.Gateway;

/// <summary>A tool result after screening: secrets redacted, and how instruction-like its text is.</summary>
/// <param name="Result">The result to hand to the agent (a new JSON tree; the input is not changed).</param>
/// <param name="Report">The injection report over every text in the result.</param>
/// <param name="Redacted">How many secrets were replaced.</param>
/// <param name="Texts">How many texts were screened.</param>
public sealed record ScreenedResult(JsonNode? Result, InjectionReport Report, int Redacted, int Texts);

/// <summary>
/// Screens an MCP <c>tools/call</c> result before it reaches the agent. Every text the model will read is redacted
/// with the trace redactor (text content, the text of embedded resources, and every string in
/// <c>structuredContent</c>) and scanned for prompt injection. Images, audio and binary resources pass unchanged;
/// their bytes are not text a model reads as instructions. At most <see cref="MaxTexts"/> texts are screened; the
/// rest pass redacted but unscanned, and the report says it was truncated.
/// </summary>
public static class ResultScreen
{
    /// <summary>Texts screened per result.</summary>
    public const int MaxTexts = 1000;

    /// <summary>Nesting followed in <c>structuredContent</c>; deeper values pass unchanged.</summary>
    public const int MaxDepth = 64;

    public static ScreenedResult Screen(JsonElement result, Redactor redactor, InjectionScanner scanner)
    {
        ArgumentNullException.ThrowIfNull(redactor);
        ArgumentNullException.ThrowIfNull(scanner);
        var node = JsonNode.Parse(result.GetRawText());
        var state = new State(redactor, scanner);
        if (node is JsonObject root)
        {
            if (root["content"] is JsonArray content)
            {
                foreach (var item in content)
                {
                    if (item is not JsonObject block)
                    {
                        continue;
                    }

                    switch (block["type"]?.GetValueKind() == JsonValueKind.String ? block["type"]!.GetValue<string>() : null)
                    {
                        case "text":
                            state.Screen(block, "text");
                            break;
                        case "resource" when block["resource"] is JsonObject resource:
                            state.Screen(resource, "text");
                            break;
                    }
                }
            }

            if (root["structuredContent"] is { } structured)
            {
                root["structuredContent"] = state.ScreenTree(structured, 0);
            }
        }

        var report = scanner.Combine(state.Reports);
        if (state.Skipped && !report.Truncated)
        {
            report = report with { Truncated = true };
        }

        return new ScreenedResult(node, report, state.Redacted, state.Texts);
    }

    private sealed class State(Redactor redactor, InjectionScanner scanner)
    {
        public List<InjectionReport> Reports { get; } = [];

        public int Redacted;

        public int Texts;

        public bool Skipped;

        public void Screen(JsonObject owner, string property)
        {
            if (owner[property] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            {
                owner[property] = Text(value.GetValue<string>(), property);
            }
        }

        public JsonNode? ScreenTree(JsonNode? node, int depth, string? member = null)
        {
            if (depth > MaxDepth)
            {
                return node?.DeepClone();
            }

            switch (node)
            {
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    return JsonValue.Create(Text(value.GetValue<string>(), member));
                case JsonObject obj:
                    foreach (var name in obj.Select(p => p.Key).ToList())
                    {
                        obj[name] = ScreenTree(obj[name]?.DeepClone(), depth + 1, name);
                    }

                    return obj;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        array[i] = ScreenTree(array[i]?.DeepClone(), depth + 1, member);
                    }

                    return array;
                default:
                    return node;
            }
        }

        private string Text(string text, string? name = null)
        {
            var redacted = name is null ? redactor.Redact(text, ref Redacted) : redactor.RedactValue(name, text, ref Redacted);
            if (Texts >= MaxTexts)
            {
                Skipped = true;
                return redacted;
            }

            Texts++;
            // Scanned as the agent will read it: after redaction, so an excerpt never holds the secret.
            Reports.Add(scanner.Scan(redacted));
            return redacted;
        }
    }
}
