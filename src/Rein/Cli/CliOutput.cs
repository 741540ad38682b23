using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Rein.Cli;

/// <summary>
/// Everything a command prints. Tables for people are laid out by Spectre.Console, with escape codes only on a
/// terminal (none when stdout is redirected, no colour under NO_COLOR) and without trailing blanks, so they grep and
/// diff cleanly. <c>--output json</c> prints the server's objects as plain indented JSON. Notes for people (warnings,
/// what just happened) go to stderr, so stdout is the command's result alone.
/// </summary>
public sealed class CliOutput
{
    /// <summary>Redirected output has no width; a wide one keeps every table row on one line for grep and friends.</summary>
    private const int RedirectedWidth = 400;

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Not HTML: a key name like "bob's key" should read as written.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly bool _ansi;
    private readonly bool _color;
    private readonly int _width;

    private CliOutput(bool json, TextWriter output, TextWriter error, bool ansi, bool color, int width)
    {
        IsJson = json;
        Out = output;
        Error = error;
        _ansi = ansi;
        _color = color;
        _width = width;
    }

    public bool IsJson { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public static CliOutput Create(string format)
    {
        var redirected = Console.IsOutputRedirected;
        var ansi = !redirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
        var color = ansi && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        int width;
        try
        {
            // A pseudo-terminal without a size reports 0.
            width = !redirected && Console.WindowWidth > 0 ? Console.WindowWidth : RedirectedWidth;
        }
        catch (IOException)
        {
            width = RedirectedWidth;
        }

        return new CliOutput(format == GlobalOptions.Json, Console.Out, Console.Error, ansi, color, width);
    }

    public void Json<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>A line of plain text on stdout.</summary>
    public void Line(string text) => Out.WriteLine(text);

    /// <summary>A line for people on stderr; nothing in json mode, where stdout alone is the answer.</summary>
    public void Note(string text)
    {
        if (!IsJson)
        {
            Error.WriteLine(text);
        }
    }

    /// <summary>Lays a table or grid out with Spectre.Console and prints it without trailing blanks.</summary>
    public void Write(IRenderable renderable)
    {
        using var buffer = new StringWriter(CultureInfo.InvariantCulture);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = _ansi ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = _color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(buffer),
        });
        console.Profile.Width = _width;
        console.Write(renderable);
        foreach (var line in buffer.ToString().Split('\n'))
        {
            var trimmed = line.TrimEnd();
            if (trimmed.Length > 0)
            {
                Out.WriteLine(trimmed);
            }
        }
    }

    /// <summary>A borderless table with a bold header row, like `kubectl get`: easy to read and to cut into columns.</summary>
    public static Table NewTable(params string[] columns)
    {
        var table = new Table { Border = TableBorder.None };
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column.ToUpperInvariant(), new Style(decoration: Decoration.Bold)))
            {
                NoWrap = true,
                Padding = new Padding(0, 0, 3, 0),
            });
        }

        return table;
    }

    /// <summary>Adds a row of plain text (server values are never read as markup).</summary>
    public static void AddRow(Table table, params string?[] cells) =>
        table.AddRow([.. cells.Select(c => (IRenderable)new Text(c ?? "-"))]);

    /// <summary>Times print in UTC, to the second: the same on every machine, and sortable.</summary>
    public static string Time(DateTimeOffset? value, string none = "-") =>
        value is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : none;

    public static string Plural(long count, string noun, string? plural = null) =>
        count == 1 ? $"1 {noun}" : $"{count.ToString(CultureInfo.InvariantCulture)} {plural ?? noun + "s"}";
}
