using System.Text.Json;
using System.Text.Json.Nodes;
using Rein.Core.Policies;

namespace Rein.Core.Gateway;

/// <summary>What an injected fault does to a tool call.</summary>
public enum FaultKind
{
    /// <summary>The call fails with the rule's message, without reaching the upstream.</summary>
    Error,

    /// <summary>The call waits the rule's delay, then goes through.</summary>
    Delay,

    /// <summary>The call times out as if the upstream never answered.</summary>
    Timeout,

    /// <summary>The call goes through and its result comes back damaged.</summary>
    Corrupt,
}

/// <summary>A fault injection rule for testing agents: tools matching <see cref="Tool"/> (a glob over namespaced
/// names, as in policies) get <see cref="Kind"/> with <see cref="Probability"/>.</summary>
public sealed record FaultRule(string Id, string Tool, FaultKind Kind, double Probability, TimeSpan Delay, string? Message, bool Enabled)
{
    /// <summary>Rules per project.</summary>
    public const int MaxRules = 100;

    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(5);

    public const int MaxMessageLength = 1000;

    /// <summary>The longest tool glob, as long as a namespaced tool name may be.</summary>
    public const int MaxToolLength = ToolNames.MaxServerLength + 2 + ToolNames.MaxToolLength;

    /// <summary>Why the rule is not valid, naming the field; null when it is.</summary>
    public string? Problem() => this switch
    {
        { Tool.Length: 0 or > MaxToolLength } => $"tool: a glob of 1 to {MaxToolLength} characters, such as everything.* or fs.write_file",
        { Probability: < 0 or > 1 or double.NaN } => "probability: a number from 0 to 1",
        { Kind: FaultKind.Delay } when Delay <= TimeSpan.Zero || Delay > MaxDelay => "delay: a duration above 0 and at most 5m, for a delay fault",
        { Message.Length: > MaxMessageLength } => $"message: at most {MaxMessageLength} characters",
        _ => null,
    };
}

/// <summary>Chooses and applies injected faults. Randomness is passed in, so tests (and evaluations) can seed it.</summary>
public static class FaultPlan
{
    /// <summary>What a corrupted text ends with, so a person reading the trace sees the damage was injected.</summary>
    public const string CorruptionMark = "\uFFFD\uFFFD\uFFFD";

    /// <summary>The first enabled rule matching the tool, if its probability hits; null for a normal call. One random
    /// number is drawn per matching rule, in order, so a seeded <paramref name="random"/> gives the same choices.</summary>
    public static FaultRule? Choose(string tool, IReadOnlyList<FaultRule> rules, Random random)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(random);
        foreach (var rule in rules)
        {
            if (!rule.Enabled || !Glob.IsMatch(rule.Tool, tool))
            {
                continue;
            }

            if (rule.Probability >= 1 || random.NextDouble() < rule.Probability)
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>
    /// A damaged copy of a tool result: each text content is cut at a random point and marked with
    /// <see cref="CorruptionMark"/>, and <c>structuredContent</c> is dropped (it would no longer match its schema). A
    /// result without text loses its content. The input is not changed.
    /// </summary>
    public static JsonNode Corrupt(JsonElement result, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var node = JsonNode.Parse(result.GetRawText()) as JsonObject ?? [];
        node.Remove("structuredContent");
        var damaged = false;
        if (node["content"] is JsonArray content)
        {
            foreach (var block in content.OfType<JsonObject>())
            {
                if (block["type"]?.ToString() == "text" && block["text"] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                {
                    var text = value.GetValue<string>();
                    var cut = text.Length == 0 ? 0 : random.Next(0, text.Length);
                    if (cut > 0 && char.IsHighSurrogate(text[cut - 1]))
                    {
                        cut--;
                    }

                    block["text"] = text[..cut] + CorruptionMark;
                    damaged = true;
                }
            }
        }

        if (!damaged)
        {
            node["content"] = new JsonArray();
        }

        return node;
    }
}
