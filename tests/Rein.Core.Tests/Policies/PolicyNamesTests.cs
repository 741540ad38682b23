using Rein.Core.Policies;

namespace Rein.Core.Tests.Policies;

public sealed class PolicyNamesTests
{
    [Theory]
    [InlineData(Effect.Allow, "allow")]
    [InlineData(Effect.Confirm, "confirm")]
    [InlineData(Effect.RequireApproval, "require_approval")]
    [InlineData(Effect.Deny, "deny")]
    public void Effect_NameRoundTrips(Effect effect, string name)
    {
        Assert.Equal(name, effect.ToName());
        Assert.True(PolicyNames.TryParseEffect(name, out var parsed));
        Assert.Equal(effect, parsed);
    }

    [Theory]
    [InlineData(PolicyMode.Enforce, "enforce")]
    [InlineData(PolicyMode.Warn, "warn")]
    [InlineData(PolicyMode.Audit, "audit")]
    public void Mode_NameRoundTrips(PolicyMode mode, string name)
    {
        Assert.Equal(name, mode.ToName());
        Assert.True(PolicyNames.TryParseMode(name, out var parsed));
        Assert.Equal(mode, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Deny")]
    [InlineData("requireApproval")]
    [InlineData("block")]
    public void TryParseEffect_UnknownName_IsFalse(string? name)
    {
        Assert.False(PolicyNames.TryParseEffect(name, out _));
        Assert.False(PolicyNames.TryParseMode(name, out _));
    }

    [Fact]
    public void Effects_AreOrderedByRestriction()
    {
        Assert.True(Effect.Allow < Effect.Confirm && Effect.Confirm < Effect.RequireApproval && Effect.RequireApproval < Effect.Deny);
    }

    [Fact]
    public void ToName_UndefinedValue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((Effect)9).ToName());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((PolicyMode)9).ToName());
    }
}
