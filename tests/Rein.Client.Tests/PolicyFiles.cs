namespace Rein.Client.Tests;

/// <summary>Policy files the client tests push.</summary>
internal static class PolicyFiles
{
    /// <summary>Lookups and small refunds allowed, large refunds to finance, emails confirmed, everything else denied.</summary>
    public static string Refunds(string name, string agents = "support-bot*", int approvalAbove = 50) => $$"""
        name: {{name}}
        agents: ["{{agents}}"]
        mode: enforce
        default: deny
        rules:
          - name: lookups
            tools: ["crm_get_*", "kb_search"]
            effect: allow
          - name: small refunds
            tools: ["refund"]
            when: args.amount <= {{approvalAbove}}
            effect: allow
          - name: large refunds go to finance
            tools: ["refund"]
            when: args.amount > {{approvalAbove}}
            effect: require_approval
            route: finance
            message: "'refund of ' + string(args.amount) + ' needs finance'"
          - name: emails are confirmed
            tools: ["send_email"]
            effect: confirm
            message: "'send to ' + args.to + '?'"
        tests:
          - name: big refund needs finance
            input: { tool: refund, args: { amount: 500 } }
            expect: { effect: require_approval, route: finance }
          - name: small refund is allowed
            input: { tool: refund, args: { amount: 5 } }
            expect: { effect: allow }
        """;

    /// <summary>A policy whose embedded test fails: it expects allow where the policy denies.</summary>
    public static string WithFailingTest(string name) => $$"""
        name: {{name}}
        agents: ["*"]
        default: deny
        rules: []
        tests:
          - name: wishful
            input: { tool: anything }
            expect: { effect: allow }
        """;
}
