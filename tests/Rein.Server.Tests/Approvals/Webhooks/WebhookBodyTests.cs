using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Rein.Server.Approvals.Webhooks;

namespace Rein.Server.Tests.Approvals.Webhooks;

/// <summary>The body, the signature and the settings without a server: exact values and every bound.</summary>
public sealed class WebhookBodyTests
{
    private const string Link = "https://rein.example.com/approvals/apr_0123456789abcdefghjkmnpqrs";

    [Fact]
    public void Signature_MatchesOpenSsl_ForAKnownSecretTimestampAndBody()
    {
        // printf '%s' '1767225600.{"text":"hi","event":"approval.requested"}' | openssl dgst -sha256 -hmac 'correct-horse-battery-staple'
        const string Body = """{"text":"hi","event":"approval.requested"}""";
        const string Expected = "sha256=93a5069204a20b95d45f907eb4f885b2bff3b09507cd6948459fba593df379de";

        Assert.Equal(Expected, WebhookSignature.Sign("correct-horse-battery-staple", 1767225600, Body));
        Assert.True(WebhookSignature.Verify("correct-horse-battery-staple", "1767225600", Body, Expected));
        Assert.False(WebhookSignature.Verify("correct-horse-battery-staplE", "1767225600", Body, Expected));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("93a5069204a20b95d45f907eb4f885b2bff3b09507cd6948459fba593df379de")]
    [InlineData("sha1=93a5069204a20b95d45f907eb4f885b2bff3b09507cd6948459fba593df379de")]
    [InlineData("sha256=not-hex")]
    [InlineData("sha256=93a5")]
    public void Verify_AMalformedHeader_IsFalseNotAnError(string? header)
    {
        Assert.False(WebhookSignature.Verify("correct-horse-battery-staple", "1767225600", "{}", header));
    }

    [Fact]
    public void Body_HasTheContractsFieldsInOrder_AndUtcTimes()
    {
        var created = WebhookHarness.Created("finance") with
        {
            CreatedAt = new DateTimeOffset(2026, 11, 22, 13, 0, 0, TimeSpan.FromHours(1)),
            ExpiresAt = new DateTimeOffset(2026, 11, 22, 13, 15, 0, TimeSpan.FromHours(1)),
        };

        var json = JsonDocument.Parse(WebhookBody.Serialize(WebhookBody.Build(created, Link))).RootElement;

        Assert.Equal("2026-11-22T12:00:00Z", json.GetProperty("approval").GetProperty("createdAt").GetString());
        Assert.Equal("2026-11-22T12:15:00Z", json.GetProperty("approval").GetProperty("expiresAt").GetString());
        Assert.Equal(
            $"[HIGH] Approval needed in finance: support-bot wants payments.refund - refund of 500 needs finance (rule: large refunds go to finance). Expires 2026-11-22 12:15 UTC. {Link}",
            json.GetProperty("text").GetString());
    }

