using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Html;

namespace Rein.Server.Dashboard.Pages.Policies;

/// <summary>Small pieces the policy and decision pages share: addresses, effect badges, hashes and JSON for people.</summary>
public static class PolicyView
{
    /// <summary>Effects from least to most restrictive, as the filter offers them.</summary>
    public static IReadOnlyList<string> Effects { get; } = ["allow", "confirm", "require_approval", "deny"];

    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>An effect as a badge: its name is its text, so it reads the same without colour. An unknown name
    /// (never written by this server) gets no colour rather than a wrong one.</summary>
    public static HtmlString EffectBadge(string effect)
    {
        var known = Effects.Contains(effect);
        var name = known ? effect : "unknown";
        var text = known ? effect.Replace('_', ' ') : HtmlEncoder.Default.Encode(effect);
        return new HtmlString($"<span class=\"badge effect effect-{name}\">{text}</span>");
    }

    public static string PolicyUrl(string name) => "/policies/" + Uri.EscapeDataString(name);

    public static string VersionUrl(string name, int version) =>
        PolicyUrl(name) + "/versions/" + version.ToString(CultureInfo.InvariantCulture);

    public static string DiffUrl(string name, int from, int to) =>
        string.Create(CultureInfo.InvariantCulture, $"{PolicyUrl(name)}/diff?from={from}&to={to}");

    public static string DecisionUrl(string id) => "/decisions/" + Uri.EscapeDataString(id);

    /// <summary>The first 12 hex digits of a content hash: enough to tell versions apart at a glance; the full hash is
    /// in the element's title and on the version's page.</summary>
    public static string ShortHash(string hash)
    {
        var hex = hash.StartsWith("sha256:", StringComparison.Ordinal) ? hash["sha256:".Length..] : hash;
        return hex.Length > 12 ? hex[..12] : hex;
    }

    /// <summary>Microseconds the way people read them.</summary>
    public static string Latency(long microseconds) => Format.Duration(microseconds / 1000.0);

    /// <summary>A JSON value indented for reading; strings keep their characters (Razor encodes the text).</summary>
    public static string Json(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            return "";
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Indented))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>True for a JSON value with nothing in it: null, an empty object or an empty array.</summary>
    public static bool IsEmpty(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => true,
        JsonValueKind.Object => !value.EnumerateObject().Any(),
        JsonValueKind.Array => value.GetArrayLength() == 0,
        _ => false,
    };
}
