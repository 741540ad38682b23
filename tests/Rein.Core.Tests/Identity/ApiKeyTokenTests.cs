using Rein.Core.Identity;

namespace Rein.Core.Tests.Identity;

public sealed class ApiKeyTokenTests
{
    [Fact]
    public void Create_ProducesPrefixedKeyThatParsesBack()
    {
        var token = ApiKeyToken.Create();

        Assert.StartsWith("rein_", token.Value, StringComparison.Ordinal);
        Assert.Equal(ApiKeyToken.Length, token.Value.Length);
        Assert.True(ApiKeyToken.TryParse(token.Value, out var parsed));
        Assert.Equal(token.Id, parsed.Id);
        Assert.Equal(token.Secret, parsed.Secret);
    }

    [Fact]
    public void Create_TwoKeys_Differ()
    {
        var a = ApiKeyToken.Create();
        var b = ApiKeyToken.Create();

        Assert.NotEqual(a.Id, b.Id);
        Assert.NotEqual(a.Secret, b.Secret);
    }

    [Fact]
    public void Matches_OwnHash_IsTrue_AndAnotherKeysHash_IsFalse()
    {
        var token = ApiKeyToken.Create();
        var other = ApiKeyToken.Create();

        Assert.True(token.Matches(token.Hash()));
        Assert.False(token.Matches(other.Hash()));
        Assert.False(token.Matches(new byte[32]));
    }

    [Fact]
    public void Matches_KeyWithOneSecretCharacterChanged_IsFalse()
    {
        var token = ApiKeyToken.Create();
        var value = token.Value;
        var last = value[^1] == 'a' ? 'b' : 'a';
        Assert.True(ApiKeyToken.TryParse(value[..^1] + last, out var tampered));

        Assert.False(tampered.Matches(token.Hash()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("rein_")]
    [InlineData("sk-abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq")]
    [InlineData("rein_ABCDEFGHIJKL_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("rein_abcdefghijkl-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("rein_abcdefghijkl_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")]
    [InlineData("rein_abcdefghijkl_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void TryParse_Malformed_IsFalse(string? value)
    {
        Assert.False(ApiKeyToken.TryParse(value, out _));
    }

    [Fact]
    public void ToString_DoesNotRevealTheSecret()
    {
        var token = ApiKeyToken.Create();

        Assert.DoesNotContain(token.Secret, token.ToString(), StringComparison.Ordinal);
        Assert.Contains(token.Id, token.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_IsSha256OfTheSecretOnly()
    {
        var token = ApiKeyToken.Create();

        Assert.Equal(
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token.Secret)),
            token.Hash());
    }
}
