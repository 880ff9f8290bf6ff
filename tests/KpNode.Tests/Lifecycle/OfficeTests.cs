using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using KpNode.Cli;
using KpNode.Configuration;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

/// <summary>
/// One participant with several issuing offices (the EU's Union authorities): each office numbers and signs its own
/// certificates, its operators act for it alone, and a partner checks that an office of that participant signed.
/// </summary>
public sealed class OfficeTests : IAsyncLifetime
{
    private const string Idar = "DE-IDAR-OBERSTEIN";
    private const string Prague = "CZ-PRAGUE";
    private const string IdarAuthority = "Zollamt Idar-Oberstein (EU Union authority)";
    private const string PragueAuthority = "Celní úřad Praha (EU Union authority)";

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<OfficeOptions>> Offices = new Dictionary<string, IReadOnlyList<OfficeOptions>>
    {
        ["EU"] =
        [
            new() { Code = Idar, ExportingAuthority = IdarAuthority, NumberPrefix = "DE" },
            new() { Code = Prague, ExportingAuthority = PragueAuthority, NumberPrefix = "CZ" },
        ],
    };

    private TestNetwork _net = null!;
    private LocalApiClient _weber = null!;

    public async Task InitializeAsync()
    {
        _net = await TestNetwork.StartAsync(["EU", "ZA"], null, Offices);
        _weber = LocalApiClient.Connect(_net["EU"].Config, operatorDirectory: _net.OfficeOperator("EU", Idar, "k.weber", "K. Weber"));
    }

    public async Task DisposeAsync()
    {
        _weber.Dispose();
        await _net.DisposeAsync();
    }

