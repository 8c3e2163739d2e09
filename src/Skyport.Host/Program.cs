using Skyport.Server.Cli;

return await SkyportCommandLine.InvokeAsync(args);
