using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;

namespace Rein.Server;

/// <summary>The configuration could not be used; every problem is listed with the setting and where it came from.</summary>
public sealed class ReinConfigurationException(IReadOnlyList<string> problems)
    : Exception("Invalid configuration:" + string.Concat(problems.Select(p => Environment.NewLine + "  " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Reads every capability's settings out of the configuration once, at start. Unlike the stock binder it names the
/// setting and its source in every error (<c>Dashboard:SessionLifetime (from REIN_DASHBOARD__SESSIONLIFETIME): ...</c>)
/// and refuses keys nobody reads, so a typo does not silently fall back to a default.
/// </summary>
public sealed class ReinConfiguration
{
    /// <summary>Top-level sections that belong to other readers: the logging system and the CLI's client settings
    /// (REIN_URL, REIN_API_KEY), so one shell can hold both.</summary>
    private static readonly HashSet<string> ForeignKeys = new(StringComparer.OrdinalIgnoreCase) { "Logging", "Url", "ApiKey", "Environment" };

    private readonly Dictionary<Type, object> _settings = [];

    private ReinConfiguration()
    {
    }

    /// <summary>The settings classes and the section each is read from ("" is the top level). A section may be nested
    /// (<c>Approvals:Webhooks</c>); its keys are then not the parent section's.</summary>
    public static IReadOnlyList<(string Section, Type Type)> Sections { get; } =
    [
        ("", typeof(ReinOptions)),
        ("Identity", typeof(Identity.IdentityOptions)),
        ("Dashboard", typeof(Dashboard.DashboardOptions)),
        ("Traces", typeof(Traces.TracesOptions)),
        ("Gate", typeof(Policies.GateOptions)),
        ("Approvals", typeof(Approvals.ApprovalsOptions)),
        ("Approvals:Webhooks", typeof(Approvals.Webhooks.ApprovalWebhookOptions)),
        ("Gateway", typeof(Gateway.GatewayOptions)),
    ];

    public T Get<T>() where T : class => (T)_settings[typeof(T)];

    public object Get(Type type) => _settings[type];

    /// <exception cref="ReinConfigurationException">A value does not parse, fails its check, or no one reads it.</exception>
    public static ReinConfiguration Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        var result = new ReinConfiguration();
        var root = Sections.Single(s => s.Section.Length == 0).Type;
        var sectionNames = Sections.Where(s => s.Section.Length > 0).Select(s => s.Section).ToHashSet(StringComparer.OrdinalIgnoreCase);

        // Sections that only hold nested ones (Approvals when only Approvals:Webhooks is read): their other keys are
        // nobody's and reported as such.
        var containers = sectionNames.SelectMany(Parents).Where(p => !sectionNames.Contains(p)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var child in configuration.GetChildren())
        {
            var key = Normalize(child.Key);
            if (!ForeignKeys.Contains(key) && !sectionNames.Contains(key) && !containers.Contains(key) && Property(root, child.Key) is null)
            {
                problems.Add($"{child.Key}{Source(configuration, child.Path)}: is not a Rein setting (see docs/configuration.md)");
            }
        }

        foreach (var container in containers)
        {
            foreach (var spelling in Spellings(configuration, container))
            {
                foreach (var child in spelling.GetChildren().Where(c => !IsSection(container + ":" + Normalize(c.Key))))
                {
                    problems.Add($"{container}:{child.Key}{Source(configuration, child.Path)}: is not a Rein setting (see docs/configuration.md)");
                }
            }
        }

        foreach (var (section, type) in Sections)
        {
            var instance = Activator.CreateInstance(type)!;
            if (section.Length == 0)
            {
                Bind(configuration, configuration, section, instance, problems);
            }
            else
            {
                // A section may be spelled with underscores too (REIN_IDENTITY__MAX_PROJECTS); bind every spelling.
                foreach (var spelling in Spellings(configuration, section))
                {
                    Bind(configuration, spelling, section, instance, problems);
                }
            }

            foreach (var (key, problem) in ((IReinSettings)instance).Validate())
            {
                var path = section.Length == 0 ? key : section + ":" + key;
                problems.Add($"{path}{Source(configuration, path)}: {problem}");
            }

            result._settings[type] = instance;
        }

        return problems.Count > 0 ? throw new ReinConfigurationException(problems) : result;
    }

    private static bool IsSection(string path) => Sections.Any(s => s.Section.Length > 0 && string.Equals(s.Section, path, StringComparison.OrdinalIgnoreCase));

    /// <summary>"A:B:C" has the parents "A" and "A:B".</summary>
    private static IEnumerable<string> Parents(string section)
    {
        for (var i = section.IndexOf(':', StringComparison.Ordinal); i > 0; i = section.IndexOf(':', i + 1))
        {
            yield return section[..i];
        }
    }

    /// <summary>Every configuration section spelling a (possibly nested) section name, underscores ignored.</summary>
    private static IEnumerable<IConfiguration> Spellings(IConfiguration configuration, string section)
    {
        IEnumerable<IConfiguration> level = [configuration];
        foreach (var part in section.Split(':'))
        {
            level = [.. level.SelectMany(l => l.GetChildren()).Where(c => string.Equals(Normalize(c.Key), part, StringComparison.OrdinalIgnoreCase))];
        }

        return level;
    }

    /// <summary>Environment variables are often written in SNAKE_CASE: REIN_DATA_DIR and REIN_DATADIR both mean DataDir.</summary>
    private static string Normalize(string key) => key.Replace("_", "", StringComparison.Ordinal);

    private static PropertyInfo? Property(Type type, string name) =>
        type.GetProperty(Normalize(name), BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { CanWrite: true } p ? p : null;

    private static void Bind(IConfiguration root, IConfiguration section, string sectionName, object target, List<string> problems)
    {
        foreach (var child in section.GetChildren())
        {
            var property = Property(target.GetType(), child.Key);
            if (property is null && sectionName.Length > 0 && IsSection(sectionName + ":" + Normalize(child.Key)))
            {
                // A nested section (Approvals:Webhooks inside Approvals) is bound on its own.
                continue;
            }

            if (property is null)
            {
                // Unknown top-level keys are reported once, by Load.
                if (sectionName.Length > 0)
                {
                    problems.Add($"{sectionName}:{child.Key}{Source(root, child.Path)}: is not a Rein setting (see docs/configuration.md)");
                }

                continue;
            }

            // Name the setting as documented, whatever case the environment spelled it in.
            var name = sectionName.Length == 0 ? property.Name : sectionName + ":" + property.Name;
            if (BindCollection(root, child, name, property, target, problems))
            {
                continue;
            }

            if (child.Value is null)
            {
                continue;
            }

            if (TryConvert(child.Value, property.PropertyType, out var value, out var expected))
            {
                property.SetValue(target, value);
            }
            else
            {
                problems.Add($"{name}{Source(root, child.Path)}: '{child.Value}' is not {expected}");
            }
        }
    }

    /// <summary>
    /// Lists (<c>Traces:DropAttributes:0</c>, or one comma-separated value) and maps of names to values or to settings
    /// objects (<c>Traces:Prices:gpt-4o:Input</c>). Returns false for any other property type.
    /// </summary>
    private static bool BindCollection(IConfiguration root, IConfigurationSection child, string name, PropertyInfo property, object target, List<string> problems)
    {
        var type = property.PropertyType;
        if (type == typeof(List<string>))
        {
            var list = (List<string>)property.GetValue(target)!;
            list.Clear();
            if (child.Value is { } joined)
            {
                list.AddRange(joined.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }

            list.AddRange(child.GetChildren().Where(c => c.Value is not null).Select(c => c.Value!));
            return true;
        }

        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Dictionary<,>) || type.GetGenericArguments()[0] != typeof(string))
        {
            return false;
        }

        var map = (System.Collections.IDictionary)property.GetValue(target)!;
        var valueType = type.GetGenericArguments()[1];
        if (child.Value is not null && !child.GetChildren().Any())
        {
            problems.Add($"{name}{Source(root, child.Path)}: expected a section of named entries, not a single value");
            return true;
        }

        foreach (var entry in child.GetChildren())
        {
            if (valueType == typeof(string))
            {
                map[entry.Key] = entry.Value ?? "";
                continue;
            }

            var item = map.Contains(entry.Key) ? map[entry.Key]! : Activator.CreateInstance(valueType)!;
            Bind(root, entry, name + ":" + entry.Key, item, problems);
            map[entry.Key] = item;
        }

        return true;
    }

    private static bool TryConvert(string text, Type type, out object? value, out string expected)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        value = null;
        expected = target.Name;
        if (target == typeof(string))
        {
            value = text;
            return true;
        }

        if (target == typeof(int))
        {
            expected = "a whole number";
            var ok = int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i);
            value = i;
            return ok;
        }

        if (target == typeof(long))
        {
            expected = "a whole number";
            var ok = long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l);
            value = l;
            return ok;
        }

        if (target == typeof(double))
        {
            expected = "a number";
            var ok = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d);
            value = d;
            return ok;
        }

        if (target == typeof(decimal))
        {
            expected = "a number";
            var ok = decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m);
            value = m;
            return ok;
        }

        if (target == typeof(bool))
        {
            expected = "true or false";
            var ok = bool.TryParse(text, out var b);
            value = b;
            return ok;
        }

        if (target == typeof(TimeSpan))
        {
            expected = "a duration such as 30s, 5m, 12h, 7d or 00:05:00";
            var ok = Durations.TryParse(text, out var t);
            value = t;
            return ok;
        }

        return false;
    }

    /// <summary>Names where a key's winning value came from: a flag, an environment variable or a file.</summary>
    private static string Source(IConfiguration configuration, string path)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return "";
        }

        foreach (var provider in root.Providers.Reverse())
        {
            if (!provider.TryGet(path, out _))
            {
                continue;
            }

            return provider switch
            {
                EnvironmentVariablesConfigurationProvider => $" (from REIN_{path.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant()})",
                JsonConfigurationProvider json => $" (from {json.Source.Path})",
                MemoryConfigurationProvider => $" (from --{Flags.NameOf(path)})",
                _ => "",
            };
        }

        return "";
    }
}

/// <summary>Command-line flags of <c>rein serve</c> and the settings they set.</summary>
public static class Flags
{
    public static string NameOf(string key) => key.ToLowerInvariant() switch
    {
        "datadir" => "data-dir",
        var k => k,
    };
}

/// <summary>Durations as people write them: 30s, 5m, 12h, 7d, 250ms, or a TimeSpan (00:05:00).</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        (string Suffix, double Unit)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];
        foreach (var (suffix, unit) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) &&
                double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) &&
                n >= 0 && n * unit <= TimeSpan.MaxValue.TotalMilliseconds)
            {
                value = TimeSpan.FromMilliseconds(n * unit);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }
}
