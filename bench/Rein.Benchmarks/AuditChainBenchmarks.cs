using BenchmarkDotNet.Attributes;
using Rein.Core.Audit;

namespace Rein.Benchmarks;

/// <summary>Hashing one entry (paid on every audited change) and verifying a chain (paid by `rein audit verify`).</summary>
[MemoryDiagnoser]
public class AuditChainBenchmarks
{
    private readonly AuditEvent _event = new("abcdefghijkl", "key.create", "key", "mnopqrstuvwx", null, new string('a', 64), "{\"name\":\"ci\",\"role\":\"agent\",\"expiresAt\":null}");
    private List<AuditEntry> _chain = [];

    // 10 000 entries: a busy project's month of changes; verification is linear, so this scales.
    [Params(10_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);
        var prev = AuditChain.GenesisHash;
        _chain = new List<AuditEntry>(Entries);
        for (var seq = 1; seq <= Entries; seq++)
        {
            var hash = AuditChain.ComputeHash("default", seq, at, _event, prev);
            _chain.Add(new AuditEntry("default", seq, at, _event.Actor, _event.Action, _event.ObjectType, _event.ObjectId, _event.BeforeDigest, _event.AfterDigest, _event.Details, prev, hash));
            prev = hash;
        }
    }

    [Benchmark]
    public string HashOneEntry() => AuditChain.ComputeHash("default", 42, DateTimeOffset.UnixEpoch, _event, AuditChain.GenesisHash);

    [Benchmark]
    public bool VerifyChain()
    {
        var verifier = new AuditChainVerifier();
        foreach (var entry in _chain)
        {
            verifier.Add(entry);
        }

        return verifier.Complete(new AuditHead(_chain[^1].Seq, _chain[^1].Hash)) is null;
    }
}
