using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Rein.Server.Approvals;

/// <summary>What a person gives a decision (a note, modified arguments) passes through the redactor before it is
/// stored; modified arguments holding a secret are refused, naming where.</summary>
public sealed partial class ApprovalService
{
    private string? Note(string? note)
    {
        if (string.IsNullOrWhiteSpace(note))
        {
            return null;
        }

        var trimmed = note.Trim();
        if (trimmed.Length > _options.MaxNoteLength)
        {
            throw ReinProblemException.Invalid("note", $"is {trimmed.Length} characters long; at most {_options.MaxNoteLength} are allowed (Approvals:MaxNoteLength)");
        }

        // Notes are kept with the request and in the audit log, which never changes: a pasted secret is redacted first.
        var redactions = 0;
        return _redactor.Redact(trimmed, ref redactions);
    }

    private JsonElement Arguments(JsonElement args)
    {
        if (args.ValueKind != JsonValueKind.Object)
        {
            throw ReinProblemException.Invalid("args", $"must be a JSON object, not {args.ValueKind.ToString().ToLowerInvariant()}");
        }

        var bytes = Encoding.UTF8.GetByteCount(args.GetRawText());
        if (bytes > _options.MaxArgsBytes)
        {
            throw new ReinProblemException(StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"args: is {bytes} bytes of JSON; at most {_options.MaxArgsBytes} are allowed (Approvals:MaxArgsBytes)", "args");
        }

        if (RedactedPath(args, "args") is { } path)
        {
            // The stored arguments hold placeholders where the policy or the secret scanner redacted: an approver who
            // edits them gives the placeholder back, and the agent would act on "[REDACTED]" instead of the value.
            throw ReinProblemException.Invalid("args",
                $"{path} holds a redacted placeholder, not a value; give it in full, or reject and let the agent propose again");
        }

        return args;
    }

    /// <summary>The path and kind of the first value the redactor would replace, or null.</summary>
    private (string Path, string Kind)? SecretPath(JsonElement value, string path, string? name)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String or JsonValueKind.Number:
                var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
                var count = 0;
                var redacted = name is null ? _redactor.Redact(text, ref count) : _redactor.RedactValue(name, text, ref count);
                if (count == 0)
                {
                    return null;
                }

                var at = redacted.IndexOf("[REDACTED:", StringComparison.Ordinal);
                var end = at < 0 ? -1 : redacted.IndexOf(']', at);
                return (path, at < 0 || end < 0 ? "secret" : redacted[(at + 10)..end]);
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    var count2 = 0;
                    _redactor.Redact(property.Name, ref count2);
                    if (count2 > 0)
                    {
                        return (path + "." + property.Name[..Math.Min(4, property.Name.Length)] + "…", "secret");
                    }

                    if (SecretPath(property.Value, path + "." + property.Name, property.Name) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (SecretPath(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{index++}]"), name) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>The path of the first string holding a redaction placeholder, or null.</summary>
    private static string? RedactedPath(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString()!.Contains(RedactionMarker, StringComparison.Ordinal) ? path : null;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    if (RedactedPath(property.Value, path + "." + property.Name) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (RedactedPath(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{index++}]")) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }
}
