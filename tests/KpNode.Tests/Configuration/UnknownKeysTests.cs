using System.Text.Json.Nodes;
using KpNode.Cli;
using KpNode.Configuration;
using Microsoft.Extensions.Configuration;

namespace KpNode.Tests.Configuration;

public sealed class UnknownKeysTests : IDisposable
{
    private readonly ConfigFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private IReadOnlyList<string> Problems(Action<JsonObject> change)
    {
        var config = ConfigFolder.Valid();
        change(config["Node"]!.AsObject());
        return Assert.Throws<ConfigurationProblemException>(() => NodeConfig.Load(_folder.Write(config))).Problems;
    }

    private static void Rename(JsonObject section, string from, string to)
    {
        var value = section[from];
        section.Remove(from);
        section[to] = value;
    }

    [Theory]
    [InlineData("Partners", "Partner")]
    [InlineData("Partners", "Partnrs")]
    public void A_misspelt_Partners_is_named_and_the_right_key_suggested(string key, string typo)
    {
        var problems = Problems(node => Rename(node, key, typo));

        Assert.Contains($"Node:{typo}: not a known key; did you mean Node:Partners?", problems);
    }

    [Fact]
    public void A_misspelt_MaxValidityDays_is_named_and_the_right_key_suggested()
    {
        var problems = Problems(node => node["MaxValidityDay"] = 61);

        Assert.Contains("Node:MaxValidityDay: not a known key; did you mean Node:MaxValidityDays?", problems);
    }

    [Fact]
    public void Unknown_keys_inside_a_partner_and_each_section_are_named_with_their_path()
    {
        var problems = Problems(node =>
        {
            Rename(node["Partners"]![0]!.AsObject(), "Address", "Adress");
            node["Delivery"] = new JsonObject { ["AttemptTimout"] = "00:00:05" };
            node["Operations"] = new JsonObject { ["Endpont"] = "127.0.0.1:0" };
            node["TradePolicy"] = new JsonObject { ["RefusedOrigin"] = new JsonArray("KP") };
        });

        Assert.Contains("Node:Partners:0:Adress: not a known key; did you mean Node:Partners:0:Address?", problems);
        Assert.Contains("Node:Delivery:AttemptTimout: not a known key; did you mean Node:Delivery:AttemptTimeout?", problems);
        Assert.Contains("Node:Operations:Endpont: not a known key; did you mean Node:Operations:Endpoint?", problems);
        Assert.Contains("Node:TradePolicy:RefusedOrigin: not a known key; did you mean Node:TradePolicy:RefusedOrigins?", problems);
    }

    [Fact]
    public void A_key_like_no_known_one_lists_the_keys_known_there()
    {
        var problems = Problems(node => node["Partners"]![0]!["Colour"] = "blue");

        var problem = Assert.Single(problems, p => p.StartsWith("Node:Partners:0:Colour:", StringComparison.Ordinal));
        Assert.Contains("known under Node:Partners:0: Address, ExportingAuthority, NumberPrefixes, Offices, Participant", problem);
    }

    [Fact]
    public void Environment_style_overrides_go_through_the_same_check()
    {
        var e = Assert.Throws<ConfigurationProblemException>(() =>
            NodeConfig.Load(_folder.Write(ConfigFolder.Valid()), [new("Node:Partnrs:0:Participant", "AE")]));

        Assert.Contains("Node:Partnrs: not a known key; did you mean Node:Partners?", e.Problems);
    }

    [Fact]
    public async Task An_unknown_key_from_a_real_environment_variable_stops_kpnode_run_naming_it()
    {
        var (exit, output) = await ConfigFolder.RunRefusedAsync(_folder.Write(ConfigFolder.Valid()),
            new Dictionary<string, string> { ["KPNODE_Node__Operations__LogFormatt"] = "json" });

        Assert.Equal(KpNodeCli.ConfigurationUnusable, exit);
        Assert.Contains("Node:Operations:LogFormatt: not a known key; did you mean Node:Operations:LogFormat?", output);
        ConfigFolder.AssertNoStackTrace(output);
    }

    [Fact]
    public void Every_key_of_the_shipped_configs_and_every_option_is_known()
    {
        // The known keys come from the options classes by reflection: the repository's configs and a key of each section pass.
        foreach (var file in Directory.GetFiles(Path.Combine(Cli.KpNodeProcess.RepoRoot(), "node-config"), "*.json"))
        {
            var configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
            Assert.Empty(UnknownKeys.Check(configuration.GetSection("Node"), typeof(NodeOptions)));
        }

        var all = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Node:ExpiryCheckInterval"] = "01:00:00",
            ["Node:Delivery:BreakerFailureRatio"] = "0.5",
            ["Node:Operations:StatusPageRefreshSeconds"] = "15",
            ["Node:TradePolicy:RefuseMixedOrigin"] = "true",
            ["Node:Partners:0:PermittedOriginZones:0"] = "Kimberley",
            ["Node:AdmittedParticipants:0:Admitted"] = "2027-03-01",
            // The binder ignores case, and so does the check.
            ["Node:maxvaliditydays"] = "61",
        }).Build();
        Assert.Empty(UnknownKeys.Check(all.GetSection("Node"), typeof(NodeOptions)));
    }

    [Fact]
    public void A_computed_property_is_not_a_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Node:Delivery:WorstCaseDeliveryTime"] = "00:01:00",
        }).Build();

        Assert.Single(UnknownKeys.Check(configuration.GetSection("Node"), typeof(NodeOptions)));
    }
}
