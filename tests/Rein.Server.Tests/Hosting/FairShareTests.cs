namespace Rein.Server.Tests.Hosting;

/// <summary>The one mechanism that splits a bounded resource between projects and their keys.</summary>
public sealed class FairShareTests
{
    private static FairShare Share(int total = 10, int perProject = 5, int perKey = 2) =>
        new(new ShareLimits("things", total, "X:Total", perProject, "X:PerProject", perKey, "X:PerKey"));

    [Fact]
    public void PerKey_ANoisyKey_IsRefusedItsNextUnitWhileAnotherKeyOfTheProjectIsServed()
    {
        var share = Share();
        Assert.Null(share.TryAcquire("p", "noisy"));
        Assert.Null(share.TryAcquire("p", "noisy"));

        var refused = share.TryAcquire("p", "noisy");

        Assert.Equal(ShareBound.Key, refused?.Bound);
        Assert.True(refused!.OverShare);
        Assert.Contains("this key already holds 2 things", refused.Message, StringComparison.Ordinal);
        Assert.Contains("X:PerKey", refused.Message, StringComparison.Ordinal);
        Assert.Null(share.TryAcquire("p", "quiet"));
        Assert.Equal(2, share.InUseBy("p", "noisy"));
    }

    [Fact]
    public void PerProject_ANoisyProject_IsRefusedWhileAnotherProjectIsServed()
    {
        var share = Share();
        foreach (var key in new[] { "a", "a", "b", "b", "c" })
        {
            Assert.Null(share.TryAcquire("noisy", key));
        }

        var refused = share.TryAcquire("noisy", "d");

        Assert.Equal(ShareBound.Project, refused?.Bound);
        Assert.Contains("project noisy already holds 5 things", refused!.Message, StringComparison.Ordinal);
        Assert.Contains("X:PerProject", refused.Message, StringComparison.Ordinal);
        Assert.Null(share.TryAcquire("quiet", "q"));
        Assert.Equal(5, share.InUseBy("noisy"));
    }

    [Fact]
    public void Total_Full_RefusesEveryoneAsNotOverTheirShare()
    {
        var share = Share(total: 3, perProject: 3, perKey: 3);
        Assert.Null(share.TryAcquire("p", "k", 3));

        var refused = share.TryAcquire("q", "k");

        Assert.Equal(ShareBound.Total, refused?.Bound);
        Assert.False(refused!.OverShare);
        Assert.Contains("X:Total", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Release_GivesUnitsBack_AndForgetsHoldersThatHoldNothing()
    {
        var share = Share();
        Assert.Null(share.TryAcquire("p", "k", 2));
        Assert.NotNull(share.TryAcquire("p", "k"));

        share.Release("p", "k", 2);

        Assert.Equal(0, share.InUse);
        Assert.Equal(0, share.InUseBy("p"));
        Assert.Null(share.TryAcquire("p", "k"));
    }

    [Fact]
    public void TryAcquire_ARequestLargerThanABound_IsGrantedWhenItsHolderHoldsNothing()
    {
        var share = Share();

        Assert.Null(share.TryAcquire("p", "k", 7));
        Assert.Equal(ShareBound.Key, share.TryAcquire("p", "k")?.Bound);
    }
}