    [Fact]
    public async Task An_office_operator_issues_in_the_offices_name_and_numbering_with_its_own_key_and_the_partner_shows_the_office()
    {
        var issued = (await _weber.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = DemoDrafts.Draft("EU", "ZA") })).Record;

        Assert.StartsWith($"DE-{DateTime.UtcNow.Year}-", issued.Certificate.Number);
        Assert.Equal(Idar, issued.Certificate.IssuingOffice);
        Assert.Equal(IdarAuthority, issued.Certificate.ExportingAuthority);
        var atZa = await _net.WaitForAsync("ZA", issued.Certificate.Number, r => r.Status == CertificateStatus.Received);
        Assert.Equal(Idar, atZa.Certificate.IssuingOffice);
        using var signer = SignerOf(atZa.CertificateEnvelope);
        Assert.Equal(Idar, ParticipantIdentity.OfficeFromCertificate(signer));
        Assert.Equal("EU", ParticipantIdentity.FromCertificate(signer));
        using var officeKey = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_net.PkiDir("EU"), "offices", Idar, "signing.crt"));
        Assert.Equal(officeKey.Thumbprint, signer.Thumbprint);

        // ZA's import confirmation comes back to the office's certificate.
        await _net.ConfirmAsync("ZA", issued.Certificate.Number);
        await _net.WaitForAsync("EU", issued.Certificate.Number, r => r.Status == CertificateStatus.Confirmed);
    }

    [Fact]
    public async Task An_office_operator_cannot_issue_for_another_office_and_nothing_is_numbered_or_stored()
    {
        var draft = DemoDrafts.Draft("EU", "ZA");
        draft.IssuingOffice = Prague;

        var e = await Assert.ThrowsAsync<RpcException>(() => _weber.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "issuingOffice");
        Assert.Contains($"you act for office {Idar} only, not {Prague}", violation.Description);
        Assert.Equal(0, _net.Store("EU").CountCertificatesByStatus().Values.Sum());
        // The Prague sequence was never touched: its first certificate is still number 1.
        var prague = (await _net["EU"].Client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft })).Record;
        Assert.Equal($"CZ-{DateTime.UtcNow.Year}-000001", prague.Certificate.Number);
        Assert.Equal(PragueAuthority, prague.Certificate.ExportingAuthority);
    }

    [Fact]
    public async Task A_participant_operator_names_the_office_and_a_draft_naming_none_or_an_unknown_one_is_refused()
    {
        var api = _net["EU"].Client.Api;
        var none = await Assert.ThrowsAsync<RpcException>(() => api.IssueCertificateAsync(new IssueCertificateRequest { Draft = DemoDrafts.Draft("EU", "ZA") }).ResponseAsync);
        Assert.Contains($"issuingOffice: name the issuing office: one of {Idar}, {Prague}", none.Status.Detail);

        var unknown = DemoDrafts.Draft("EU", "ZA");
        unknown.IssuingOffice = "IT-TORINO";
        var e = await Assert.ThrowsAsync<RpcException>(() => api.IssueCertificateAsync(new IssueCertificateRequest { Draft = unknown }).ResponseAsync);
        Assert.Contains("'IT-TORINO' is not one of this node's offices", e.Status.Detail);

        var wrongAuthority = DemoDrafts.Draft("EU", "ZA");
        wrongAuthority.IssuingOffice = Prague;
        wrongAuthority.ExportingAuthority = IdarAuthority;
        var authority = await Assert.ThrowsAsync<RpcException>(() => api.IssueCertificateAsync(new IssueCertificateRequest { Draft = wrongAuthority }).ResponseAsync);
        Assert.Contains($"exportingAuthority: must be {PragueAuthority} (office {Prague}'s competent authority)", authority.Status.Detail);

        var wrongPrefix = DemoDrafts.Draft("EU", "ZA");
        wrongPrefix.IssuingOffice = Prague;
        wrongPrefix.Number = $"DE-{DateTime.UtcNow.Year}-000900";
        var prefix = await Assert.ThrowsAsync<RpcException>(() => api.IssueCertificateAsync(new IssueCertificateRequest { Draft = wrongPrefix }).ResponseAsync);
        Assert.Contains("must begin with CZ", prefix.Status.Detail);
        Assert.Equal(0, _net.Store("EU").CountCertificatesByStatus().Values.Sum());
    }

    [Fact]
    public async Task An_office_operator_sees_voids_and_counts_only_its_own_offices_certificates_and_every_one_received()
    {
        var mine = await _net.DeliverAsync("EU", "ZA", d => d.IssuingOffice = Idar);
        var theirs = await _net.DeliverAsync("EU", "ZA", d => d.IssuingOffice = Prague);
        var received = await _net.DeliverAsync("ZA", "EU");

        var listed = (await _weber.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records.Select(r => r.Certificate.Number).ToList();
        Assert.Equal([mine, received], listed.Order(StringComparer.Ordinal));
        var all = (await _net["EU"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records.Select(r => r.Certificate.Number);
        Assert.Equal(new[] { mine, theirs, received }.Order(StringComparer.Ordinal), all.Order(StringComparer.Ordinal));
        var pragueView = (await _net["EU"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest { Office = Prague })).Records.Select(r => r.Certificate.Number);
        Assert.Equal(new[] { theirs, received }.Order(StringComparer.Ordinal), pragueView.Order(StringComparer.Ordinal));

        var get = await Assert.ThrowsAsync<RpcException>(() => _weber.Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = theirs }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, get.StatusCode);
        Assert.Contains($"was issued by {Prague}", get.Status.Detail);
        var voiding = await Assert.ThrowsAsync<RpcException>(() => _weber.Api.VoidCertificateAsync(
            new VoidCertificateRequest { CertificateNumber = theirs, Reason = "shipment not sent" }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, voiding.StatusCode);
        Assert.Contains($"you act for office {Idar} only", voiding.Status.Detail);
        Assert.Equal(CertificateStatus.Delivered, (await _net.FindAsync("EU", theirs))!.Status);

        // The office voids its own; the void is signed by the office's key, as its certificate was.
        await _weber.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = mine, Reason = "shipment not sent" });
        var voided = await _net.WaitForAsync("ZA", mine, r => r.Status == CertificateStatus.Voided);
        using (var voidSigner = SignerOf(voided.VoidEnvelope))
            Assert.Equal(Idar, ParticipantIdentity.OfficeFromCertificate(voidSigner));

        var quarter = StatsCommand.CurrentQuarter(DateTime.UtcNow);
        var stats = await _net["EU"].Client.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = quarter });
        // The voided one is not trade: Prague's export remains, with the import from ZA.
        Assert.Equal([(Prague, "ZA", 1L)], stats.OfficeTotals.Select(r => (r.Office, r.Partner, r.Certificates)));
        var office = await _weber.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = quarter });
        Assert.Equal(Idar, office.Office);
        Assert.DoesNotContain(office.FlowTotals, r => r.Flow == TradeFlow.Export);
        Assert.Equal(1, office.FlowTotals.Single(r => r.Flow == TradeFlow.Import).Certificates);
        var other = await Assert.ThrowsAsync<RpcException>(() => _weber.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = quarter, Office = Prague }).ResponseAsync);
        Assert.Contains($"office: you act for office {Idar} only", other.Status.Detail);

        var status = await _net["EU"].Client.Api.GetStatusAsync(new GetStatusRequest());
        var counts = status.Offices.ToDictionary(o => o.Office, o => o.CertificateCounts.ToDictionary(c => c.Status, c => c.Count));
        Assert.Equal(1, counts[Idar][CertificateStatus.Voided]);
        Assert.Equal(1, counts[Prague][CertificateStatus.Delivered]);
        Assert.Equal(1, counts[Prague].Values.Sum());
    }

    [Fact]
    public async Task A_partner_refuses_a_certificate_whose_office_is_not_the_one_that_signed_it_or_not_one_it_knows_and_stores_nothing()
    {
        using var eu = _net.Credentials("EU");
        var peer = _net.DialPeer("ZA", eu.NodeTls, _net.RootOf("ZA"));

        // Signed by Idar-Oberstein's key but naming Prague as its office.
        using var idarSigner = new EnvelopeSigner(eu.DocumentSigning, offices: eu.OfficeSigning);
        var claimsPrague = CertificateIssuedBy(Prague, PragueAuthority, $"CZ-{DateTime.UtcNow.Year}-000501");
        var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(new DeliverRequest
        {
            Envelope = idarSigner.Sign(PayloadTypes.CertificateIssued, claimsPrague.ToByteArray(), Idar),
        }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains($"certificate.issuingOffice: the certificate names office {Prague}, but office {Idar} signed it", e.Status.Detail);

        // Naming an office, but signed with the key of the participant as a whole.
        var e2 = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(new DeliverRequest
        {
            Envelope = idarSigner.Sign(PayloadTypes.CertificateIssued, claimsPrague.ToByteArray()),
        }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, e2.StatusCode);
        Assert.Contains("an office's certificate is signed by that office's key", e2.Status.Detail);

        // An office the EU's root vouches for, but not one ZA was told of (Node:Partners:N:Offices).
        using var root = PkiFiles.LoadRootWithKey(Path.Combine(_net.PkiDir("EU"), "root.crt"), Path.Combine(_net.PkiDir("EU"), "root.key"));
        using var torino = CertificateAuthority.IssueLeaf(root, "EU", LeafKind.DocumentSigning, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30),
            office: "IT-TORINO");
        using var torinoSigner = new EnvelopeSigner(eu.DocumentSigning, offices: new Dictionary<string, X509Certificate2> { ["IT-TORINO"] = torino });
        var e3 = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(new DeliverRequest
        {
            Envelope = torinoSigner.Sign(PayloadTypes.CertificateIssued, CertificateIssuedBy("IT-TORINO", "Torino", $"IT-{DateTime.UtcNow.Year}-000001").ToByteArray(), "IT-TORINO"),
        }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, e3.StatusCode);
        Assert.Contains($"signed by office IT-TORINO, which is not one of EU's offices ({Idar}, {Prague}; Node:Partners:", e3.Status.Detail);

        // The office's own authority is the one its certificates must name: a signed rejection, the certificate not taken.
        var wrongAuthority = CertificateIssuedBy(Idar, PragueAuthority, $"DE-{DateTime.UtcNow.Year}-000502");
        var answer = await peer.DeliverAsync(new DeliverRequest { Envelope = idarSigner.Sign(PayloadTypes.CertificateIssued, wrongAuthority.ToByteArray(), Idar) });
        var receipt = Receipt.Parser.ParseFrom(new EnvelopeVerifier(new TrustChain()).Verify(answer.Receipt, [_net.RootOf("ZA")], DateTimeOffset.UtcNow).Payload.Span);
        Assert.Equal(ReceiptOutcome.Rejected, receipt.Outcome);
        Assert.Contains($"is not the competent authority of EU's office {Idar}", receipt.ReasonText);
        Assert.Equal(0, _net.Store("ZA").CountCertificatesByStatus().Values.Sum());
    }

    [Fact]
    public async Task A_node_whose_office_has_no_signing_key_does_not_start_and_says_how_to_make_one()
    {
        await _net["EU"].StopAsync();
        Directory.Delete(Path.Combine(_net.PkiDir("EU"), "offices", Prague), recursive: true);

        var e = await Assert.ThrowsAsync<ConfigurationProblemException>(() => _net.RestartAsync("EU", []));

        Assert.Contains(Path.Combine(_net.PkiDir("EU"), "offices", Prague, "signing.crt") + " is missing", e.Message);
        Assert.Contains($"kpnode pki request --purpose signing --office {Prague} --pki", e.Message);
    }

    private static X509Certificate2 SignerOf(ByteString envelope) =>
        X509CertificateLoader.LoadCertificate(Envelope.Parser.ParseFrom(envelope).Signatures[0].X5C[0].Span);

    private static CertificateIssued CertificateIssuedBy(string office, string authority, string number)
    {
        var certificate = DemoDrafts.Draft("EU", "ZA");
        certificate.Number = number;
        certificate.IssuingOffice = office;
        certificate.ExportingParticipant = "EU";
        certificate.ExportingAuthority = authority;
        certificate.DateOfIssue = DateTime.UtcNow.ToString("yyyy-MM-dd");
        certificate.DateOfExpiry = DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd");
        return new CertificateIssued
        {
            Header = new MessageHeader { MessageId = Guid.NewGuid().ToString(), Sender = "EU", Receiver = "ZA", CreatedAt = Timestamp.FromDateTime(DateTime.UtcNow) },
            Certificate = certificate,
        };
    }
}