    [Fact]
    public void Text_WithoutRuleOrMessage_LeavesThemOut()
    {
        var created = WebhookHarness.Created("ops", message: null) with { Rule = null };

        var text = WebhookBody.Build(created, Link).Text;

        Assert.StartsWith("[HIGH] Approval needed in ops: support-bot wants payments.refund. Expires ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_IsOneLine_WhateverTheMessageHolds()
    {
        var created = WebhookHarness.Created("finance", message: "line one\nline two\r\n\tend");

        var payload = WebhookBody.Build(created, Link);

        Assert.Contains("line one line two   end", payload.Text, StringComparison.Ordinal);
        Assert.Equal("line one\nline two\r\n\tend", payload.Approval.Message);
    }

    [Fact]
    public void Text_LongMessage_IsCutToMaxTextMessageLength_AndTheLinkSurvives()
    {
        var created = WebhookHarness.Created("finance", message: new string('m', WebhookBody.MaxTextMessageLength + 100));

        var text = WebhookBody.Build(created, Link).Text;

        Assert.Contains(new string('m', WebhookBody.MaxTextMessageLength - 1) + "…", text, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('m', WebhookBody.MaxTextMessageLength), text, StringComparison.Ordinal);
        Assert.EndsWith(Link, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(WebhookUrls.MaxLength)]
    [InlineData(WebhookBody.MaxTextLength - 50)]
    public void Text_WithTheLongestNames_StaysWithinMaxTextLength_AndEndsWithTheLink(int linkLength)
    {
        var name = new string('n', 5000);
        var link = "https://rein.example.com/" + new string('p', linkLength - "https://rein.example.com/".Length);
        var created = WebhookHarness.Created(name, message: name) with { Agent = name, Tool = name, Rule = name };

        var text = WebhookBody.Build(created, link).Text;

        Assert.InRange(text.Length, 1000, WebhookBody.MaxTextLength);
        Assert.StartsWith("[HIGH] Approval needed in nnn", text, StringComparison.Ordinal);
        Assert.EndsWith(" " + link, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_OverMaxMessageLength_IsCutInTheApprovalObject()
    {
        var created = WebhookHarness.Created("finance", message: new string('m', WebhookBody.MaxMessageLength + 1));

        var message = WebhookBody.Build(created, Link).Approval.Message!;

        Assert.Equal(WebhookBody.MaxMessageLength, message.Length);
        Assert.EndsWith("…", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_CutInsideAnEmoji_LeavesNoHalfCharacter()
    {
        var created = WebhookHarness.Created("finance", message: new string('m', WebhookBody.MaxMessageLength - 2) + "😀😀");

        var message = WebhookBody.Build(created, Link).Approval.Message!;

        Assert.Equal(new string('m', WebhookBody.MaxMessageLength - 2) + "…", message);
    }

    [Fact]
    public void DeliveryIds_AreValid_AndSortByTime()
    {
        var first = DeliveryIds.New(DateTimeOffset.FromUnixTimeMilliseconds(1_000));
        var second = DeliveryIds.New(DateTimeOffset.FromUnixTimeMilliseconds(2_000));

        Assert.True(DeliveryIds.IsValid(first));
        Assert.Equal(DeliveryIds.Length, first.Length);
        Assert.True(string.CompareOrdinal(first, second) < 0);
        Assert.False(DeliveryIds.IsValid("dlv_" + new string('i', 26)));
        Assert.False(DeliveryIds.IsValid(first[..^1]));
    }

    private static string Problems(Dictionary<string, string?> settings) =>
        string.Join("\n", Assert.Throws<ReinConfigurationException>(() => ReinConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())).Problems);

    [Theory]
    [InlineData("Approvals:Webhooks:Timeout", "0s", "Approvals:Webhooks:Timeout (from --approvals:webhooks:timeout): must be more than 0 and at most 2 minutes")]
    [InlineData("Approvals:Webhooks:Timeout", "3m", "Approvals:Webhooks:Timeout")]
    [InlineData("Approvals:Webhooks:MaxAttempts", "0", "Approvals:Webhooks:MaxAttempts (from --approvals:webhooks:maxattempts): must be between 1 and 20")]
    [InlineData("Approvals:Webhooks:MaxAttempts", "21", "Approvals:Webhooks:MaxAttempts")]
    [InlineData("Approvals:Webhooks:MaxAttempts", "many", "Approvals:Webhooks:MaxAttempts (from --approvals:webhooks:maxattempts): 'many' is not a whole number")]
    [InlineData("Approvals:Webhooks:PublicUrl", "rein.example.com", "Approvals:Webhooks:PublicUrl (from --approvals:webhooks:publicurl): must be an absolute http or https address")]
    [InlineData("Approvals:Webhooks:PublicUrl", "https://rein.example.com/?a=b", "Approvals:Webhooks:PublicUrl (from --approvals:webhooks:publicurl): must not have a query")]
    [InlineData("Approvals:Webhooks:Backoff", "1s, soon", "Approvals:Webhooks:Backoff (from --approvals:webhooks:backoff): 'soon' is not a duration")]
    [InlineData("Approvals:Webhooks:Backoff", "0s", "Approvals:Webhooks:Backoff")]
    [InlineData("Approvals:Webhooks:Backoff", "2d", "Approvals:Webhooks:Backoff")]
    [InlineData("Approvals:Webhooks:PollInterval", "5ms", "Approvals:Webhooks:PollInterval (from --approvals:webhooks:pollinterval): must be between 10ms and 1 minute")]
    [InlineData("Approvals:Webhooks:BatchSize", "1001", "Approvals:Webhooks:BatchSize")]
    [InlineData("Approvals:Webhooks:Concurrency", "65", "Approvals:Webhooks:Concurrency")]
    [InlineData("Approvals:Webhooks:Retention", "30m", "Approvals:Webhooks:Retention")]
    [InlineData("Approvals:Webhooks:Timeuot", "5s", "Approvals:Webhooks:Timeuot (from --approvals:webhooks:timeuot): is not a Rein setting")]
    [InlineData("Approvals:Webhookz:Timeout", "5s", "Approvals:Webhookz: is not a Rein setting")]
    public void BadSetting_StopsTheStart_NamingIt(string key, string value, string expected)
    {
        Assert.Contains(expected, Problems(new() { [key] = value }), StringComparison.Ordinal);
    }

    [Fact]
    public void Backoff_TooManySteps_NamesTheBound()
    {
        var steps = string.Join(",", Enumerable.Repeat("1s", ApprovalWebhookOptions.MaxBackoffSteps + 1));

        Assert.Contains($"must list 1 to {ApprovalWebhookOptions.MaxBackoffSteps} durations", Problems(new() { ["Approvals:Webhooks:Backoff"] = steps }), StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_AreReadFromTheNestedSection_InEverySpelling()
    {
        var configuration = ReinConfiguration.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["APPROVALS:WEB_HOOKS:MAX_ATTEMPTS"] = "7",
            ["Approvals:Webhooks:Backoff:0"] = "2s",
            ["Approvals:Webhooks:Backoff:1"] = "1m",
            ["Approvals:Webhooks:PublicUrl"] = "https://rein.example.com/",
        }).Build());
        var options = configuration.Get<ApprovalWebhookOptions>();

        Assert.Equal(7, options.MaxAttempts);
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1)], options.BackoffSteps);
        Assert.Equal(TimeSpan.FromSeconds(2), options.DelayAfter(1));
        Assert.Equal(TimeSpan.FromMinutes(1), options.DelayAfter(2));
        Assert.Equal(TimeSpan.FromMinutes(1), options.DelayAfter(9));
    }

    [Fact]
    public void Defaults_AreTheContracts()
    {
        var options = ReinConfiguration.Load(new ConfigurationBuilder().Build()).Get<ApprovalWebhookOptions>();

        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Equal(5, options.MaxAttempts);
        Assert.Equal(
            [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2)],
            Enumerable.Range(1, options.MaxAttempts - 1).Select(options.DelayAfter));
        Assert.True(options.Lease > options.Timeout * 3);
    }
}
