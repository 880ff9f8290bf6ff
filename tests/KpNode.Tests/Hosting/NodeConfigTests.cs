using System.Text.Json.Nodes;
using KpNode.Configuration;
using KpNode.Hosting;
using KpNode.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KpNode.Tests.Hosting;

public sealed class NodeConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kpnode-config-").FullName;

    public NodeConfigTests()
    {
        using var za = DevPki.Create("ZA", [], DateTimeOffset.UtcNow);
        using var be = DevPki.Create("BE", [], DateTimeOffset.UtcNow);
        PkiFiles.Write(Path.Combine(_dir, "pki", "za"), za);
        PkiFiles.Write(Path.Combine(_dir, "pki", "be"), be);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonObject Valid() => new()
    {
        ["Node"] = new JsonObject
        {
            ["Participant"] = "ZA",
            ["ExportingAuthority"] = "KP authority of ZA",
            ["IssuingPrefixes"] = new JsonArray("ZA"),
            ["DataDirectory"] = "data",
            ["PkiDirectory"] = "pki/za",
            ["PeerEndpoint"] = "127.0.0.1:0",
            ["LocalEndpoint"] = "127.0.0.1:0",
            ["Partners"] = new JsonArray(new JsonObject
            {
                ["Participant"] = "BE",
                ["Address"] = "https://localhost:7201",
                ["RootCertificate"] = "pki/be/root.crt",
            }),
        },
    };

    private string Write(JsonObject config)
    {
        var path = Path.Combine(_dir, "node.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    [Fact]
    public void A_valid_file_loads_with_paths_relative_to_the_file()
    {
        var config = NodeConfig.Load(Write(Valid()));
        Assert.Equal("ZA", config.Participant);
        Assert.Equal(Path.Combine(_dir, "data"), config.Options.DataDirectory);
        Assert.Equal(Path.Combine(_dir, "pki", "be", "root.crt"), config.Options.Partners[0].RootCertificate);
        Assert.Equal(new ListenAddress("127.0.0.1", 0), config.PeerListen);
    }

    [Fact]
    public void Every_bad_key_is_named_at_once()
    {
        var config = Valid();
        var node = config["Node"]!.AsObject();
        node["Participant"] = "za";
        node["PeerEndpoint"] = "somewhere:99999";
        node["IssuingPrefixes"] = new JsonArray("z");
        node["Partners"]!.AsArray().Add(new JsonObject
        {
            ["Participant"] = "BE",
            ["Address"] = "http://localhost:1",
            ["RootCertificate"] = "pki/xx/root.crt",
        });

        var e = Assert.Throws<ConfigurationProblemException>(() => NodeConfig.Load(Write(config)));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:Participant:"));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:PeerEndpoint:"));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:IssuingPrefixes:0:"));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:Partners:1:Participant:") && p.Contains("twice"));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:Partners:1:Address:"));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:Partners:1:RootCertificate:") && p.Contains("does not exist"));
    }

    [Fact]
    public void A_partner_standing_is_bound_as_its_enum_and_a_wrong_one_is_named_with_the_other_problems()
    {
        var config = Valid();
        config["Node"]!["Partners"]![0]!["Standing"] = "partial";
        config["Node"]!["Partners"]![0]!["PermittedOriginZones"] = new JsonArray("Kimberley");
        Assert.Equal(KpNode.Domain.PartnerStanding.Partial, NodeConfig.Load(Write(config)).Options.Partners[0].Standing);

        config["Node"]!["Partners"]![0]!["Standing"] = "Friendly";
        config["Node"]!["Participant"] = "za";
        var e = Assert.Throws<ConfigurationProblemException>(() => NodeConfig.Load(Write(config)));
        Assert.Contains(e.Problems, p => p == "Node:Partners:0:Standing: 'Friendly' is not Active, Suspended or Partial");
        Assert.Contains(e.Problems, p => p.StartsWith("Node:Participant:"));
    }

    [Fact]
    public void Each_section_is_validated_when_the_node_starts_and_the_failure_names_the_key()
    {
        var config = NodeConfig.Load(Write(Valid()));
        var services = new ServiceCollection().AddNodeOptions(config);
        services.Configure<DeliveryOptions>(d => d.QuickRetries = 99);
        services.Configure<OperationsOptions>(o => o.LogFormat = (LogFormat)7);
        services.Configure<NodeOptions>(o => o.MaxValidityDays = 0);
        using var provider = services.BuildServiceProvider();

        var e = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var failures = (e is AggregateException all ? all.InnerExceptions : [e]).Cast<OptionsValidationException>().SelectMany(f => f.Failures).ToList();
        Assert.Contains("Node:Delivery:QuickRetries: must be 0..10", failures);
        Assert.Contains("Node:Operations:LogFormat: '7' is not one of simple, json", failures);
        Assert.Contains(failures, f => f.StartsWith("Node:MaxValidityDays: 0"));
        // Bound sections carry paths resolved against the file, as NodeConfig does.
        using var valid = new ServiceCollection().AddNodeOptions(config).BuildServiceProvider();
        Assert.Equal(config.Options.PkiDirectory, valid.GetRequiredService<IOptions<NodeOptions>>().Value.PkiDirectory);
    }

    [Fact]
    public void Environment_style_overrides_win_over_the_file()
    {
        var config = NodeConfig.Load(Write(Valid()), [new("Node:PeerEndpoint", "[::1]:7555")]);
        Assert.Equal(new ListenAddress("::1", 7555), config.PeerListen);
    }

    [Fact]
    public async Task A_partner_root_that_is_not_a_CA_stops_the_node_naming_the_key()
    {
        var config = Valid();
        config["Node"]!["Partners"]![0]!["RootCertificate"] = "pki/be/node.crt";
        var e = await Assert.ThrowsAsync<ConfigurationProblemException>(() => NodeHost.StartAsync(NodeConfig.Load(Write(config))));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:Partners:0:RootCertificate:"));
    }

    [Fact]
    public async Task A_PKI_folder_of_another_participant_stops_the_node()
    {
        var config = Valid();
        config["Node"]!["PkiDirectory"] = "pki/be";
        config["Node"]!["Partners"]![0]!["Participant"] = "AE";
        var e = await Assert.ThrowsAsync<ConfigurationProblemException>(() => NodeHost.StartAsync(NodeConfig.Load(Write(config))));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:PkiDirectory:") && p.Contains("BE"));
    }

    [Fact]
    public async Task A_port_in_use_stops_the_node_with_a_clear_message()
    {
        using var blocker = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((System.Net.IPEndPoint)blocker.LocalEndpoint).Port;
        var config = Valid();
        config["Node"]!["PeerEndpoint"] = $"127.0.0.1:{port}";
        var e = await Assert.ThrowsAsync<ConfigurationProblemException>(() =>
            NodeHost.StartAsync(NodeConfig.Load(Write(config)), new NodeHostSettings { ConfigureLogging = _ => { } }));
        Assert.Contains("already in use", e.Message);
    }
}
