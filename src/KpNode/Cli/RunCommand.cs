using System.CommandLine;
using KpNode.Configuration;
using KpNode.Hosting;

namespace KpNode.Cli;

/// <summary><c>kpnode run</c>: runs a node until SIGINT/SIGTERM.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = KpNodeCli.ConfigOption();
        var command = new Command("run", "Run a node from its configuration file until stopped (Ctrl+C or SIGTERM)") { config };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var nodeConfig = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            await using var host = await NodeHost.StartAsync(nodeConfig, ct: ct);
            await host.WaitForShutdownAsync(CancellationToken.None);
            return 0;
        }));
        return command;
    }
}
