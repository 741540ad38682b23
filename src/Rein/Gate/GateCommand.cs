using System.CommandLine;
using System.Text.Json.Nodes;
using Rein.Cli.Policies;
using Rein.Client;

namespace Rein.Cli.Gate;

/// <summary><c>rein gate</c>: asks the live gate about one action, as an agent would, to try a policy. Exits 0 for allow,
/// 3 for deny, 4 for confirm or require_approval, and 1 for any failure (so a failure is never read as a decision).</summary>
public static class GateCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var agent = new Option<string?>("--agent")
        {
            Description = "The agent's name; with an agent key it is the key's name (leave it out or give exactly that name)",
        };
        var actAs = new Option<string?>("--act-as")
        {
            Description = "With a key that is not an agent key (an admin's): the agent to act for; every such call is audited (gate.act_as)",
            HelpName = "agent",
        };
        var tool = new Option<string>("--tool") { Description = "The tool the agent wants to call", Required = true };
        var args = JsonObjectOption("--args", "The tool's arguments, a JSON object such as '{\"amount\": 500}'");
        var context = JsonObjectOption("--context", "What else the agent knows, a JSON object such as '{\"confidence\": 0.9}'");
        var run = new Option<string?>("--run") { Description = "The run (trace id) the action belongs to; budgets count per run", HelpName = "id" };
        var release = new Option<string?>("--release") { Description = "The agent's release" };
        var session = new Option<string?>("--session") { Description = "The session (conversation)" };
        var principal = new Option<string?>("--principal") { Description = "Who the agent acts for (principal.id)", HelpName = "id" };
        var server = new Option<string?>("--tool-server") { Description = "The server the tool lives on (tool.server)", HelpName = "name" };
        var approvalToken = new Option<string?>("--approval-token")
        {
            Description = "Redeem an approval: the single-use token 'rein approvals wait' shows an agent key. Allowed once, for the same run, tool and approved arguments",
            HelpName = "token",
        };
        var command = new Command(
            "gate",
            "Ask the gate whether an agent may call a tool, and print the decision (it is recorded like any other). " +
            "Exits 0 for allow, 3 for deny, 4 for confirm or require_approval, 1 when there is no decision.")
        {
            agent,
            actAs,
            tool,
            args,
            context,
            run,
            release,
            session,
            principal,
            server,
            approvalToken,
        };
        command.SetApiAction(
            globals,
            async (cli, cancellationToken) =>
            {
                var parse = cli.Parse;
                var request = new GateRequest
                {
                    Agent = parse.GetValue(agent),
                    ActAs = parse.GetValue(actAs),
                    Tool = parse.GetValue(tool)!,
                    Args = parse.GetValue(args),
                    Context = parse.GetValue(context),
                    RunId = parse.GetValue(run),
                    Release = parse.GetValue(release),
                    SessionId = parse.GetValue(session),
                    Principal = parse.GetValue(principal) is { } id ? new GatePrincipal(id) : null,
                    Server = parse.GetValue(server),
                    ApprovalToken = parse.GetValue(approvalToken) is { Length: > 0 } token ? token.Trim() : null,
                };
                var decision = await cli.Client.Gate.DecideAsync(request, cancellationToken);
                var output = cli.Output;
                if (output.IsJson)
                {
                    output.Json(decision);
                }
                else
                {
                    output.Line($"{decision.Effect.ToName()}: {PolicyText.Clean(request.Tool, 200)} {Whom(request)}");
                    foreach (var line in GateText.Details(decision.DecisionId, decision.Policy, decision.Mode, decision.Reasons, decision.Approval?.Route, decision.Obligations, decision.Shadow, decision.Approval))
                    {
                        output.Line(line);
                    }

                    if (decision.Effect == GateEffect.RequireApproval && decision.Approval?.RequestId is { } requestId)
                    {
                        output.Note($"Wait for a person's decision: rein approvals wait {requestId}");
                    }
                }

                return GateText.ExitCode(decision.Effect);
            },
            failureExitCode: ExitCodes.Failed);
        return command;
    }

    private static string Whom(GateRequest request) =>
        request.ActAs is { } actAs ? $"for agent {PolicyText.Clean(actAs, 200)} (acting for it, audited)"
        : request.Agent is { } agent ? $"for agent {PolicyText.Clean(agent, 200)}"
        : "for this key's agent";

    private static Option<JsonObject?> JsonObjectOption(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "json",
        CustomParser = result =>
        {
            if (GateText.TryParseObject(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, out var value, out var error))
            {
                return value;
            }

            result.AddError($"{name}: {error}");
            return null;
        },
    };
}
