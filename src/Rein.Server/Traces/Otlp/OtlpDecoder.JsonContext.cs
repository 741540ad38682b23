using System.Buffers;
using System.Text;
using System.Text.Json;
using Rein.Core.Traces;

namespace Rein.Server.Traces.Otlp;

internal static partial class OtlpDecoder
{
    /// <summary>State of one JSON decode: the output, the path for error messages and reusable scratch space.</summary>
    private sealed class JsonContext
    {
        // Keys (and short values such as model names) repeat in every span of a request; one string each is enough.
        // Bounded so that a request of unique keys costs no more than one without the cache.
        private const int MaxInterned = 4096;
        private const int MaxInternedValueBytes = 48;
        private const int MaxInternedKeyBytes = 256;

        private readonly Dictionary<string, string> _interned = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
        private readonly List<List<SpanAttribute>> _attributeScratch = [];
        private readonly List<List<object?>> _valueScratch = [];

        public JsonContext() => _lookup = _interned.GetAlternateLookup<ReadOnlySpan<char>>();

        public List<RawSpan> Spans { get; } = [];

        public SpanRejections Rejections { get; } = new();

        public JsonPath Path { get; } = new();

        public List<SpanEvent> Events { get; } = [];

        public List<SpanAttribute> AttributeScratch(int depth) => Scratch(_attributeScratch, depth);

        public List<object?> ValueScratch(int depth) => Scratch(_valueScratch, depth);

        public string Intern(ref Utf8JsonReader reader) => Intern(ref reader, MaxInternedKeyBytes);

        public string InternShort(ref Utf8JsonReader reader) => Intern(ref reader, MaxInternedValueBytes);

        public OtlpFormatException Fail(ref Utf8JsonReader reader, string? field, string problem)
        {
            var path = Path.ToString();
            if (field is not null)
            {
                path = path == "$" ? field : $"{path}.{field}";
            }

            return new OtlpFormatException($"{path}: {problem} (byte {reader.TokenStartIndex})");
        }

        private string Intern(ref Utf8JsonReader reader, int maxBytes)
        {
            var utf8 = reader.ValueSpan;
            if (reader.ValueIsEscaped || utf8.Length > maxBytes)
            {
                return reader.GetString()!;
            }

            Span<char> chars = stackalloc char[MaxInternedKeyBytes];
            if (System.Text.Unicode.Utf8.ToUtf16(utf8, chars, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
            {
                // Let the reader say what is wrong with it.
                return reader.GetString()!;
            }

            if (_lookup.TryGetValue(chars[..written], out var interned))
            {
                return interned;
            }

            var value = new string(chars[..written]);
            if (_interned.Count < MaxInterned)
            {
                _interned.Add(value, value);
            }

            return value;
        }

        private static List<T> Scratch<T>(List<List<T>> lists, int depth)
        {
            while (lists.Count <= depth)
            {
                lists.Add([]);
            }

            return lists[depth];
        }
    }

    /// <summary>The JSON path of the value being read, kept as frames and only turned into text for an error.</summary>
    private sealed class JsonPath
    {
        private readonly List<(string Name, int Index)> _frames = [];

        public void Push(string name) => _frames.Add((name, -1));

        public void Index(int index) => _frames[^1] = (_frames[^1].Name, index);

        public void Pop() => _frames.RemoveAt(_frames.Count - 1);

        public override string ToString()
        {
            if (_frames.Count == 0)
            {
                return "$";
            }

            var text = new StringBuilder();
            foreach (var (name, index) in _frames)
            {
                if (text.Length > 0)
                {
                    text.Append('.');
                }

                text.Append(name);
                if (index >= 0)
                {
                    text.Append('[').Append(index).Append(']');
                }
            }

            return text.ToString();
        }
    }
}
