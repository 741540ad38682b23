using Rein.Core.Traces;
using Rein.Server.Dashboard.Pages.Traces;

namespace Rein.Server.Tests.Dashboard;

public sealed class SpanValuesTests
{
    [Fact]
    public void Show_Scalars_OneLineInvariantText()
    {
        Assert.Equal(("42", false), SpanValues.Show(42L));
        Assert.Equal(("0.5", false), SpanValues.Show(0.5));
        Assert.Equal(("true", false), SpanValues.Show(true));
        Assert.Equal(("null", false), SpanValues.Show(null));
        Assert.Equal(("base64:AQI=", false), SpanValues.Show(new byte[] { 1, 2 }));
        Assert.Equal(("plain words", false), SpanValues.Show("plain words"));
    }

    [Fact]
    public void Show_NestedKeyValueListAndArray_IndentedJsonBlock()
    {
        IReadOnlyList<SpanAttribute> value = [new("role", "user"), new("parts", (IReadOnlyList<object?>)[1L, "two", null])];

        var (text, block) = SpanValues.Show(value);

        Assert.True(block);
        Assert.Equal("{\n  \"role\": \"user\",\n  \"parts\": [\n    1,\n    \"two\",\n    null\n  ]\n}", text.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Show_StringHoldingJson_Indented()
    {
        var (text, block) = SpanValues.Show("{\"city\":\"Paris\",\"days\":[1,2]}");

        Assert.True(block);
        Assert.Contains("\n  \"city\": \"Paris\",", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Show_StringThatOnlyLooksLikeJson_LeftAlone()
    {
        Assert.Equal(("{not json}", false), SpanValues.Show("{not json}"));
        Assert.Equal(("[REDACTED:api_key]", false), SpanValues.Show("[REDACTED:api_key]"));
    }
}
