using System.CommandLine;
using Rein.Cli.Policies;
using Rein.Cli.Runs;

namespace Rein.Cli.Approvals;

/// <summary><c>rein approvals queues</c> and <c>rein approvals webhook</c>: a queue's expiry and its notifications.</summary>
public static partial class ApprovalsCommand
{
    private static Command Queues(GlobalOptions globals)
    {
        var queues = new Command("queues", "Approval queues' settings: how long their requests stay open.");
        var name = new Argument<string>("name") { Description = "The queue's name (a rule's route)" };
        // 'default' parses to zero, which no expiry can be: a parser that answers null makes GetValue throw.
        var expiry = new Option<TimeSpan>("--expiry")
        {
            Description = $"How long new requests of the queue stay open, from {TimeArguments.Describe(MinExpiry)} to {TimeArguments.Describe(MaxExpiry)} " +
                $"({TimeArguments.DurationHelp}); '{DefaultExpiry}' for the policy's approval_expiry or the server's default",
            HelpName = "duration",
            Required = true,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
                if (text == DefaultExpiry)
                {
                    return TimeSpan.Zero;
                }

                if (TimeArguments.TryParseDuration("--expiry", text, MinExpiry, MaxExpiry, out var value, out var error))
                {
                    return value;
                }

                result.AddError(error + $", or '{DefaultExpiry}'");
                return TimeSpan.Zero;
            },
        };
        var set = new Command("set", "Set a queue's expiry (admin key); requests opened before keep theirs.") { name, expiry };
        set.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var after = context.Parse.GetValue(expiry);
            var queue = await context.Client.Approvals.SetQueueAsync(context.Parse.GetValue(name)!, after > TimeSpan.Zero ? after : null, cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(queue);
            }
            else
            {
                output.Line(queue.Expiry is { } e
                    ? $"Queue {PolicyText.Clean(queue.Name, 130)}: new requests expire after {e}."
                    : $"Queue {PolicyText.Clean(queue.Name, 130)}: new requests expire after the policy's approval_expiry, or the server's default.");
            }

            return ExitCodes.Ok;
        });
        var list = new Command("list", "List the queues that have settings: name, expiry, last change.");
        list.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var found = await context.Client.Approvals.ListQueuesAsync(cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(found);
                return ExitCodes.Ok;
            }

            if (found.Count == 0)
            {
                output.Line("No queue has settings; every request expires after its policy's approval_expiry or the server's default.");
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("name", "expiry", "updated");
            foreach (var queue in found)
            {
                CliOutput.AddRow(table, PolicyText.Clean(queue.Name, 130), queue.Expiry ?? DefaultExpiry, CliOutput.Time(queue.UpdatedAt));
            }

            output.Write(table);
            return ExitCodes.Ok;
        });
        queues.Subcommands.Add(set);
        queues.Subcommands.Add(list);
        return queues;
    }

    private static Command Webhook(GlobalOptions globals)
    {
        var webhook = new Command("webhook", "A queue's webhook: new requests of the queue are posted to it, signed with its secret.");
        var queue = new Argument<string>("queue") { Description = "The queue's name" };
        var url = new Option<Uri>("--url")
        {
            Description = "Where to post (an http or https address, such as a chat tool's incoming webhook)",
            HelpName = "url",
            Required = true,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
                if (Uri.TryCreate(text, UriKind.Absolute, out var value) && (value.Scheme == Uri.UriSchemeHttp || value.Scheme == Uri.UriSchemeHttps) && value.Host.Length > 0)
                {
                    return value;
                }

                result.AddError($"--url: '{PolicyText.Clean(text, 200)}' is not an http:// or https:// address");
                return null;
            },
        };
        var secretFile = new Option<string?>("--secret-file")
        {
            Description = "A file holding the signing secret (16 to 256 characters; surrounding whitespace is ignored), - for stdin; " +
                "leave it out to keep the secret of the queue's current webhook",
            HelpName = "file",
        };
        var set = new Command("set", "Set a queue's webhook (admin key). The secret is stored encrypted and never shown again.") { queue, url, secretFile };
        set.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var secret = context.Parse.GetValue(secretFile) is { Length: > 0 } path ? await ReadSecretAsync(path, cancellationToken) : null;
            var hook = await context.Client.Approvals.SetWebhookAsync(context.Parse.GetValue(queue)!, context.Parse.GetValue(url)!, secret, cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(hook);
            }
            else
            {
                output.Line($"Queue {PolicyText.Clean(hook.Queue, 130)}: new requests are posted to {PolicyText.Clean(hook.Url, 2048)}, signed with the secret{(secret is null ? " it had" : "")}.");
            }

            return ExitCodes.Ok;
        });
        webhook.Subcommands.Add(set);
        return webhook;
    }

    /// <summary>The secret from a file (or stdin for <c>-</c>), trimmed; a usage error for a file that cannot be read, is
    /// empty, or is far larger than any secret.</summary>
    private static async Task<string> ReadSecretAsync(string path, CancellationToken cancellationToken)
    {
        var name = path == "-" ? "stdin" : path;
        byte[] bytes;
        try
        {
            await using var stream = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
            var buffer = new byte[MaxSecretFileBytes + 1];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
            {
                read += n;
            }

            bytes = buffer[..read];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"--secret-file: cannot read {name} ({e.Message})");
        }

        if (bytes.Length > MaxSecretFileBytes)
        {
            throw new CliException(ExitCodes.Usage, $"--secret-file: {name} holds more than {MaxSecretFileBytes} bytes; a secret is 16 to 256 characters");
        }

        var secret = System.Text.Encoding.UTF8.GetString(bytes).Trim();
        return secret.Length == 0 ? throw new CliException(ExitCodes.Usage, $"--secret-file: {name} is empty") : secret;
    }
}
