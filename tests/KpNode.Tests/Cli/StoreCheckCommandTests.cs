using System.Text.Json;
using KpNode.Tests.Exchange;

namespace KpNode.Tests.Cli;

/// <summary><c>kpnode store check</c> against a real node's store: refused while the node runs, its answers and exit codes.</summary>
public sealed class StoreCheckCommandTests
{
    [Fact]
    public async Task Store_check_refuses_to_open_the_store_of_a_running_node()
    {
        await using var network = await TestNetwork.StartAsync("ZA", "BE");
        await network.DeliverAsync("ZA", "BE");

        var run = await KpNodeProcess.RunAsync("store", "check", "--config", network["ZA"].Config.FilePath);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("the node is running", run.Stderr);
        Assert.Contains($"PID {Environment.ProcessId}", run.Stderr);
    }

    [Fact]
    public async Task Store_check_of_an_intact_store_exits_0_and_counts_every_record_in_its_json()
    {
        await using var network = await TestNetwork.StartAsync("ZA", "BE");
        await network.DeliverAsync("ZA", "BE");
        await network.DeliverAsync("BE", "ZA");
        await network["ZA"].StopAsync();

        var run = await KpNodeProcess.RunAsync("store", "check", "--config", network["ZA"].Config.FilePath, "--json");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(2, json.RootElement.GetProperty("certificates").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("messages").GetInt64());
        Assert.True(json.RootElement.GetProperty("auditEntries").GetInt64() >= 2);
        Assert.Equal(0, json.RootElement.GetProperty("damaged").GetArrayLength());
        Assert.False(json.RootElement.TryGetProperty("rebuilt", out _));

        // --rebuild of an intact store writes nothing: there is nothing to leave out.
        var rebuild = await KpNodeProcess.RunAsync("store", "check", "--config", network["ZA"].Config.FilePath, "--rebuild");
        Assert.True(rebuild.ExitCode == 0, rebuild.Stdout + rebuild.Stderr);
        Assert.Contains("Every record reads and verifies.", rebuild.Stdout);
        Assert.Empty(Directory.GetFiles(network["ZA"].Config.Options.DataDirectory, "kpnode.db.damaged-*"));
    }

    [Fact]
    public async Task Store_check_without_a_store_says_so()
    {
        await using var network = await TestNetwork.StartAsync("ZA", "BE");
        await network["ZA"].StopAsync();
        File.Delete(Path.Combine(network["ZA"].Config.Options.DataDirectory, "kpnode.db"));

        var run = await KpNodeProcess.RunAsync("store", "check", "--config", network["ZA"].Config.FilePath);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("There is no store at", run.Stderr);
    }
}
