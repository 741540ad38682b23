using System.Text.Json;
using Rein.Core.Policies;
using Rein.Server.Dashboard.Pages.Policies;

namespace Rein.Server.Tests.Dashboard;

public sealed class PolicyViewTests
{
    private static DiffLine Same(int line) => new(DiffKind.Same, "same " + line, line, line);

    [Fact]
    public void Fold_UnchangedLinesBeyondContext_BecomeOneRowSayingHowMany()
    {
        // 10 unchanged, one removed and one added, 10 unchanged.
        List<DiffLine> lines =
        [
            .. Enumerable.Range(1, 10).Select(Same),
            new(DiffKind.Removed, "old", 11, null),
            new(DiffKind.Added, "new", null, 11),
            .. Enumerable.Range(12, 10).Select(Same),
        ];

        var rows = PolicyDiffModel.Fold(lines, PolicyDiffModel.Context);

        Assert.Equal(10 - PolicyDiffModel.Context, rows[0].Hidden);
        Assert.Null(rows[0].Line);
        Assert.Equal([8, 9, 10, 11, 11, 12, 13, 14], rows.Skip(1).Take(8).Select(r => r.Line!.OldLine ?? r.Line.NewLine!.Value));
        Assert.Equal(10 - PolicyDiffModel.Context, rows[^1].Hidden);
        Assert.Equal(10, rows.Count);
    }

    [Fact]
    public void Fold_ChangesCloserThanTwiceTheContext_ShareTheirContext()
    {
        List<DiffLine> lines =
        [
            new(DiffKind.Added, "a", null, 1),
            .. Enumerable.Range(2, 2 * PolicyDiffModel.Context).Select(Same),
            new(DiffKind.Added, "b", null, 8),
        ];

        var rows = PolicyDiffModel.Fold(lines, PolicyDiffModel.Context);

        Assert.All(rows, r => Assert.NotNull(r.Line));
        Assert.Equal(lines.Count, rows.Count);
    }

    [Fact]
    public void Fold_NoChanges_OneRowForTheWholeFile()
    {
        var rows = PolicyDiffModel.Fold([.. Enumerable.Range(1, 5).Select(Same)], PolicyDiffModel.Context);

        Assert.Equal(5, Assert.Single(rows).Hidden);
    }

    [Theory]
    [InlineData("allow", "effect-allow", "allow")]
    [InlineData("require_approval", "effect-require_approval", "require approval")]
    [InlineData("deny", "effect-deny", "deny")]
    [InlineData("<b>odd</b>", "effect-unknown", "&lt;b&gt;odd&lt;/b&gt;")]
    public void EffectBadge_ByEffect_NamesItInTextAndClass(string effect, string cssClass, string text)
    {
        var html = PolicyView.EffectBadge(effect).Value!;

        Assert.Contains($"class=\"badge effect {cssClass}\"", html, StringComparison.Ordinal);
        Assert.Contains($">{text}</span>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ShortHash_Sha256_TwelveHexDigitsWithoutPrefix() =>
        Assert.Equal("0123456789ab", PolicyView.ShortHash("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));

    [Fact]
    public void Json_Object_IndentedWithCharactersKept()
    {
        using var doc = JsonDocument.Parse("""{"args":{"to":"zoë <z@example.com>"}}""");

        Assert.Equal("{\n  \"args\": {\n    \"to\": \"zoë <z@example.com>\"\n  }\n}", PolicyView.Json(doc.RootElement).ReplaceLineEndings("\n"));
    }
}
