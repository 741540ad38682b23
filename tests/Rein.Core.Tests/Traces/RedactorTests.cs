using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Rein.Core.Traces;
using Rein.Testing;

namespace Rein.Core.Tests.Traces;

public sealed class RedactorTests
{
    // Secret-shaped test values are assembled at run time so that secret scanners do not flag this file.
    private static readonly string OpenAiKey = "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_AbCdEfGh";
    private static readonly string AnthropicKey = "sk-" + "ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0Ed-cBa_987654";
    private static readonly string GitHubToken = "gh" + "p_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
    private static readonly string GitHubPat = "github" + "_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz";
    private static readonly string SlackToken = "xo" + "xb-" + "1234567890-0987654321-AbCdEfGhIjKl";
    private static readonly string StripeKey = "sk" + "_live_" + "51HqLyjWDarjtT1zdp7dcXYZabc";
    private static readonly string GoogleKey = "AI" + "za" + "SyD-1234567890abcdefghijklmnopqrstu";
    private static readonly string AwsKeyId = "AK" + "IA" + "IOSFODNN7EXAMPLE";
    private static readonly string AwsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY";
    private static readonly string Jwt = "eyJ" + "hbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    private static readonly string ReinKey = "rein_" + "abcdefgh1234_" + "ABCDEFGHIJKLMNOPQRSTabcdefghijklmnopqrst";
    private static readonly string PrivateKey = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7v1n\nq2w3e4r5t6y7\n-----END RSA PRIVATE KEY-----";

    private static string Redact(string text, out int count, Redactor? redactor = null)
    {
        count = 0;
        return (redactor ?? Redactor.Default).Redact(text, ref count);
    }

    public static TheoryData<string, string, string> Secrets => new()
    {
        { $"key={OpenAiKey} end", "openai_key", "key=[REDACTED:openai_key] end" },
        { $"{AnthropicKey}", "anthropic_key", "[REDACTED:anthropic_key]" },
        { $"token {GitHubToken}.", "github_token", "token [REDACTED:github_token]." },
        { $"pat {GitHubPat}", "github_token", "pat [REDACTED:github_token]" },
        { $"slack {SlackToken}", "slack_token", "slack [REDACTED:slack_token]" },
        { $"stripe {StripeKey}", "stripe_key", "stripe [REDACTED:stripe_key]" },
        { $"google {GoogleKey}", "google_api_key", "google [REDACTED:google_api_key]" },
        { $"id {AwsKeyId}", "aws_access_key", "id [REDACTED:aws_access_key]" },
        { $"aws_secret_access_key = {AwsSecret}", "aws_secret_key", "aws_secret_access_key = [REDACTED:aws_secret_key]" },
        { $"{{\"AWS_SECRET_ACCESS_KEY\": \"{AwsSecret}\"}}", "aws_secret_key", "{\"AWS_SECRET_ACCESS_KEY\": \"[REDACTED:aws_secret_key]\"}" },
        { $"jwt {Jwt}", "jwt", "jwt [REDACTED:jwt]" },
        { $"use {ReinKey}", "rein_key", "use [REDACTED:rein_key]" },
        { $"before\n{PrivateKey}\nafter", "private_key", "before\n[REDACTED:private_key]\nafter" },
        { "Authorization: Bearer abc123def456ghi789", "bearer", "Authorization: Bearer [REDACTED:bearer]" },
        { "authorization: bearer 0123456789abcdefXYZ==", "bearer", "authorization: bearer [REDACTED:bearer]" },
        { "AUTHORIZATION: BEARER 0123456789ABCDEF", "bearer", "AUTHORIZATION: BEARER [REDACTED:bearer]" },
        { $"{{\"awsSecretAccessKey\":\"{AwsSecret}\"}}", "aws_secret_key", "{\"awsSecretAccessKey\":\"[REDACTED:aws_secret_key]\"}" },
        { "postgres://app:hunter2pass@db.internal:5432/rein", "url_password", "postgres://app:[REDACTED:url_password]@db.internal:5432/rein" },
        { "card 4111 1111 1111 1111 please", "card_number", "card [REDACTED:card_number] please" },
    };

    [Theory]
    [MemberData(nameof(Secrets))]
    public void Redact_Secret_IsReplacedByItsKind(string text, string kind, string expected)
    {
        var redacted = Redact(text, out var count);

        Assert.Equal(expected, redacted);
        Assert.Contains($"[REDACTED:{kind}]", redacted, StringComparison.Ordinal);
        Assert.Equal(1, count);
    }

