using Rein.Core.Policies;

namespace Rein.Core.Tests.Policies;

/// <summary>What the tool gateway leaves out of an agent's tool list: tools a policy denies whatever the arguments.</summary>
public sealed class DeniesOutrightTests
{
    private const string Rules = """
          - name: reads
            tools: ["crm.get_*"]
            effect: allow
          - name: never wipe
            tools: ["db.wipe", "fs.*"]
            effect: deny
          - name: big refunds
            tools: ["payments.refund"]
            when: args.amount > 100
            effect: deny
          - name: exports need a person
            tools: ["crm.export"]
            effect: require_approval
        """;

    [Theory]
    [InlineData("db.wipe", true)]
    [InlineData("fs.write_file", true)]
    [InlineData("crm.get_customer", false)]
    [InlineData("payments.refund", false)]
    [InlineData("crm.export", false)]
    [InlineData("unknown.tool", true)]
    public void DefaultDeny_DeniesUnconditionalDenyRulesAndUnmatchedTools(string tool, bool expected)
    {
        Assert.Equal(expected, PolicyEvaluator.DeniesOutright(PolicyEvaluatorTests.Policy(Rules), tool));
    }

    [Theory]
    [InlineData("db.wipe", true)]
    [InlineData("unknown.tool", false)]
    [InlineData("payments.refund", false)]
    public void DefaultAllow_DeniesOnlyUnconditionalDenyRules(string tool, bool expected)
    {
        Assert.Equal(expected, PolicyEvaluator.DeniesOutright(PolicyEvaluatorTests.Policy(Rules, "default: allow"), tool));
    }

    [Fact]
    public void AConditionalAllowBesideAnUnconditionalDeny_StillDenies()
    {
        var policy = PolicyEvaluatorTests.Policy("""
              - name: small ok
                tools: ["db.wipe"]
                when: args.rows < 10
                effect: allow
              - name: never
                tools: ["db.wipe"]
                effect: deny
            """, "default: allow");

        Assert.True(PolicyEvaluator.DeniesOutright(policy, "db.wipe"));
    }
}
