using System.Text.Json.Nodes;
using KpNode.Cli;
using KpNode.Configuration;
using KpNode.Domain;
using KpNode.Tests.Domain;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Configuration;

public sealed class AdmittedParticipantsTests : IDisposable
{
    private const string NotInTheTable = "KE";

    private static readonly KeyValuePair<string, string?>[] AdmitKenya =
    [
        new("Node:AdmittedParticipants:0:Code", NotInTheTable),
        new("Node:AdmittedParticipants:0:Name", "Kenya"),
        new("Node:AdmittedParticipants:0:Admitted", "2027-03-01"),
    ];

    private readonly ConfigFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void The_built_in_table_holds_no_admitted_code_used_here()
    {
        Assert.False(KpParticipants.IsKnown(NotInTheTable));
    }

    [Fact]
    public void A_partner_code_outside_the_KP_table_is_refused_at_start_naming_the_key()
    {
        var config = ConfigFolder.Valid();
        config["Node"]!["Partners"]!.AsArray().Add(new JsonObject
        {
            ["Participant"] = "AE",
            ["Address"] = "https://localhost:7301",
            ["RootCertificate"] = "pki/be/root.crt",
        });
        config["Node"]!["Partners"]!.AsArray().Add(new JsonObject
        {
            ["Participant"] = "XX",
            ["Address"] = "https://localhost:7401",
            ["RootCertificate"] = "pki/be/root.crt",
        });

        var e = Assert.Throws<ConfigurationProblemException>(() => NodeConfig.Load(_folder.Write(config)));

        Assert.Contains("Node:Partners:2:Participant: XX is not a KP participant; if it was admitted after this release, add it under Node:AdmittedParticipants (Code, Name, Admitted)", e.Problems);
        Assert.DoesNotContain(e.Problems, p => p.StartsWith("Node:Partners:1:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_node_for_a_code_outside_the_KP_table_is_refused_at_start_naming_the_key()
    {
        var config = ConfigFolder.Valid();
        config["Node"]!["Participant"] = "XX";
        config["Node"]!["IssuingPrefixes"] = new JsonArray("XX");

        var e = Assert.Throws<ConfigurationProblemException>(() => NodeConfig.Load(_folder.Write(config)));

        Assert.Contains(e.Problems, p => p.StartsWith("Node:Participant: XX is not a KP participant; if it was admitted after this release, add it under Node:AdmittedParticipants", StringComparison.Ordinal));
    }

    [Fact]
    public void A_participant_admitted_by_an_explicit_entry_is_accepted_as_partner_and_as_node()
    {
        var config = ConfigFolder.Valid();
        config["Node"]!["Partners"]![0]!["Participant"] = NotInTheTable;
        var asPartner = NodeConfig.Load(_folder.Write(config), AdmitKenya);
        Assert.Equal(NotInTheTable, asPartner.Options.Partners[0].Participant);
        Assert.Equal([new KpParticipant(NotInTheTable, "Kenya", ParticipantKind.Participant)], asPartner.AdmittedParticipants);

        config = ConfigFolder.Valid();
        config["Node"]!["Participant"] = NotInTheTable;
        config["Node"]!["IssuingPrefixes"] = new JsonArray(NotInTheTable);
        Assert.Equal(NotInTheTable, NodeConfig.Load(_folder.Write(config), AdmitKenya).Participant);
    }

    [Fact]
    public void An_admitted_entry_needs_a_code_a_name_and_the_date_of_admission()
    {
        var e = Assert.Throws<ConfigurationProblemException>(() => NodeConfig.Load(_folder.Write(ConfigFolder.Valid()),
        [
            new("Node:AdmittedParticipants:0:Code", "ke"),
            new("Node:AdmittedParticipants:0:Admitted", "March 2027"),
        ]));

        Assert.Contains(e.Problems, p => p.StartsWith("Node:AdmittedParticipants:0:Code: 'ke' is not a participant code", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:AdmittedParticipants:0:Name: required", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:AdmittedParticipants:0:Admitted: 'March 2027' is not a date yyyy-MM-dd", StringComparison.Ordinal));
    }

    [Fact]
    public void The_certificate_rules_accept_an_admitted_importing_participant_only_when_it_is_admitted()
    {
        var draft = Drafts.ZaToBe() with
        {
            ImportingParticipant = NotInTheTable,
            Importer = new KpNode.Domain.Party("Nairobi Rough Ltd", "Moi Avenue 1, Nairobi", NotInTheTable),
        };

        Assert.Contains(Drafts.Validate(draft, Drafts.Issuing).Violations, v => v.Field == "importingParticipant");
        var admitted = Drafts.Issuing with { AdmittedParticipants = [new KpParticipant(NotInTheTable, "Kenya", ParticipantKind.Participant)] };
        Assert.Empty(Drafts.Validate(draft, admitted).Violations);
    }

    [Fact]
    public async Task A_node_issues_to_and_receives_from_an_admitted_participant()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", NotInTheTable], AdmitKenya);
        var draft = DemoDrafts.Draft("ZA", "BE");
        draft.ImportingParticipant = NotInTheTable;
        draft.Importer = new Wire.V1.Party { Name = "Nairobi Rough Ltd", Address = "Moi Avenue 1, Nairobi", Country = NotInTheTable };

        var issued = (await net["ZA"].Client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft })).Record;

        var received = await net.WaitForAsync(NotInTheTable, issued.Certificate.Number, r => r.Status == Wire.V1.CertificateStatus.Received);
        Assert.Equal(NotInTheTable, received.Certificate.ImportingParticipant);
    }
}
