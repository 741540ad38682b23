using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlScalar = YamlDotNet.Core.Events.Scalar;

namespace Rein.Core.Policies;

/// <summary>
/// A policy file as a small tree of mappings, sequences and scalars with their positions, read with YamlDotNet's
/// event parser (no reflection, so Rein.Core stays AOT-compatible). Anchors, aliases and tags other than <c>!!str</c>
/// are refused: a policy is read by people, and aliases could make a small file expand into a large tree.
/// </summary>
internal static class PolicyYaml
{
    /// <summary>Mappings and sequences nested deeper than this are refused (a policy needs about eight).</summary>
    public const int MaxDepth = 32;

    internal abstract class Node(int line, int column)
    {
        public int Line { get; } = line;

        public int Column { get; } = column;

        public abstract string Kind { get; }
    }

    internal sealed class Scalar(int line, int column, string text, ScalarStyle style, bool forcedString) : Node(line, column)
    {
        public string Text { get; } = text;

        public ScalarStyle Style { get; } = style;

        /// <summary>Plain scalars are resolved (null, bool, numbers); quoted and block scalars, and <c>!!str</c>, are text.</summary>
        public bool IsPlain => Style == ScalarStyle.Plain && !forcedString;

        public bool IsNull => IsPlain && Text is "" or "~" or "null" or "Null" or "NULL";

        public override string Kind => IsNull ? "null" : PolicyReader.Quote(Text);
    }

    internal sealed class Sequence(int line, int column) : Node(line, column)
    {
        public List<Node> Items { get; } = [];

        public override string Kind => "a list";
    }

    internal sealed class Mapping(int line, int column) : Node(line, column)
    {
        public List<(Scalar Key, Node Value)> Entries { get; } = [];

        public override string Kind => "a mapping";
    }

    /// <summary>Reads one document; returns null (with problems added) when the text is not usable YAML.</summary>
    public static Node? Read(string source, string file, List<PolicyProblem> problems)
    {
        var parser = new Parser(new StringReader(source));
        var stack = new Stack<Node>();
        var pendingKeys = new Stack<Scalar?>();
        Node? root = null;
        var documents = 0;
        var line = 1;
        var column = 1;
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                line = (int)current.Start.Line;
                column = (int)current.Start.Column;
                switch (current)
                {
                    case DocumentStart:
                        if (++documents > 1)
                        {
                            problems.Add(new(file, line, column, "a policy file holds one YAML document"));
                            return null;
                        }

                        break;
                    case AnchorAlias:
                        problems.Add(new(file, line, column, "YAML aliases are not supported in policies"));
                        return null;
                    case NodeEvent node when !node.Anchor.IsEmpty:
                        problems.Add(new(file, line, column, "YAML anchors are not supported in policies"));
                        return null;
                    case NodeEvent node when !node.Tag.IsEmpty && !IsStringTag(node):
                        problems.Add(new(file, line, column, $"YAML tag '{node.Tag.Value}' is not supported in policies"));
                        return null;
                    case YamlScalar scalar:
                        var value = new Scalar(line, column, scalar.Value, scalar.Style, !scalar.Tag.IsEmpty);
                        if (!Add(value))
                        {
                            return null;
                        }

                        break;
                    case MappingStart:
                    case SequenceStart:
                        Node container = current is MappingStart ? new Mapping(line, column) : new Sequence(line, column);
                        if (stack.Count >= MaxDepth)
                        {
                            problems.Add(new(file, line, column, $"nested deeper than {MaxDepth} levels"));
                            return null;
                        }

                        if (!Add(container))
                        {
                            return null;
                        }

                        stack.Push(container);
                        pendingKeys.Push(null);
                        break;
                    case MappingEnd:
                    case SequenceEnd:
                        stack.Pop();
                        pendingKeys.Pop();
                        break;
                }
            }
        }
        catch (YamlException e)
        {
            problems.Add(new(file, (int)e.Start.Line, (int)e.Start.Column, Describe(e)));
            return null;
        }
#pragma warning disable CA1031 // YamlDotNet throws other exceptions on some malformed input; every one is a problem of the file.
        catch (Exception)
#pragma warning restore CA1031
        {
            problems.Add(new(file, line, column, "YAML syntax error"));
            return null;
        }

        if (root is null)
        {
            problems.Add(new(file, 1, 1, "the policy file is empty"));
        }

        return root;

        bool Add(Node node)
        {
            if (stack.Count == 0)
            {
                root = node;
                return true;
            }

            switch (stack.Peek())
            {
                case Sequence sequence:
                    sequence.Items.Add(node);
                    return true;
                case Mapping mapping:
                    var key = pendingKeys.Pop();
                    if (key is null)
                    {
                        if (node is not Scalar keyScalar)
                        {
                            problems.Add(new(file, node.Line, node.Column, "a key must be a plain name, not " + node.Kind));
                            return false;
                        }

                        pendingKeys.Push(keyScalar);
                        return true;
                    }

                    mapping.Entries.Add((key, node));
                    pendingKeys.Push(null);
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>
    /// Where an expression's text starts in the file: after the quote of a quoted scalar, on the first content line
    /// of a block scalar (<c>|</c> or <c>&gt;</c>).
    /// </summary>
    public static (int Line, int Column) ContentStart(Scalar scalar, string source)
    {
        switch (scalar.Style)
        {
            case ScalarStyle.SingleQuoted:
            case ScalarStyle.DoubleQuoted:
                return (scalar.Line, scalar.Column + 1);
            case ScalarStyle.Literal:
            case ScalarStyle.Folded:
                var lineStart = LineStart(source, scalar.Line + 1);
                for (var line = scalar.Line + 1; lineStart >= 0 && lineStart < source.Length; line++)
                {
                    var end = source.IndexOf('\n', lineStart);
                    end = end < 0 ? source.Length : end;
                    var text = source.AsSpan(lineStart, end - lineStart);
                    var indent = text.IndexOfAnyExcept(' ');
                    if (indent >= 0)
                    {
                        return (line, indent + 1);
                    }

                    lineStart = end + 1;
                }

                return (scalar.Line, scalar.Column);
            default:
                return (scalar.Line, scalar.Column);
        }
    }

    private static int LineStart(string source, int line)
    {
        var index = 0;
        for (var current = 1; current < line; current++)
        {
            index = source.IndexOf('\n', index);
            if (index < 0)
            {
                return -1;
            }

            index++;
        }

        return index;
    }

    private static bool IsStringTag(NodeEvent node) =>
        node is YamlScalar && node.Tag.Value is "!" or "tag:yaml.org,2002:str";

    // YamlDotNet's message starts with the marks ("(Line: 1, Col: 5, Idx: 4) - (...): "); the problem has its own.
    private static string Describe(YamlException e)
    {
        var message = e.Message;
        var colon = message.IndexOf("): ", StringComparison.Ordinal);
        message = message.StartsWith('(') && colon > 0 ? message[(colon + 3)..] : message;
        return "YAML: " + message.TrimEnd('.');
    }
}