    [Theory]
    [InlineData("The bearer of this letter is trusted.")]
    [InlineData("Bearer authentication is described in RFC 6750.")]
    [InlineData("We use sk-learn and scikit-learn for the risk-model baseline.")]
    [InlineData("ghp_short and gho_ are prefixes")]
    [InlineData("xoxb- is the Slack bot prefix")]
    [InlineData("sk_test_51HqLyjWDarjtT1zdp7dcXYZabc is a test key")]
    [InlineData("AIzaShort is not a key")]
    [InlineData("AKIA1234 is too short, akiaiosfodnnexample has no digit")]
    [InlineData("aws_secret_access_key = <your secret here>")]
    [InlineData("eyJhbGciOi is half a header")]
    [InlineData("see https://example.com/docs and mailto:user@example.com and https://user@host/path")]
    [InlineData("rein_abcdefgh1234_short")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----")]
    [InlineData("Order 4111 1111 1111 1112 failed")]
    [InlineData("timestamp 1700000000000 and id 12345678901234567890123")]
    [InlineData("The total was 0.4111111111111111 dollars")]
    [InlineData("build a4111111111111111 and 4111111111111111z")]
    [InlineData("Call 555-123-4567 or +1 555 987 6543")]
    [InlineData("zeros 0000000000000000 are not a card")]
    public void Redact_LookalikeText_IsLeftAlone(string text)
    {
        var redacted = Redact(text, out var count);

        Assert.Same(text, redacted);
        Assert.Equal(0, count);
    }

    public static TheoryData<string> PlantedNames => [.. PlantedSecrets.Cases.Select(c => c.Name)];

    public static TheoryData<string> LookAlikeNames => [.. PlantedSecrets.LookAlikes.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(PlantedNames))]
    public void Redact_PlantedSecret_LeavesNothingOfIt(string name)
    {
        var planted = PlantedSecrets.Cases.Single(c => c.Name == name);

        var redacted = Redact(planted.Text, out var count);

        foreach (var needle in planted.Needles)
        {
            Assert.DoesNotContain(needle, redacted, StringComparison.Ordinal);
        }

        Assert.Contains("[REDACTED:", redacted, StringComparison.Ordinal);
        Assert.InRange(count, 1, 2);
    }

    [Theory]
    [MemberData(nameof(LookAlikeNames))]
    public void Redact_PlantedLookAlike_IsLeftAlone(string name)
    {
        var text = PlantedSecrets.LookAlikes.Single(c => c.Name == name).Text;

        var redacted = Redact(text, out var count);

        Assert.Equal(text, redacted);
        Assert.Equal(0, count);
    }

    [Theory]
    [InlineData("password", "hunter2x", "[REDACTED:password]")]
    [InlineData("DB_PASSWORD", "hunter2x", "[REDACTED:password]")]
    [InlineData("client_secret", "abcdefgh12345678", "[REDACTED:secret]")]
    [InlineData("x-api-key", "abcdefgh12345678", "[REDACTED:api_key]")]
    [InlineData("accessToken", "abcdefgh12345678", "[REDACTED:token]")]
    [InlineData("http.request.header.authorization", "Basic dXNlcjpwYXNz", "[REDACTED:token]")]
    [InlineData("password", "${DB_PASSWORD}", "${DB_PASSWORD}")]
    [InlineData("password", "null", "null")]
    [InlineData("max_tokens", "1024 tokens please", "1024 tokens please")]
    [InlineData("token_type", "Bearer", "Bearer")]
    [InlineData("token", "the", "the")]
    [InlineData("note", "hunter2x", "hunter2x")]
    public void RedactValue_NameSaysSecret_ReplacesTheWholeValue(string name, string value, string expected)
    {
        var count = 0;

        var redacted = Redactor.Default.RedactValue(name, value, ref count);

        Assert.Equal(expected, redacted);
        Assert.Equal(expected == value ? 0 : 1, count);
    }

    [Fact]
    public void RedactValue_KnownTokenUnderAnyName_KeepsItsKind()
    {
        var count = 0;

        Assert.Equal("[REDACTED:github_token]", Redactor.Default.RedactValue("token", GitHubToken, ref count));
        Assert.Equal(1, count);
    }

    [Theory]
    [InlineData("card 4111111111111111 123", "card [REDACTED:card_number] 123")]
    [InlineData("4111111111111111 5555555555554444", "[REDACTED:card_number] [REDACTED:card_number]")]
    [InlineData("paid 2025-06-01 4111111111111111.", "paid 2025-06-01 [REDACTED:card_number].")]
    public void Redact_CardAmongOtherDigits_IsFound(string text, string expected)
    {
        Assert.Equal(expected, Redact(text, out _));
    }

    [Fact]
    public void Redact_SpacedCardThenCode_LeavesNoCardDigits()
    {
        var redacted = Redact("4111 1111 1111 1111 123", out var count);

        Assert.StartsWith("[REDACTED:card_number]", redacted, StringComparison.Ordinal);
        Assert.Equal(1, count);
    }

