return await KpNode.Cli.KpNodeCli.RunAsync(args);
