using BenchmarkDotNet.Attributes;
using Rein.Core.Identity;

namespace Rein.Benchmarks;

/// <summary>The CPU part of authenticating a request: parse the presented key, hash its secret, compare in constant time.</summary>
[MemoryDiagnoser]
public class ApiKeyBenchmarks
{
    private readonly ApiKeyToken _token = ApiKeyToken.Create();
    private byte[] _hash = [];
    private string _value = "";

    [GlobalSetup]
    public void Setup()
    {
        _hash = _token.Hash();
        _value = _token.Value;
    }

    [Benchmark]
    public bool ParseAndMatch() => ApiKeyToken.TryParse(_value, out var token) && token.Matches(_hash);
}
