using KpNode.Cli;
using KpNode.Configuration;
using KpNode.Hosting;
using KpNode.Storage;
using KpNode.Tests.Cli;
using KpNode.Tests.Configuration;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Hosting;

public sealed class DataDirectoryLockTests
{
    // A copied config with other ports and the same DataDirectory, as in the incident.
    private static readonly Dictionary<string, string> OtherPorts = new()
    {
        ["KPNODE_Node__PeerEndpoint"] = "127.0.0.1:0",
        ["KPNODE_Node__LocalEndpoint"] = "127.0.0.1:0",
        ["KPNODE_Node__Operations__Endpoint"] = "127.0.0.1:0",
    };

    [Fact]
    public async Task A_second_kpnode_run_on_the_same_data_directory_is_refused_naming_it_and_the_holders_PID_while_the_first_stays_healthy()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["ZA"].StopAsync();
        var config = net["ZA"].Config;
        using var first = await ChildNode.StartAsync(net["ZA"]);

        var (exit, output) = await ConfigFolder.RunRefusedAsync(config.FilePath, OtherPorts);

        Assert.Equal(KpNodeCli.ConfigurationUnusable, exit);
        Assert.Contains($"Node:DataDirectory: the data directory {config.Options.DataDirectory} is in use by another kpnode process (PID {first.Pid})", output);
        ConfigFolder.AssertNoStackTrace(output);
        // The CLI reaches the first through its Local API and takes no lock; the first still answers and issues.
        var health = await KpNodeProcess.RunAsync("health", "--config", config.FilePath);
        Assert.True(health.ExitCode == 0, health.Stderr);
        var issued = await net["ZA"].Client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = DemoDrafts.Draft("ZA", "BE") });
        Assert.StartsWith("ZA-", issued.Record.Certificate.Number, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_kill_9_of_the_holder_the_kernel_has_released_the_lock_and_a_new_node_starts_on_the_same_directory()
    {
        await using var net = await TestNetwork.StartAsync("ZA");
        await net["ZA"].StopAsync();
        using (var holder = await ChildNode.StartAsync(net["ZA"]))
        {
            holder.Kill();
        }

        using var next = await ChildNode.StartAsync(net["ZA"]);
        var status = await net["ZA"].Client.Api.GetStatusAsync(new GetStatusRequest());
        Assert.Equal("ZA", status.Participant);
    }

    [Fact]
    public async Task A_second_node_in_the_same_process_is_refused_too_and_a_stopped_node_frees_the_directory()
    {
        await using var net = await TestNetwork.StartAsync("ZA");
        var second = NodeConfig.Load(net["ZA"].Config.FilePath, [new("Node:PeerEndpoint", "127.0.0.1:0"), new("Node:LocalEndpoint", "127.0.0.1:0")]);

        var e = await Assert.ThrowsAsync<ConfigurationProblemException>(() => NodeHost.StartAsync(second, new NodeHostSettings { ConfigureLogging = _ => { } }));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:DataDirectory:", StringComparison.Ordinal) && p.Contains($"PID {Environment.ProcessId}", StringComparison.Ordinal));

        await net["ZA"].StopAsync();
        Assert.False(File.Exists(Path.Combine(second.Options.DataDirectory, DataDirectoryLock.PidFileName)));
        await using var started = await NodeHost.StartAsync(second, new NodeHostSettings { ConfigureLogging = _ => { } });
    }
}
