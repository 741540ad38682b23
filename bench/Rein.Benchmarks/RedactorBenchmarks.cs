using System.Text;
using BenchmarkDotNet.Attributes;
using Rein.Benchmarks.Baseline;
using Rein.Core.Traces;

namespace Rein.Benchmarks;

/// <summary>
/// The redactor on the ingest hot path, today's beside the one before issue 13 (normalising detection, field names,
/// cards among other digits, base64), in the same run: every string attribute of a typical GenAI chat span (30
/// attributes, about 3 KB of message JSON), clean and with two secrets, and 4 KB of clean prose in English and in
/// Japanese (the non-ASCII text that takes the folding pass).
/// </summary>
[MemoryDiagnoser]
public class RedactorBenchmarks
{
    private readonly Redactor _current = Redactor.Default;
    private readonly RedactorBeforeIssue13 _before = RedactorBeforeIssue13.Default;
    private (string Key, string Value)[] _clean = [];
    private (string Key, string Value)[] _withSecrets = [];
    private string _prose = "";
    private string _japanese = "";

    [GlobalSetup]
    public void Setup()
    {
        const string Sentence = "The customer asked on 2025-06-01 why order 55213 shipped late to Lisbon; see https://status.example.com/incidents for the carrier's note. ";
        _prose = Repeat(Sentence, 4096);
        // Full-width digits and punctuation, as Japanese text is typed: the folding pass runs on it.
        _japanese = Repeat("お客様は２０２５年６月１日に注文５５２１３の配送が遅れた理由を尋ねました。詳細は https://status.example.com をご覧ください。", 4096);
        _clean = Strings(SpanNormalizerBenchmarks.ChatAttributes(_prose[..1400], _prose[..1400]));
        var secret = "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_AbCdEfGh";
        _withSecrets = Strings(SpanNormalizerBenchmarks.ChatAttributes(_prose[..1400] + " my key is " + secret, "Authorization: Bearer abc123def456ghi789jkl " + _prose[..1400]));
    }

    [Benchmark(Baseline = true)]
    public int BeforeChatSpanAttributes() => Before(_clean);

    [Benchmark]
    public int NowChatSpanAttributes() => Now(_clean);

    [Benchmark]
    public int BeforeChatSpanAttributesWithSecrets() => Before(_withSecrets);

    [Benchmark]
    public int NowChatSpanAttributesWithSecrets() => Now(_withSecrets);

    [Benchmark]
    public string BeforeClean4KbProse()
    {
        var count = 0;
        return _before.Redact(_prose, ref count);
    }

    [Benchmark]
    public string NowClean4KbProse()
    {
        var count = 0;
        return _current.Redact(_prose, ref count);
    }

    [Benchmark]
    public string BeforeClean4KbJapanese()
    {
        var count = 0;
        return _before.Redact(_japanese, ref count);
    }

    [Benchmark]
    public string NowClean4KbJapanese()
    {
        var count = 0;
        return _current.Redact(_japanese, ref count);
    }

    private int Before((string Key, string Value)[] attributes)
    {
        var count = 0;
        foreach (var (_, value) in attributes)
        {
            _before.Redact(value, ref count);
        }

        return count;
    }

    // As the span normaliser calls it: each value with its attribute's key.
    private int Now((string Key, string Value)[] attributes)
    {
        var count = 0;
        foreach (var (key, value) in attributes)
        {
            _current.RedactValue(key, value, ref count);
        }

        return count;
    }

    private static (string, string)[] Strings(IEnumerable<SpanAttribute> attributes) =>
        [.. attributes.Where(a => a.Value is string).Select(a => (a.Key, (string)a.Value!))];

    private static string Repeat(string sentence, int length)
    {
        var text = new StringBuilder();
        while (text.Length < length)
        {
            text.Append(sentence);
        }

        return text.ToString(0, length);
    }
}
