using System.Text.Json;
using System.Text.Json.Nodes;
using Rein.Core.Policies;

namespace Rein.Core.Gateway;

/// <summary>
/// The identity of a tool's definition as an upstream serves it: SHA-256 of the canonical JSON of its name (not
/// namespaced), description and input schema. Pinning records it; a definition that changes (a new description that
/// tells the model something else, a schema that takes another argument) changes the hash, and the tool is withheld
/// until someone reviews it. Key order and whitespace do not count; every other difference does.
/// </summary>
public static class ToolDefinitionHash
{
    /// <summary><c>sha256:</c> and 64 hex characters. An absent description or schema is JSON <c>null</c>.</summary>
    public static string Compute(string name, string? description, JsonElement? inputSchema)
    {
        ArgumentNullException.ThrowIfNull(name);
        var definition = new JsonObject
        {
            ["name"] = name,
            ["description"] = description,
            ["inputSchema"] = inputSchema is { ValueKind: not JsonValueKind.Undefined } schema ? JsonNode.Parse(schema.GetRawText()) : null,
        };
        using var document = JsonDocument.Parse(definition.ToJsonString());
        return ArgumentsHash.Compute(document.RootElement);
    }
}
