using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Rein.Cli;

/// <summary>Whole-number arguments and options with their bounds checked while parsing, so that a wrong value (<c>abc</c>,
/// <c>0</c>) is a usage error naming the argument rather than a validator reading a value that did not convert.</summary>
public static class WholeNumbers
{
    /// <summary>An argument such as a version: a whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Argument<int> Argument(string name, string description, string what, int min = 1, int max = int.MaxValue) => new(name)
    {
        Description = description,
        CustomParser = result => Parse(result, name, what, min, max, 0),
    };

    /// <summary>An option holding a whole number; absent, it is <paramref name="defaultValue"/>.</summary>
    public static Option<int> Option(string name, string description, string what, int min, int max, int defaultValue, params string[] aliases) => new(name, aliases)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse(result, name, what, min, max, defaultValue),
    };

    /// <summary>An option holding a whole number, or null when absent.</summary>
    public static Option<int?> OptionalOption(string name, string description, string what, int min = 1, int max = int.MaxValue) => new(name)
    {
        Description = description,
        HelpName = name.TrimStart('-'),
        CustomParser = result => result.Tokens.Count == 0 ? null : Parse(result, name, what, min, max, 0),
    };

    private static int Parse(ArgumentResult result, string name, string what, int min, int max, int defaultValue)
    {
        if (result.Tokens.Count == 0)
        {
            return defaultValue;
        }

        var text = result.Tokens[0].Value;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        var range = max == int.MaxValue
            ? $"from {min.ToString(CultureInfo.InvariantCulture)}"
            : $"from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}";
        result.AddError($"{name}: '{text}' is not {what}: use a whole number {range}");
        return defaultValue;
    }
}
