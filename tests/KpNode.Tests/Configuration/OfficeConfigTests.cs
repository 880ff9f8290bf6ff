using System.Text.Json.Nodes;
using KpNode.Configuration;

namespace KpNode.Tests.Configuration;

/// <summary>Node:Offices and a partner's Offices are checked at start: each office its code, authority and own number prefix.</summary>
public sealed class OfficeConfigTests : IDisposable
{
    private readonly ConfigFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static JsonObject Office(string code, string authority, string prefix) =>
        new() { ["Code"] = code, ["ExportingAuthority"] = authority, ["NumberPrefix"] = prefix };

    [Fact]
    public void Offices_with_a_bad_code_a_shared_prefix_a_prefix_not_issued_or_no_authority_are_refused_naming_each_key()
    {
        var config = ConfigFolder.Valid();
        config["Node"]!["IssuingPrefixes"] = new JsonArray("ZA", "ZB");
        config["Node"]!["Offices"] = new JsonArray(
            Office("ZA-KIMBERLEY", "SADPMR Kimberley", "ZA"),
            Office("za-durban", "SADPMR Durban", "ZB"),
            Office("ZA-JOBURG", "SADPMR Johannesburg", "ZA"),
            Office("ZA-CAPE", "", "ZC"));
        config["Node"]!["Partners"]![0]!["Offices"] = new JsonArray(Office("BE-ANTWERP", "Diamond Office", "BE"), Office("BE-ANTWERP", "Again", "BX"));

        var e = Assert.Throws<ConfigurationProblemException>(() => NodeConfig.Load(_folder.Write(config)));

        Assert.Contains(e.Problems, p => p.StartsWith("Node:Offices:1:Code: 'za-durban' is not an office code", StringComparison.Ordinal));
        Assert.Contains("Node:Offices:2:NumberPrefix: ZA is already office ZA-KIMBERLEY's; each office numbers with a prefix of its own", e.Problems);
        Assert.Contains(e.Problems, p => p.StartsWith("Node:Offices:3:ExportingAuthority: required", StringComparison.Ordinal));
        Assert.Contains("Node:Offices:3:NumberPrefix: ZC is not among Node:IssuingPrefixes; add it there", e.Problems);
        Assert.Contains("Node:Partners:0:Offices:1:Code: office BE-ANTWERP is listed twice", e.Problems);
    }

    [Fact]
    public void A_well_formed_list_of_offices_is_bound_as_written()
    {
        var config = ConfigFolder.Valid();
        config["Node"]!["IssuingPrefixes"] = new JsonArray("ZA", "ZB");
        config["Node"]!["Offices"] = new JsonArray(Office("ZA-KIMBERLEY", "SADPMR Kimberley", "ZA"), Office("ZA-DURBAN", "SADPMR Durban", "ZB"));

        var loaded = NodeConfig.Load(_folder.Write(config));

        Assert.Equal(["ZA-KIMBERLEY", "ZA-DURBAN"], loaded.Options.Offices.Select(o => o.Code));
        Assert.Equal("ZB", loaded.Options.Offices[1].NumberPrefix);
    }
}
