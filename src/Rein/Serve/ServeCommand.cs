using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rein.Server;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Cli.Serve;

/// <summary><c>rein serve</c>: runs the server in the foreground until SIGINT or SIGTERM.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = $"Where to listen, ';'-separated (default {ReinOptions.DefaultUrls})." };
        var server = new ServerSettingsOptions();
        var command = new Command("serve", "Run the Rein server (SQLite in ./.rein unless --database says otherwise).") { urls };
        server.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(server.ToSettings(parse, ("Urls", parse.GetValue(urls))), cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(ReinServerSettings settings, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = ReinServer.Build(settings);
        }
        catch (ReinConfigurationException e)
        {
            await Console.Error.WriteLineAsync("rein: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (ReinStartupException e)
        {
            await Console.Error.WriteLineAsync("rein: " + e.Message);
            return ExitCodes.Failed;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (ReinStartupException e)
            {
                await Console.Error.WriteLineAsync("rein: " + e.Message);
                return ExitCodes.Failed;
            }
            catch (IOException e)
            {
                // Kestrel: "Failed to bind to address http://127.0.0.1:7346: address already in use."
                await Console.Error.WriteLineAsync("rein: " + e.Message + " Pass --urls to listen elsewhere.");
                return ExitCodes.Failed;
            }

            PrintWelcome(app);
            await app.WaitForShutdownAsync(CancellationToken.None);
            return ExitCodes.Ok;
        }
    }

    private static void PrintWelcome(WebApplication app)
    {
        var database = app.Services.GetRequiredService<ReinDatabase>();
        var url = app.Urls.FirstOrDefault() ?? ReinOptions.DefaultUrls;
        var firstRun = app.Services.GetRequiredService<FirstRunKey>();
        var key = firstRun.Take();
        Console.WriteLine();
        Console.WriteLine($"  Rein {ServerInfo.Version} is running at {url}  ({database.KindName}: {database.Location})");
        if (key is not null)
        {
            Console.WriteLine();
            Console.WriteLine("  First start: created the 'default' project and an admin key. It is shown only this once:");
            Console.WriteLine();
            Console.WriteLine($"    {key}");
            Console.WriteLine();
            Console.WriteLine(firstRun.KeyFile is { } file
                ? $"  It is also saved in {file} (readable by you only); the database keeps only its hash."
                : "  It could not be saved to admin.key (see the log above): copy it now.");
        }

        Console.WriteLine($"  Dashboard: {url.TrimEnd('/')}/   (sign in with an admin key)");
        Console.WriteLine("  Press Ctrl+C to stop.");
        Console.WriteLine();
    }
}
