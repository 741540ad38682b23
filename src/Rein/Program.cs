using Rein.Cli;

return await ReinCli.RunAsync(args);
