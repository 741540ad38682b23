using System.Collections.Concurrent;
using System.Text.Json;
using NJsonSchema;
using NJsonSchema.References;
using NJsonSchema.Validation;

namespace Rein.Server.Gateway;

/// <summary>
/// Checks a call's arguments against the tool's input schema before the gate sees them. Schemas are compiled once per
/// definition hash (a bounded cache). Only references inside the schema are followed: a schema that points at a URL or
/// a file cannot make the gateway fetch anything.
/// </summary>
internal sealed class ArgumentSchemas
{
    /// <summary>Compiled schemas kept; past it the cache starts over.</summary>
    public const int CacheCapacity = 1000;

    /// <summary>Problems listed in one answer; the rest are counted.</summary>
    public const int MaxProblems = 10;

    private readonly ConcurrentDictionary<string, Task<JsonSchema?>> _compiled = new(StringComparer.Ordinal);

    /// <summary>What is wrong with the arguments, one line per problem naming the path; empty when they are valid.</summary>
    public async Task<IReadOnlyList<string>> ProblemsAsync(string hash, JsonElement? schemaJson, JsonElement? arguments, CancellationToken cancellationToken)
    {
        if (arguments is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null) } given)
        {
            return [$"arguments must be a JSON object, not {given.ValueKind.ToString().ToLowerInvariant()}"];
        }

        if (schemaJson is not { ValueKind: JsonValueKind.Object } json)
        {
            return [];
        }

        if (_compiled.Count >= CacheCapacity)
        {
            _compiled.Clear();
        }

        var schema = await _compiled.GetOrAdd(hash, _ => CompileAsync(json.GetRawText()));
        if (schema is null)
        {
            // The server's schema cannot be read (it names something outside itself, or is not a schema): the server
            // checks its own arguments.
            return [];
        }

        var text = arguments is { ValueKind: JsonValueKind.Object } a ? a.GetRawText() : "{}";
        var errors = schema.Validate(text);
        var problems = new List<string>();
        foreach (var error in Flatten(errors))
        {
            if (problems.Count == MaxProblems)
            {
                problems.Add($"and {Flatten(errors).Count() - MaxProblems} more");
                break;
            }

            problems.Add(Describe(error));
        }

        return problems;
    }

    private static IEnumerable<ValidationError> Flatten(IEnumerable<ValidationError> errors)
    {
        foreach (var error in errors)
        {
            var children = error switch
            {
                ChildSchemaValidationError child => child.Errors.Values.SelectMany(v => v),
                MultiTypeValidationError multi => multi.Errors.Values.SelectMany(v => v),
                _ => [],
            };
            var any = false;
            foreach (var inner in Flatten(children))
            {
                any = true;
                yield return inner;
            }

            if (!any)
            {
                yield return error;
            }
        }
    }

    private static string Describe(ValidationError error)
    {
        var path = string.IsNullOrEmpty(error.Path) || error.Path == "#" ? "arguments" : "arguments" + error.Path.TrimStart('#').Replace('/', '.');
        if (error.Kind == ValidationErrorKind.PropertyRequired && error.Property is { } property)
        {
            path = path == "arguments" ? "arguments." + property : path;
            return $"{path}: is required";
        }

        if (error.Kind == ValidationErrorKind.NoAdditionalPropertiesAllowed)
        {
            return $"{path}: is not a known argument of this tool";
        }

        return $"{path}: {Words(error.Kind.ToString())}";
    }

    /// <summary>StringExpected → "string expected".</summary>
    private static string Words(string kind) =>
        string.Concat(kind.Select((ch, i) => i > 0 && char.IsUpper(ch) ? " " + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));

    private static async Task<JsonSchema?> CompileAsync(string json)
    {
        try
        {
            return await JsonSchema.FromJsonAsync(json, null, schema => new LocalReferences(new JsonSchemaAppender(schema, new DefaultTypeNameGenerator())), CancellationToken.None);
        }
#pragma warning disable CA1031 // Any schema the library cannot compile is treated alike: not checked here.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private sealed class LocalReferences(JsonSchemaAppender appender) : JsonReferenceResolver(appender)
    {
        public override Task<IJsonReference> ResolveFileReferenceAsync(string filePath, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("tool schemas may only refer inside themselves");

        public override Task<IJsonReference> ResolveUrlReferenceAsync(string url, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("tool schemas may only refer inside themselves");
    }
}
