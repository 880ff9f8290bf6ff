return await KpNode.Cli.KpNodeCli.RunAsync(args, KpNode.Simulation.SimulateCommand.Create());