    [Fact]
    public void Redact_FoldedSecret_ReplacesTheOriginalCharacters()
    {
        var text = "id \uFF21\uFF2B\uFF29\uFF21" + "IOSFODNN7EXAMPLE end";

        Assert.Equal("id [REDACTED:aws_access_key] end", Redact(text, out _));
    }

    /// <summary>The bound: every detector reads a bounded window from each place it starts and every normalising step
    /// is one pass, so adversarial texts of a megabyte finish (no timing is asserted; a quadratic detector would hit
    /// the regex timeout and turn the text into [REDACTED:timeout]).</summary>
    [Theory]
    [InlineData("sk-")]
    [InlineData("xoxb-")]
    [InlineData("eyJhbGci")]
    [InlineData("eyJ-")]
    [InlineData("ghp_")]
    [InlineData("AKIA")]
    [InlineData("aiza")]
    [InlineData("Bearer a.")]
    [InlineData("password=$password")]
    [InlineData("\"token\": \"")]
    [InlineData("%3D%E2%80%8B")]
    [InlineData("\\uFF21")]
    [InlineData("\u200B")]
    [InlineData("Ａ")]
    [InlineData("4111 ")]
    [InlineData("1 ")]
    [InlineData("QUJD")]
    [InlineData("://a:b")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----")]
    [InlineData("secret_key=")]
    public void Redact_MegabyteOfAdversarialRepeats_Completes(string unit)
    {
        var text = new StringBuilder(1 << 20);
        while (text.Length < 1 << 20)
        {
            text.Append(unit);
        }

        var redacted = Redact(text.ToString(), out _);

        Assert.NotEqual(Redactor.TimeoutReplacement, redacted);
    }

    [Fact]
    public void Redact_CleanChatText_ReturnsTheSameInstance()
    {
        var text = string.Concat(Enumerable.Repeat("The user asked about the weather in Lisbon on 2025-06-01; it was 24 degrees. ", 60));

        var redacted = Redact(text, out var count);

        Assert.Same(text, redacted);
        Assert.Equal(0, count);
    }

    [Theory]
    [InlineData("4111111111111111")] // Visa test number
    [InlineData("4111-1111-1111-1111")]
    [InlineData("5555555555554444")] // Mastercard test number
    [InlineData("378282246310005")] // Amex, 15 digits
    [InlineData("3782 822463 10005")] // Amex grouping 4-6-5
    [InlineData("6011111111111117")] // Discover
    [InlineData("4222222222222")] // 13-digit Visa
    public void Redact_CardNumberPassingLuhn_IsRedacted(string card)
    {
        Assert.Equal("paid with [REDACTED:card_number].", Redact($"paid with {card}.", out var count));
        Assert.Equal(1, count);
    }

    [Theory]
    [InlineData("4111111111111112")] // last digit changed
    [InlineData("4111111111111121")] // two digits swapped
    [InlineData("378282246310006")]
    [InlineData("4111 1111-1111 1111")] // mixed separators
    [InlineData("41 11 11 11 11 11 11 11")] // groups of two are not how cards are printed
    [InlineData("41111111111111111111")] // 20 digits
    public void Redact_DigitRunThatIsNotACard_IsLeftAlone(string digits)
    {
        var text = $"ref {digits} ok";

        Assert.Same(text, Redact(text, out _));
    }

    [Theory]
    [InlineData("79927398713", true)] // the textbook Luhn example
    [InlineData("79927398710", false)]
    [InlineData("0", true)]
    [InlineData("18", true)]
    [InlineData("81", false)]
    public void PassesLuhn_KnownValues(string number, bool expected)
    {
        Assert.Equal(expected, Redactor.PassesLuhn(number));
    }

    [Fact]
    public void Redact_BearerJwt_IsOneRedactionNotTwo()
    {
        var redacted = Redact($"Authorization: Bearer {Jwt}", out var count);

        Assert.Equal("Authorization: Bearer [REDACTED:bearer]", redacted);
        Assert.Equal(1, count);
    }

    [Fact]
    public void Redact_KeyUsedAsUrlPassword_IsOneRedaction()
    {
        var redacted = Redact($"https://bot:{GitHubToken}@github.com/org/repo.git", out var count);

        Assert.Equal("https://bot:[REDACTED:url_password]@github.com/org/repo.git", redacted);
        Assert.Equal(1, count);
    }

    [Fact]
    public void Redact_AnthropicKey_IsNotReportedAsOpenAi()
    {
        Assert.Equal("[REDACTED:anthropic_key]", Redact(AnthropicKey, out _));
    }

    [Fact]
    public void Redact_SeveralSecrets_CountsEach()
    {
        var text = $"a {OpenAiKey} b {GitHubToken} c {OpenAiKey} d 4111111111111111";

        var redacted = Redact(text, out var count);

        Assert.Equal("a [REDACTED:openai_key] b [REDACTED:github_token] c [REDACTED:openai_key] d [REDACTED:card_number]", redacted);
        Assert.Equal(4, count);
    }

    [Fact]
    public void Redact_CountAccumulatesAcrossCalls()
    {
        var count = 5;

        Redactor.Default.Redact(OpenAiKey, ref count);
        Redactor.Default.Redact("clean text here", ref count);

        Assert.Equal(6, count);
    }

    [Fact]
    public void Redact_SecretsInsideJsonStrings_KeepTheJsonValid()
    {
        var json = JsonSerializer.Serialize(new[]
        {
            new { role = "user", content = $"my key is {OpenAiKey} and my card 4111 1111 1111 1111" },
            new { role = "tool", content = $"-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----" },
        });

        var redacted = Redact(json, out var count);

        using var doc = JsonDocument.Parse(redacted);
        Assert.Equal("my key is [REDACTED:openai_key] and my card [REDACTED:card_number]", doc.RootElement[0].GetProperty("content").GetString());
        Assert.Equal("[REDACTED:private_key]", doc.RootElement[1].GetProperty("content").GetString());
        Assert.Equal(3, count);
    }

    [Fact]
    public void Redact_PrivateKeyCutBeforeItsEnd_IsRedactedToTheEnd()
    {
        Assert.Equal("key: [REDACTED:private_key]", Redact("key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA", out _));
    }

    [Fact]
    public void Redact_AwsSecretNextToItsKeyId_IsRedactedEvenUnnamed()
    {
        var redacted = Redact($"{AwsKeyId},{AwsSecret}\n", out var count);

        Assert.Equal("[REDACTED:aws_access_key],[REDACTED:aws_secret_key]\n", redacted);
        Assert.Equal(2, count);
    }

    [Fact]
    public void Redact_GitShaNextToAwsKeyId_IsNotTakenForASecret()
    {
        var redacted = Redact($"{AwsKeyId} commit 3f786850e387550fdab836ed7e6dc881de23001b", out var count);

        Assert.Equal("[REDACTED:aws_access_key] commit 3f786850e387550fdab836ed7e6dc881de23001b", redacted);
        Assert.Equal(1, count);
    }

    [Fact]
    public void Redact_ConfiguredPattern_UsesItsNameAsKind_AndOnlyTheSecretGroup()
    {
        var redactor = new Redactor(new RedactionRules
        {
            Patterns = new Dictionary<string, string>
            {
                ["employee_id"] = @"\bEMP-\d{6}\b",
                ["internal_token"] = @"itok=(?<secret>[a-f0-9]{16})",
            },
        });

        var redacted = Redact("EMP-123456 sent itok=0123456789abcdef", out var count, redactor);

        Assert.Equal("[REDACTED:employee_id] sent itok=[REDACTED:internal_token]", redacted);
        Assert.Equal(2, count);
    }

    [Fact]
    public void Constructor_InvalidPattern_NamesIt()
    {
        var rules = new RedactionRules { Patterns = new Dictionary<string, string> { ["broken_one"] = "(unclosed" } };

        var e = Assert.Throws<ArgumentException>(() => new Redactor(rules));

        Assert.Contains("broken_one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_CatastrophicConfiguredPattern_TimesOutAndReplacesTheWholeValue()
    {
        var redactor = new Redactor(new RedactionRules { Patterns = new Dictionary<string, string> { ["evil"] = "^(a+)+$" } });
        var text = new string('a', 40) + "!";
        var clock = Stopwatch.StartNew();

        var redacted = Redact(text, out var count, redactor);

        Assert.Equal(Redactor.TimeoutReplacement, redacted);
        Assert.Equal(1, count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("http.request.header.authorization", true)]
    [InlineData("http.request.header.cookie", true)]
    [InlineData("user.email", true)]
    [InlineData("user.email.verified", false)]
    [InlineData("user.id", false)]
    [InlineData("http.request.method", false)]
    public void ShouldDrop_ExactKeysAndPrefixGlobs(string key, bool expected)
    {
        var redactor = new Redactor(new RedactionRules { DropAttributes = ["http.request.header.*", "user.email"] });

        Assert.Equal(expected, redactor.ShouldDrop(key));
    }

    [Fact]
    public void ShouldDrop_NothingConfigured_DropsNothing()
    {
        Assert.False(Redactor.Default.ShouldDrop("http.request.header.authorization"));
    }
}
