using KpNode.Configuration;

namespace KpNode.Tests.Hosting;

/// <summary>The options behind the rules at issue and receipt: the competent authority, back-dating, partners' announced authorities.</summary>
public sealed class CertificateRuleOptionsTests
{
    private static NodeOptions Valid() => new()
    {
        Participant = "ZA",
        ExportingAuthority = "South African Diamond and Precious Metals Regulator",
        IssuingPrefixes = ["ZA"],
        DataDirectory = "data",
        PkiDirectory = Path.GetTempPath(),
        PeerEndpoint = "127.0.0.1:0",
        LocalEndpoint = "127.0.0.1:0",
    };

    [Fact]
    public void The_exporting_authority_is_required_and_obeys_the_free_text_rule()
    {
        Assert.Empty(NodeOptionsValidator.Check(Valid()));
        Assert.Contains(NodeOptionsValidator.Check(Valid().With(o => o.ExportingAuthority = " ")),
            p => p.StartsWith("Node:ExportingAuthority: required"));
        Assert.Contains(NodeOptionsValidator.Check(Valid().With(o => o.ExportingAuthority = "Regulator\u202E")),
            p => p.StartsWith("Node:ExportingAuthority: there is an invisible control character"));
        Assert.Contains(NodeOptionsValidator.Check(Valid().With(o => o.ExportingAuthority = new string('A', 201))),
            p => p.StartsWith("Node:ExportingAuthority: too long"));
    }

    [Fact]
    public void The_back_dating_window_is_zero_by_default_and_never_negative()
    {
        Assert.Equal(0, new NodeOptions().BackdatingDays);
        Assert.Contains(NodeOptionsValidator.Check(Valid().With(o => o.BackdatingDays = -1)), p => p.StartsWith("Node:BackdatingDays: -1"));
        Assert.DoesNotContain(NodeOptionsValidator.Check(Valid().With(o => o.BackdatingDays = 3)), p => p.StartsWith("Node:BackdatingDays"));
    }

    [Fact]
    public void The_shipped_configs_announce_each_partners_authority_as_that_partner_names_itself()
    {
        var dir = Path.Combine(Cli.KpNodeProcess.RepoRoot(), "node-config");
        var own = new Dictionary<string, string>();
        var ownOffices = new Dictionary<string, string>();
        var announced = new List<(string Partner, string? Authority, string Offices)>();
        // An office is written "CODE=PREFIX=AUTHORITY", so a partner's list must match the participant's own exactly.
        static string Offices(System.Text.Json.Nodes.JsonNode? list) =>
            string.Join("; ", list?.AsArray().Select(o => $"{o!["Code"]}={o["NumberPrefix"]}={o["ExportingAuthority"]}") ?? []);
        foreach (var file in new[] { "za.json", "be.json", "ae.json", "eu.json" })
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, file)))!["Node"]!;
            own[(string)node["Participant"]!] = (string)node["ExportingAuthority"]!;
            ownOffices[(string)node["Participant"]!] = Offices(node["Offices"]);
            announced.AddRange(node["Partners"]!.AsArray().Select(p => ((string)p!["Participant"]!, (string?)p["ExportingAuthority"], Offices(p["Offices"]))));
        }

        Assert.NotEmpty(announced);
        // A participant with offices is announced by its offices' authorities; any other by its own authority.
        Assert.All(announced, a => Assert.Equal(ownOffices[a.Partner].Length > 0 ? null : own[a.Partner], a.Authority));
        Assert.All(announced, a => Assert.Equal(ownOffices[a.Partner], a.Offices));
        Assert.Contains(announced, a => a.Offices.Length > 0);
    }
}

internal static class NodeOptionsChange
{
    public static NodeOptions With(this NodeOptions options, Action<NodeOptions> change)
    {
        change(options);
        return options;
    }
}
