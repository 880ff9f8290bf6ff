using Google.Protobuf;
using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

public sealed class ConfirmationTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE", "AE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Theory]
    [InlineData(ImportOutcome.Confirmed, CertificateStatus.Confirmed, 0, 0L, "", "")]
    [InlineData(ImportOutcome.Discrepancy, CertificateStatus.Discrepancy, 1, -2500L, "", "parcels: certificate")]
    [InlineData(ImportOutcome.Detained, CertificateStatus.Detained, 0, 0L, "seal broken at the border", "seal broken at the border")]
    public async Task Each_outcome_of_an_import_confirmation_shows_on_both_sides(
        ImportOutcome outcome, CertificateStatus expected, int parcelsDelta, long caratsDelta, string remarks, string reasonContains)
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var atImporter = await _net.ConfirmAsync("BE", number, outcome, parcelsDelta, caratsDelta, remarks);
        Assert.Equal(expected, atImporter.Status);

        var atExporter = await _net.WaitForAsync("ZA", number, r => r.Status == expected);
        Assert.Contains(reasonContains, atExporter.StatusReason);
        Assert.Equal(atImporter.StatusReason, atExporter.StatusReason);
        if (outcome == ImportOutcome.Discrepancy)
        {
            Assert.Contains("carats: certificate", atExporter.StatusReason);
        }

        // The exporter holds the importer's signed confirmation, byte for byte, verifiable with BE's root.
        Assert.Equal(atImporter.ConfirmationEnvelope, atExporter.ConfirmationEnvelope);
        var verified = new EnvelopeVerifier(new TrustChain())
            .Verify(Envelope.Parser.ParseFrom(atExporter.ConfirmationEnvelope), [_net.RootOf("BE")], DateTimeOffset.UtcNow);
        Assert.Equal("BE", verified.SignerParticipant);
        Assert.Equal(outcome, ImportConfirmation.Parser.ParseFrom(verified.Payload.Span).Outcome);
    }

    [Fact]
    public async Task Confirming_figures_that_differ_as_confirmed_is_refused_naming_the_outcome()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var e = await Assert.ThrowsAsync<RpcException>(() => _net.ConfirmAsync("BE", number, ImportOutcome.Confirmed, caratsDelta: -100));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("outcome:", e.Status.Detail);
        Assert.Contains("discrepancy", e.Status.Detail);
        Assert.Equal(CertificateStatus.Received, (await _net.FindAsync("BE", number))!.Status);
    }

    [Fact]
    public async Task Only_the_importer_confirms_and_only_certificates_it_holds()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var byExporter = await Assert.ThrowsAsync<RpcException>(() => _net["ZA"].Client.Api.ConfirmImportAsync(new ConfirmImportRequest
        {
            CertificateNumber = number,
            Outcome = ImportOutcome.Confirmed,
            ParcelsReceived = 1,
            CaratsReceivedHundredths = 1,
            DateOfReceipt = DateTime.UtcNow.ToString("yyyy-MM-dd"),
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, byExporter.StatusCode);
        Assert.Contains("only the importing authority", byExporter.Status.Detail);

        var unknown = await Assert.ThrowsAsync<RpcException>(() => _net["AE"].Client.Api.ConfirmImportAsync(new ConfirmImportRequest
        {
            CertificateNumber = number,
            Outcome = ImportOutcome.Confirmed,
            ParcelsReceived = 1,
            CaratsReceivedHundredths = 1,
            DateOfReceipt = DateTime.UtcNow.ToString("yyyy-MM-dd"),
        }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_bad_confirmation_names_every_field_at_once()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var e = await Assert.ThrowsAsync<RpcException>(() => _net["BE"].Client.Api.ConfirmImportAsync(new ConfirmImportRequest
        {
            CertificateNumber = number,
            Outcome = ImportOutcome.Detained,
            ParcelsReceived = -1,
            CaratsReceivedHundredths = -5,
            DateOfReceipt = "26/11/2026",
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        foreach (var field in new[] { "parcelsReceived:", "caratsReceivedHundredths:", "dateOfReceipt:", "remarks:" })
        {
            Assert.Contains(field, e.Status.Detail);
        }
    }

    [Fact]
    public async Task A_partner_confirming_a_certificate_issued_to_someone_else_gets_unknown_and_nothing_changes()
    {
        var toBe = await _net.DeliverAsync("ZA", "BE");
        using var ae = _net.Credentials("AE");
        var peer = _net.DialPeer("ZA", ae.NodeTls, _net.RootOf("ZA"));
        var held = (await _net.FindAsync("BE", toBe))!.Certificate;
        var confirmation = new ImportConfirmation
        {
            Header = new MessageHeader
            {
                MessageId = Guid.CreateVersion7().ToString("D"),
                Sender = "AE",
                Receiver = "ZA",
                CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow),
            },
            CertificateNumber = toBe,
            Outcome = ImportOutcome.Confirmed,
            ParcelsReceived = held.Parcels,
            CaratsReceivedHundredths = held.CaratsHundredths,
            DateOfReceipt = DateTime.UtcNow.ToString("yyyy-MM-dd"),
        };
        using var signer = new EnvelopeSigner(ae.DocumentSigning);
        var response = await peer.DeliverAsync(new DeliverRequest { Envelope = signer.Sign(PayloadTypes.ImportConfirmation, confirmation.ToByteArray()) });
        var receipt = Receipt.Parser.ParseFrom(new EnvelopeVerifier(new TrustChain()).Verify(response.Receipt, [_net.RootOf("ZA")], DateTimeOffset.UtcNow).Payload.Span);
        Assert.Equal(ReceiptOutcome.Rejected, receipt.Outcome);
        Assert.Equal(ReceiptReason.UnknownCertificate, receipt.Reason);
        Assert.Equal(CertificateStatus.Delivered, (await _net.FindAsync("ZA", toBe))!.Status);
    }
}
