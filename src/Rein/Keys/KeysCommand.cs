using System.CommandLine;
using Rein.Cli.Serve;
using Rein.Client;

namespace Rein.Cli.Keys;

/// <summary><c>rein keys create|list|revoke</c>: the project's API keys (an admin key is needed).</summary>
public static class KeysCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var keys = new Command("keys", "Create, list and revoke the project's API keys (needs an admin key); recover admin access on the server's machine.");
        keys.Subcommands.Add(CreateKey(globals));
        keys.Subcommands.Add(List(globals));
        keys.Subcommands.Add(Revoke(globals));
        keys.Subcommands.Add(Recover());
        return keys;
    }

    /// <summary>Offline: writes a new admin key straight into the database, for when every admin key is lost.</summary>
    private static Command Recover()
    {
        var project = new Option<string>("--project") { Description = "The project to recover", DefaultValueFactory = _ => Rein.Server.Identity.Project.DefaultId };
        var server = new ServerSettingsOptions();
        var command = new Command(
            "recover",
            "Create a new admin key directly in the database, when every admin key of a project is lost. " +
            "Runs on the machine that holds the database, reads the same settings as 'rein serve', and needs no server or key.")
        {
            project,
        };
        server.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var created = await Rein.Server.Identity.AdminKeyRecovery.CreateAdminKeyAsync(server.ToSettings(parse), parse.GetValue(project)!, cancellationToken);
                await Console.Error.WriteLineAsync($"Created admin key {created.Key.Id} in project {created.Key.ProjectId} (audited as key.create by system).");
                await Console.Error.WriteLineAsync("This is the only time the key is shown (Rein keeps only its hash). Store it now:");
                Console.WriteLine(created.Value);
                return ExitCodes.Ok;
            }
            catch (Rein.Server.ReinConfigurationException e)
            {
                await Console.Error.WriteLineAsync("rein: " + e.Message);
                return ExitCodes.Usage;
            }
            catch (Exception e) when (e is Rein.Server.ReinStartupException or Rein.Server.ReinProblemException)
            {
                await Console.Error.WriteLineAsync("rein: " + e.Message);
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static Command CreateKey(GlobalOptions globals)
    {
        var name = new Option<string>("--name") { Description = "What the key is for, such as ci or support-bot", Required = true };
        var role = new Option<string>("--role") { Description = "What the key may do in its project", Required = true };
        role.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && !KeyRoles.All.Contains(value))
            {
                result.AddError($"--role: '{value}' is not a role; use one of {string.Join(", ", KeyRoles.All)}");
            }
        });
        role.CompletionSources.Add([.. KeyRoles.All]);
        var expires = new Option<DateTimeOffset?>("--expires")
        {
            Description = $"When the key stops working: {Expiry.Help} [default: never]",
            HelpName = "when",
            CustomParser = result =>
            {
                if (Expiry.TryParse(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, DateTimeOffset.UtcNow, out var at, out var error))
                {
                    return at;
                }

                result.AddError("--expires: " + error);
                return null;
            },
        };
        var queues = new Option<IReadOnlyList<string>?>("--queues")
        {
            Description = "Limit an approver key to these approval queues, separated by commas (such as finance,ops) [default: every queue]",
            HelpName = "names",
            CustomParser = result =>
            {
                if (Approvals.ApprovalText.TryParseQueues(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, out var value, out var error))
                {
                    return value;
                }

                result.AddError("--queues: " + error);
                return null;
            },
        };
        var command = new Command("create", "Create an API key. Its value is printed once, on stdout; Rein keeps only its hash.") { name, role, expires, queues };
        command.Validators.Add(result =>
        {
            if (result.GetResult(queues) is { Tokens.Count: > 0 } && result.GetValue(role) is { } value && value != KeyRoles.Approver && KeyRoles.All.Contains(value))
            {
                result.AddError($"--queues: only an approver key can be limited to approval queues; this key's role is {value}");
            }
        });
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var parse = context.Parse;
            var created = await context.Client.Keys.CreateAsync(parse.GetValue(name)!, parse.GetValue(role)!, parse.GetValue(expires), parse.GetValue(queues), cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(created);
                return ExitCodes.Ok;
            }

            var key = created.Key;
            var limited = key.Queues is { Count: > 0 } names ? $", approval queues {string.Join(", ", names)}" : "";
            output.Note($"Created key {key.Id} '{key.Name}' in project {key.ProjectId}: role {key.Role}{limited}, {(key.ExpiresAt is { } at ? "expires " + CliOutput.Time(at) : "never expires")}.");
            output.Note("This is the only time the key is shown (Rein keeps only its hash). Store it now, for example in a secret manager:");
            output.Line(created.ApiKey);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(GlobalOptions globals)
    {
        var all = new Option<bool>("--all") { Description = "Include revoked and expired keys" };
        var command = new Command("list", "List the project's active keys (all of them with --all).") { all };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var includeAll = context.Parse.GetValue(all);
            var shown = new List<ApiKeyInfo>();
            var hidden = 0;
            await foreach (var key in context.Client.Keys.ListAllAsync(pageSize: 1000, cancellationToken))
            {
                if (includeAll || key.State == KeyStates.Active)
                {
                    shown.Add(key);
                }
                else
                {
                    hidden++;
                }
            }

            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(shown);
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("id", "name", "role", "state", "created", "expires", "last used", "queues");
            foreach (var key in shown)
            {
                CliOutput.AddRow(table, key.Id, key.Name, key.Role, key.State, CliOutput.Time(key.CreatedAt), CliOutput.Time(key.ExpiresAt, "never"), CliOutput.Time(key.LastUsedAt, "never"), Queues(key));
            }

            output.Write(table);
            if (hidden > 0)
            {
                output.Note($"{CliOutput.Plural(hidden, "revoked or expired key")} not shown; --all shows them.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Revoke(GlobalOptions globals)
    {
        var id = new Argument<string>("id") { Description = "The key's id (the 12 characters after rein_), or the whole key" };
        var command = new Command("revoke", "Revoke a key: it stops working on its next request. Revoking is final.") { id };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var keyId = IdOf(context.Parse.GetValue(id)!);
            var before = await context.Client.Keys.GetAsync(keyId, cancellationToken);
            var key = before.RevokedAt is null ? await context.Client.Keys.RevokeAsync(keyId, cancellationToken) : before;
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(key);
            }
            else if (before.RevokedAt is { } at)
            {
                output.Line($"Key {key.Id} '{key.Name}' was already revoked at {CliOutput.Time(at)}.");
            }
            else
            {
                output.Line($"Revoked key {key.Id} '{key.Name}' (role {key.Role}).");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The approval queues a key may decide: its list, <c>all</c> for approvers and admins without one, <c>-</c> for
    /// keys that decide nothing.</summary>
    private static string Queues(ApiKeyInfo key) =>
        key.Queues is { Count: > 0 } names ? Policies.PolicyText.Clean(string.Join(",", names), 200)
        : key.Role is KeyRoles.Approver or KeyRoles.Admin ? "all"
        : "-";

    /// <summary>Accepts the whole key too (<c>rein_&lt;id&gt;_&lt;secret&gt;</c>): it names its key unambiguously.</summary>
    private static string IdOf(string value)
    {
        var trimmed = value.Trim();
        var parts = trimmed.Split('_');
        return parts is ["rein", { Length: 12 } keyId, { Length: 40 }] ? keyId : trimmed;
    }
}
