using System.Net;
using System.Net.Sockets;
using KpNode.Cli;
using KpNode.Configuration;
using KpNode.Hosting;
using KpNode.Tests.Configuration;
using KpNode.Trust;

namespace KpNode.Tests.Hosting;

/// <summary>`kpnode run` refuses a configuration it cannot use with words and exit code 2, never a stack trace.</summary>
public sealed class StartupErrorTests : IDisposable
{
    private readonly ConfigFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Two_endpoints_of_one_config_on_the_same_port_are_named_by_both_keys_without_a_stack_trace()
    {
        var port = FreePort();
        var config = ConfigFolder.Valid();
        config["Node"]!["PeerEndpoint"] = $"127.0.0.1:{port}";
        config["Node"]!["Operations"] = new System.Text.Json.Nodes.JsonObject { ["Endpoint"] = $"127.0.0.1:{port}" };

        var (exit, output) = await ConfigFolder.RunRefusedAsync(_folder.Write(config));

        Assert.Equal(KpNodeCli.ConfigurationUnusable, exit);
        Assert.Contains($"Error: The node configuration {Path.Combine(_folder.Dir, "node.json")} cannot be used", output);
        Assert.Contains($"Node:Operations:Endpoint: 127.0.0.1:{port} uses the same port as Node:PeerEndpoint (127.0.0.1:{port}); give each endpoint its own port", output);
        Assert.DoesNotContain("another process", output);
        ConfigFolder.AssertNoStackTrace(output);
    }

    [Theory]
    [InlineData("0.0.0.0", "127.0.0.1", true)]
    [InlineData("localhost", "127.0.0.1", true)]
    [InlineData("::", "127.0.0.1", true)]
    [InlineData("::1", "127.0.0.1", false)]
    [InlineData("127.0.0.1", "127.0.0.2", false)]
    public void Endpoints_clash_when_their_port_is_the_same_on_overlapping_addresses(string peerHost, string localHost, bool clash)
    {
        var options = new NodeOptions
        {
            PeerEndpoint = $"{(peerHost.Contains(':') ? $"[{peerHost}]" : peerHost)}:7101",
            LocalEndpoint = $"{localHost}:7101",
        };

        Assert.Equal(clash, EndpointClashes.Check(options).Any());
        Assert.Empty(EndpointClashes.Check(new NodeOptions { PeerEndpoint = "127.0.0.1:0", LocalEndpoint = "127.0.0.1:0" }));
    }

    [Fact]
    public async Task A_port_held_by_another_process_names_its_key_and_says_so_without_a_stack_trace()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var config = ConfigFolder.Valid();
        config["Node"]!["LocalEndpoint"] = $"127.0.0.1:{port}";

        var (exit, output) = await ConfigFolder.RunRefusedAsync(_folder.Write(config));

        Assert.Equal(KpNodeCli.ConfigurationUnusable, exit);
        Assert.Contains($"Node:LocalEndpoint (127.0.0.1:{port}): port {port} is already in use by another process; stop that process or choose another port", output);
        ConfigFolder.AssertNoStackTrace(output);
    }

    [Fact]
    public async Task A_node_refused_for_a_port_in_use_releases_its_data_directory()
    {
        var config = ConfigFolder.Valid();
        using (var blocker = new TcpListener(IPAddress.Loopback, 0))
        {
            blocker.Start();
            config["Node"]!["PeerEndpoint"] = $"127.0.0.1:{((IPEndPoint)blocker.LocalEndpoint).Port}";
            var blocked = NodeConfig.Load(_folder.Write(config));
            await Assert.ThrowsAsync<ConfigurationProblemException>(() => NodeHost.StartAsync(blocked, new NodeHostSettings { ConfigureLogging = _ => { } }));
        }

        config["Node"]!["PeerEndpoint"] = "127.0.0.1:0";
        await using var node = await NodeHost.StartAsync(NodeConfig.Load(_folder.Write(config)), new NodeHostSettings { ConfigureLogging = _ => { } });
    }

    [Fact]
    public async Task A_JSON_syntax_error_names_the_file_line_and_column_without_a_stack_trace()
    {
        var path = _folder.Write("""
            {
              "Node": {
                "Participant": "ZA" "IssuingPrefixes": ["ZA"]
              }
            }
            """);

        var (exit, output) = await ConfigFolder.RunRefusedAsync(path);

        Assert.Equal(KpNodeCli.ConfigurationUnusable, exit);
        Assert.Contains($"{path}: line 3, column 25: the file is not valid JSON", output);
        ConfigFolder.AssertNoStackTrace(output);
    }

    [Fact]
    public async Task Own_credentials_that_break_a_rule_stop_kpnode_run_naming_the_file_without_a_stack_trace()
    {
        File.Copy(Path.Combine(_folder.ZaPki, PkiFiles.OperatorCertificate), Path.Combine(_folder.ZaPki, PkiFiles.NodeCertificate), overwrite: true);
        File.Copy(Path.Combine(_folder.ZaPki, PkiFiles.OperatorKey), Path.Combine(_folder.ZaPki, PkiFiles.NodeKey), overwrite: true);

        var (exit, output) = await ConfigFolder.RunRefusedAsync(_folder.Write(ConfigFolder.Valid()));

        Assert.Equal(KpNodeCli.ConfigurationUnusable, exit);
        Assert.Contains($"{Path.Combine(_folder.ZaPki, PkiFiles.NodeCertificate)} is not a TLS server certificate", output);
        ConfigFolder.AssertNoStackTrace(output);
    }
}
