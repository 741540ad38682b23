using System.Text.Json;
using Rein.Server.Approvals;

namespace Rein.Server.Tests.Approvals;

public sealed class ArgumentChangesTests
{
    private static IReadOnlyList<string> Changes(string proposed, string approved) =>
        ArgumentChanges.Between(JsonDocument.Parse(proposed).RootElement, JsonDocument.Parse(approved).RootElement);

    [Fact]
    public void Between_SameArgumentsInAnotherOrder_NoChanges()
    {
        Assert.Empty(Changes("""{"a":1,"b":{"c":[1,2]}}""", """{"b":{"c":[1,2]},"a":1.0}"""));
    }

    [Fact]
    public void Between_ChangedAddedRemovedAndNested_ListsEveryPathInOrder()
    {
        Assert.Equal(
            ["$.amount", "$.items[1].qty", "$.items[2]", "$.memo", "$.note", "$['odd key']"],
            Changes(
                """{"amount":500,"items":[{"qty":1},{"qty":2}],"note":"x","odd key":1}""",
                """{"amount":80,"items":[{"qty":1},{"qty":1},{"qty":9}],"memo":"y","odd key":"1"}"""));
    }

    [Fact]
    public void Between_ValueOfAnotherKind_IsTheWholePath()
    {
        Assert.Equal(["$.to"], Changes("""{"to":["a","b"]}""", """{"to":"a"}"""));
    }

    [Fact]
    public void MaxPaths_AHugeDiff_ListsAtMostTheBound()
    {
        var before = "{" + string.Join(",", Enumerable.Range(0, ArgumentChanges.MaxPaths + 50).Select(i => $"\"k{i}\":1")) + "}";
        var after = "{" + string.Join(",", Enumerable.Range(0, ArgumentChanges.MaxPaths + 50).Select(i => $"\"k{i}\":2")) + "}";
        Assert.Equal(ArgumentChanges.MaxPaths, Changes(before, after).Count);
    }

    [Fact]
    public void Ids_AndTokens_HaveTheirShapes()
    {
        var id = ApprovalIds.New(DateTimeOffset.UtcNow);
        Assert.True(ApprovalIds.IsValid(id));
        Assert.Matches("^apr_[0-9a-z]{26}$", id);
        Assert.False(ApprovalIds.IsValid("apr_" + new string('!', 26)));
        Assert.True(string.CompareOrdinal(ApprovalIds.New(DateTimeOffset.UnixEpoch.AddYears(50)), ApprovalIds.New(DateTimeOffset.UnixEpoch.AddYears(51))) < 0);

        var token = ApprovalTokens.New();
        Assert.True(ApprovalTokens.IsWellFormed(token));
        Assert.Matches("^rat_[A-Za-z0-9_-]{43}$", token);
        Assert.NotEqual(token, ApprovalTokens.New());
        Assert.Equal(64, ApprovalTokens.Hash(token).Length);
        Assert.False(ApprovalTokens.IsWellFormed(token[..^1] + "="));
    }
}
