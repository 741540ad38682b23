using Rein.Core.Audit;

namespace Rein.Core.Tests.Audit;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);

    internal static List<AuditEntry> Chain(int length, string project = "p")
    {
        var entries = new List<AuditEntry>();
        var prev = AuditChain.GenesisHash;
        for (var seq = 1; seq <= length; seq++)
        {
            var e = new AuditEvent("actor", "key.create", "key", $"k{seq}", null, "after", $"{{\"n\":{seq}}}");
            var hash = AuditChain.ComputeHash(project, seq, At.AddSeconds(seq), e, prev);
            entries.Add(new AuditEntry(project, seq, At.AddSeconds(seq), e.Actor, e.Action, e.ObjectType, e.ObjectId, e.BeforeDigest, e.AfterDigest, e.Details, prev, hash));
            prev = hash;
        }

        return entries;
    }

    private static AuditProblem? Verify(IEnumerable<AuditEntry> entries, AuditHead? head)
    {
        var verifier = new AuditChainVerifier("p");
        foreach (var entry in entries)
        {
            verifier.Add(entry);
        }

        return verifier.Complete(head);
    }

    private static AuditHead HeadOf(List<AuditEntry> chain) => new(chain[^1].Seq, chain[^1].Hash);

    [Fact]
    public void ComputeHash_IsStableHex()
    {
        var e = new AuditEvent("a", "b", "c", "d", null, null);

        var hash = AuditChain.ComputeHash("p", 1, At, e, AuditChain.GenesisHash);

        Assert.Equal(hash, AuditChain.ComputeHash("p", 1, At, e, AuditChain.GenesisHash));
        Assert.Matches("^[0-9a-f]{64}$", hash);
    }

    [Fact]
    public void ComputeHash_ChangesWithEveryField()
    {
        var e = new AuditEvent("actor", "action", "type", "id", "before", "after", "details");
        var baseline = AuditChain.ComputeHash("p", 1, At, e, AuditChain.GenesisHash);

        string[] variants =
        [
            AuditChain.ComputeHash("q", 1, At, e, AuditChain.GenesisHash),
            AuditChain.ComputeHash("p", 2, At, e, AuditChain.GenesisHash),
            AuditChain.ComputeHash("p", 1, At.AddMilliseconds(1), e, AuditChain.GenesisHash),
            AuditChain.ComputeHash("p", 1, At, e with { Actor = "x" }, AuditChain.GenesisHash),
            AuditChain.ComputeHash("p", 1, At, e with { Action = "x" }, AuditChain.GenesisHash),
            AuditChain.ComputeHash("p", 1, At, e with { ObjectType = "x" }, AuditChain.GenesisHash),
            AuditChain.ComputeHash("p", 1, At, e with { ObjectId = "x" }, AuditChain.GenesisHash),
            AuditChain.ComputeHash("p", 1, At, e with { BeforeDigest = "x" }, AuditChain.GenesisHash),
            AuditChain.ComputeHash("p", 1, At, e with { AfterDigest = "x" }, AuditChain.GenesisHash),
            AuditChain.ComputeHash("p", 1, At, e with { Details = "x" }, AuditChain.GenesisHash),
            AuditChain.ComputeHash("p", 1, At, e, new string('1', 64)),
        ];

        Assert.DoesNotContain(baseline, variants);
        Assert.Equal(variants.Length, variants.Distinct().Count());
    }

    [Fact]
    public void ComputeHash_TextMovedBetweenFields_ChangesTheHash()
    {
        var a = new AuditEvent("ab", "c", "t", "i", null, null);
        var b = new AuditEvent("a", "bc", "t", "i", null, null);

        Assert.NotEqual(AuditChain.ComputeHash("p", 1, At, a, AuditChain.GenesisHash), AuditChain.ComputeHash("p", 1, At, b, AuditChain.GenesisHash));
    }

    [Fact]
    public void ComputeHash_NullAndEmpty_Differ()
    {
        var withNull = new AuditEvent("a", "b", "c", "d", null, null);
        var withEmpty = new AuditEvent("a", "b", "c", "d", "", null);

        Assert.NotEqual(AuditChain.ComputeHash("p", 1, At, withNull, AuditChain.GenesisHash), AuditChain.ComputeHash("p", 1, At, withEmpty, AuditChain.GenesisHash));
    }

    [Fact]
    public void DigestOf_IgnoresFieldOrder_ButNotValues()
    {
        Assert.Equal(AuditChain.DigestOf(("a", "1"), ("b", "2")), AuditChain.DigestOf(("b", "2"), ("a", "1")));
        Assert.NotEqual(AuditChain.DigestOf(("a", "1"), ("b", "2")), AuditChain.DigestOf(("a", "2"), ("b", "1")));
        Assert.NotEqual(AuditChain.DigestOf(("a", null)), AuditChain.DigestOf(("a", "")));
    }

    [Fact]
    public void Verify_IntactChain_HasNoProblem()
    {
        var chain = Chain(5);

        var verifier = new AuditChainVerifier();
        Assert.All(chain, e => Assert.True(verifier.Add(e)));

        Assert.Null(verifier.Complete(HeadOf(chain)));
        Assert.Equal(5, verifier.Checked);
    }

    [Fact]
    public void Verify_EmptyChainWithEmptyHead_HasNoProblem()
    {
        Assert.Null(Verify([], new AuditHead(0, AuditChain.GenesisHash)));
    }

    [Fact]
    public void Verify_AlteredContent_NamesTheEntry()
    {
        var chain = Chain(5);
        chain[2] = chain[2] with { Details = "{\"n\":999}" };

        var problem = Verify(chain, HeadOf(chain));

        Assert.Equal(3, problem!.Seq);
        Assert.Equal("entry 3 was altered or moved: its content no longer matches its hash", problem.Problem);
    }

    [Fact]
    public void Verify_AlteredAndRehashed_NamesTheAlteredEntryFromTheNextLink()
    {
        var chain = Chain(5);
        var forged = chain[2] with { Actor = "mallory" };
        chain[2] = forged with { Hash = AuditChain.ComputeHash(forged) };

        var problem = Verify(chain, HeadOf(chain));

        Assert.Equal(3, problem!.Seq);
        Assert.Equal("entry 3 was altered and re-hashed, or entry 4 was replaced: entry 4 recorded a different hash for entry 3", problem.Problem);
    }

    [Fact]
    public void Verify_RehashedNewestEntry_IsCaughtByTheHead()
    {
        var chain = Chain(3);
        var head = HeadOf(chain);
        var forged = chain[2] with { Actor = "mallory" };
        chain[2] = forged with { Hash = AuditChain.ComputeHash(forged) };

        var problem = Verify(chain, head);

        Assert.Equal(3, problem!.Seq);
        Assert.Contains("head recorded a different hash", problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_RemovedMiddleEntry_NamesIt()
    {
        var chain = Chain(5);
        chain.RemoveAt(1);

        var problem = Verify(chain, new AuditHead(5, Chain(5)[^1].Hash));

        Assert.Equal(new AuditProblem(2, "entry 2 was removed"), problem);
    }

    [Fact]
    public void Verify_RemovedRun_NamesTheRange()
    {
        var chain = Chain(6);
        chain.RemoveRange(1, 3);

        Assert.Equal(new AuditProblem(2, "entries 2 to 4 were removed"), Verify(chain, null));
    }

    [Fact]
    public void Verify_RemovedNewestEntries_AreCaughtByTheHead()
    {
        var chain = Chain(5);
        var head = HeadOf(chain);

        Assert.Equal(new AuditProblem(5, "entry 5 was removed (the log's head records 5 entries)"), Verify(chain.Take(4), head));
        Assert.Equal(new AuditProblem(4, "entries 4 to 5 were removed (the log's head records 5 entries)"), Verify(chain.Take(3), head));
    }

    [Fact]
    public void Verify_FirstEntryRemoved_SaysTheChainDoesNotStart()
    {
        var chain = Chain(3);

        Assert.Equal(1, Verify(chain.Skip(1), HeadOf(chain))!.Seq);
    }

    [Fact]
    public void Verify_DuplicatedEntry_IsCaught()
    {
        var chain = Chain(3);
        chain.Insert(2, chain[1]);

        var problem = Verify(chain, HeadOf(chain));

        Assert.Equal(2, problem!.Seq);
        Assert.Contains("duplicated or reordered", problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EntriesSwappedWithTheirNumbers_AreCaught()
    {
        var chain = Chain(4);
        (chain[1], chain[2]) = (chain[2] with { Seq = 2 }, chain[1] with { Seq = 3 });

        Assert.Equal(2, Verify(chain, HeadOf(Chain(4)))!.Seq);
    }

    [Fact]
    public void Verify_EntryFromAnotherProject_IsCaught()
    {
        var mine = Chain(3, "p");
        var theirs = Chain(3, "q");
        mine[1] = theirs[1];

        var problem = Verify(mine, HeadOf(mine));

        Assert.Equal(new AuditProblem(2, "entry 2 belongs to project q, not p"), problem);
    }

    [Fact]
    public void Verify_EntriesAddedOutsideRein_AreCaughtByTheHead()
    {
        var chain = Chain(4);

        var problem = Verify(chain, new AuditHead(3, chain[2].Hash));

        Assert.Equal(4, problem!.Seq);
        Assert.Contains("added outside Rein", problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ForgedSelfConsistentEntry_BreaksTheLinkBeforeIt()
    {
        var chain = Chain(4);
        var forged = chain[2] with { Actor = "mallory", PrevHash = new string('f', 64) };
        chain[2] = forged with { Hash = AuditChain.ComputeHash(forged) };

        var problem = Verify(chain, HeadOf(Chain(4)));

        Assert.Equal(2, problem!.Seq);
        Assert.Contains("or entry 3 was replaced", problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_AfterAProblem_IgnoresTheRest()
    {
        var chain = Chain(5);
        chain[1] = chain[1] with { Details = "x" };
        var verifier = new AuditChainVerifier();

        Assert.True(verifier.Add(chain[0]));
        Assert.False(verifier.Add(chain[1]));
        Assert.False(verifier.Add(chain[2]));
        Assert.Equal(1, verifier.Checked);
        Assert.Equal(2, verifier.Problem!.Seq);
    }
}
