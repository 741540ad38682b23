using Rein.Testing;

namespace Rein.Cli.Tests.Policies;

/// <summary>Policy files the CLI tests check, test and push.</summary>
internal static class PolicyFiles
{
    /// <summary>Lookups and small refunds allowed, large refunds to finance, everything else denied.</summary>
    public static string Refunds(string name, string agents = "support-bot*", int approvalAbove = 50) => $$"""
        name: {{name}}
        agents: ["{{agents}}"]
        default: deny
        rules:
          - name: lookups
            tools: ["crm.get_*"]
            effect: allow
          - name: small refunds
            tools: ["payments.refund"]
            when: args.amount <= {{approvalAbove}}
            effect: allow
          - name: large refunds go to finance
            tools: ["payments.refund"]
            when: args.amount > {{approvalAbove}}
            effect: require_approval
            route: finance
            message: "'refund of ' + string(args.amount) + ' needs finance'"
        tests:
          - name: big refund needs finance
            input: { tool: payments.refund, args: { amount: 500 } }
            expect: { effect: require_approval, route: finance }
          - name: small refund is allowed
            input: { tool: payments.refund, args: { amount: 5 } }
            expect: { effect: allow }
        """;

    /// <summary>Two tests: one passes, one expects allow where the policy denies.</summary>
    public static string WithFailingTest(string name) => $$"""
        name: {{name}}
        agents: ["*"]
        default: deny
        rules:
          - name: lookups
            tools: ["crm.get_*"]
            effect: allow
        tests:
          - name: lookups are allowed
            input: { tool: crm.get_customer }
            expect: { effect: allow }
          - name: wishful
            input: { tool: payments.refund }
            expect: { effect: allow }
        """;

    /// <summary>Writes a file into the folder and returns its name.</summary>
    public static string Write(TempDirectory folder, string file, string source)
    {
        File.WriteAllText(folder.Combine(file), source);
        return file;
    }
}
