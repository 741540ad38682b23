using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Rein.Core.Gateway;

/// <summary>
/// Names of tools behind the gateway: an upstream server's name and its tool's name joined by a dot
/// (<c>github.create_issue</c>), or by two underscores for clients that forbid dots in tool names
/// (<c>github__create_issue</c>). A server name has no dot and no <c>__</c>, so either form parses back unambiguously.
/// </summary>
public static class ToolNames
{
    public const string Dot = ".";

    public const string DoubleUnderscore = "__";

    /// <summary>The longest server name.</summary>
    public const int MaxServerLength = 64;

    /// <summary>The longest tool name an upstream may give (MCP suggests 128; namespacing adds the server's).</summary>
    public const int MaxToolLength = 128;

    private static readonly SearchValues<char> ServerChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789_-");

    /// <summary>True for 1 to <see cref="MaxServerLength"/> characters of lower-case letters, digits, <c>_</c> and
    /// <c>-</c>, starting with a letter or digit, without <c>__</c>.</summary>
    public static bool IsValidServer([NotNullWhen(true)] string? name) =>
        name is { Length: > 0 and <= MaxServerLength } &&
        !name.AsSpan().ContainsAnyExcept(ServerChars) &&
        name[0] is not ('_' or '-') &&
        !name.Contains(DoubleUnderscore, StringComparison.Ordinal);

    /// <summary>Why a server name is not valid, for a message naming the field; null when it is.</summary>
    public static string? ServerProblem(string? name) => IsValidServer(name)
        ? null
        : $"'{Shorten(name)}' is not a server name: 1 to {MaxServerLength} lower-case letters, digits, '_' and '-', starting with a letter or digit, with no '__' (it prefixes tool names)";

    /// <summary>The namespaced name; <paramref name="separator"/> is <see cref="Dot"/> or <see cref="DoubleUnderscore"/>.</summary>
    public static string Namespace(string server, string tool, string separator = Dot)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(tool);
        if (separator is not (Dot or DoubleUnderscore))
        {
            throw new ArgumentException($"the separator is '{Dot}' or '{DoubleUnderscore}', not '{separator}'", nameof(separator));
        }

        return string.Concat(server, separator, tool);
    }

    /// <summary>
    /// Splits a namespaced name at its first <c>.</c> or <c>__</c>, whichever comes first; false when there is none,
    /// the server part is not a valid server name, or the tool part is empty or too long.
    /// </summary>
    public static bool TryParse(string? name, [NotNullWhen(true)] out string? server, [NotNullWhen(true)] out string? tool)
    {
        server = null;
        tool = null;
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var underscores = name.IndexOf(DoubleUnderscore, StringComparison.Ordinal);
        int at;
        int length;
        if (dot >= 0 && (underscores < 0 || dot < underscores))
        {
            (at, length) = (dot, 1);
        }
        else if (underscores >= 0)
        {
            (at, length) = (underscores, 2);
        }
        else
        {
            return false;
        }

        var serverPart = name[..at];
        var toolPart = name[(at + length)..];
        if (!IsValidServer(serverPart) || toolPart.Length is 0 or > MaxToolLength)
        {
            return false;
        }

        (server, tool) = (serverPart, toolPart);
        return true;
    }

    private static string Shorten(string? value) => value is { Length: > 80 } ? value[..80] + "…" : value ?? "";
}
