using System.CommandLine;
using Rein.Client;

namespace Rein.Cli.Projects;

/// <summary><c>rein projects create|list</c>: projects, the boundary of all data (admin keys of the default project
/// manage them).</summary>
public static class ProjectsCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var projects = new Command("projects", "Create and list projects (creating needs an admin key of the 'default' project).");
        projects.Subcommands.Add(CreateProject(globals));
        projects.Subcommands.Add(List(globals));
        return projects;
    }

    private static Command CreateProject(GlobalOptions globals)
    {
        var id = new Argument<string>("id") { Description = "The project's id: 2 to 40 lowercase letters, digits and inner hyphens" };
        var name = new Option<string?>("--name") { Description = "A display name [default: the id]" };
        var command = new Command("create", "Create a project and its first admin key, whose value is printed once, on stdout.") { id, name };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var created = await context.Client.Projects.CreateAsync(context.Parse.GetValue(id)!, context.Parse.GetValue(name), cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(created);
                return ExitCodes.Ok;
            }

            output.Note($"Created project {created.Project.Id} '{created.Project.Name}' with admin key {created.Key.Id}.");
            output.Note("This is the only time the key is shown (Rein keeps only its hash), and it is the only way into the project. Store it now:");
            output.Line(created.ApiKey);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(GlobalOptions globals)
    {
        var command = new Command("list", "List the projects this key can see (all of them for an admin key of 'default').");
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var projects = new List<Project>();
            await foreach (var project in context.Client.Projects.ListAllAsync(pageSize: 1000, cancellationToken))
            {
                projects.Add(project);
            }

            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(projects);
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("id", "name", "created", "created by");
            foreach (var project in projects)
            {
                CliOutput.AddRow(table, project.Id, project.Name, CliOutput.Time(project.CreatedAt), project.CreatedBy);
            }

            output.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
