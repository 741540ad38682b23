using System.CommandLine;
using System.Net;
using Rein.Client;
using Spectre.Console;

namespace Rein.Cli.Status;

/// <summary><c>rein status</c>: is the server ready, what does it run on, and who am I. Exits 0 only when the server is
/// ready and the key works, so it doubles as a deployment's health check.</summary>
public static class StatusCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var command = new Command("status", "Show the server's version, database and readiness, your project and key, and the project's counts.");
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            try
            {
                await context.Client.GetReadinessAsync(cancellationToken);
            }
            catch (ReinApiException e) when (e.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                throw new CliException(ExitCodes.Failed, $"Rein at {context.Connection.ServerText} is not ready: {e.Detail ?? e.Title}");
            }

            var status = await context.Client.GetStatusAsync(cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(status);
                return ExitCodes.Ok;
            }

            var database = status.Database;
            var caller = status.Caller;
            var counts = status.Counts;
            output.Line($"Rein {status.Version} at {context.Connection.ServerText}: ready");
            var grid = new Grid().AddColumn(new GridColumn { NoWrap = true, Padding = new Padding(2, 0, 3, 0) }).AddColumn();
            void Row(string label, string value) => grid.AddRow(new Text(label), new Text(value));
            Row("database", $"{database.Kind}, schema {database.SchemaVersion}{(database.Location is { } location ? $", {location}" : "")}");
            Row("project", status.Project.Name == status.Project.Id ? status.Project.Id : $"{status.Project.Id} ({status.Project.Name})");
            Row("key", $"{caller.KeyId} '{caller.KeyName}', role {caller.Role}{(caller.ServerAdmin ? " (server admin)" : "")}, from {context.Connection.KeySource}");
            Row("counts", $"{CliOutput.Plural(counts.Projects, "project")}, {CliOutput.Plural(counts.Keys, "key")} ({counts.ActiveKeys} active), {CliOutput.Plural(counts.AuditEntries, "audit entry", "audit entries")}");
            Row("started", CliOutput.Time(status.StartedAt));
            output.Write(grid);
            return ExitCodes.Ok;
        });
        return command;
    }
}
