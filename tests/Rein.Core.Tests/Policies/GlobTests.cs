using Rein.Core.Policies;

namespace Rein.Core.Tests.Policies;

public sealed class GlobTests
{
    [Theory]
    [InlineData("crm.get_customer", "crm.get_customer", true)]
    [InlineData("crm.get_customer", "crm.get_customers", false)]
    [InlineData("crm.get_*", "crm.get_customer", true)]
    [InlineData("crm.get_*", "crm.get_", true)]
    [InlineData("crm.get_*", "crm.get", false)]
    [InlineData("*.delete", "db.delete", true)]
    [InlineData("*.delete", "db.delete_all", false)]
    [InlineData("*export*", "crm.export_all", true)]
    [InlineData("*", "", true)]
    [InlineData("**", "anything", true)]
    [InlineData("db.?", "db.a", true)]
    [InlineData("db.?", "db.ab", false)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxbyy", false)]
    [InlineData("a*b?", "abbb", true)]
    [InlineData("CRM.*", "crm.get", false)]
    public void Matches_IsWholeStringAndCaseSensitive(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, Glob.Compile(pattern).Matches(text));
        Assert.Equal(expected, Glob.IsMatch(pattern, text));
    }

    [Fact]
    public void IsMatch_RandomPatterns_AgreeWithARegularExpression()
    {
        var random = new Random(11);
        const string alphabet = "ab.*?";
        for (var i = 0; i < 5000; i++)
        {
            var pattern = new string([.. Enumerable.Range(0, random.Next(0, 7)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            var text = new string([.. Enumerable.Range(0, random.Next(0, 8)).Select(_ => "ab."[random.Next(3)])]);
            var regex = "^" + string.Concat(pattern.Select(c => c switch { '*' => ".*", '?' => ".", _ => System.Text.RegularExpressions.Regex.Escape(c.ToString()) })) + "$";
            var expected = System.Text.RegularExpressions.Regex.IsMatch(text, regex, System.Text.RegularExpressions.RegexOptions.Singleline);

            Assert.True(expected == Glob.Compile(pattern).Matches(text), $"{pattern} ~ {text}");
            Assert.True(expected == Glob.IsMatch(pattern, text), $"{pattern} ~ {text}");
        }
    }
}
