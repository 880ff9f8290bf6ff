using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

public sealed class VoidTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private Task<VoidCertificateResponse> VoidAsync(string node, string number, string reason = "shipment not sent") =>
        _net[node].Client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = number, Reason = reason }).ResponseAsync;

    [Fact]
    public async Task A_voided_certificate_shows_voided_with_the_reason_on_both_sides_and_cannot_be_confirmed()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var voided = (await VoidAsync("ZA", number, "shipment not sent: buyer withdrew")).Record;
        Assert.Equal(CertificateStatus.Voided, voided.Status);

        var atImporter = await _net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Voided);
        Assert.Equal("shipment not sent: buyer withdrew", atImporter.StatusReason);
        Assert.Equal(voided.VoidEnvelope, atImporter.VoidEnvelope);
        await _net.WaitForAsync("ZA", number, r => r.History.Any(h => h.Text.Contains("acknowledged the void")));

        var e = await Assert.ThrowsAsync<RpcException>(() => _net["BE"].Client.Api.ConfirmImportAsync(new ConfirmImportRequest
        {
            CertificateNumber = number,
            Outcome = ImportOutcome.Confirmed,
            ParcelsReceived = atImporter.Certificate.Parcels,
            CaratsReceivedHundredths = atImporter.Certificate.CaratsHundredths,
            DateOfReceipt = DateTime.UtcNow.ToString("yyyy-MM-dd"),
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("voided", e.Status.Detail);
    }

    [Fact]
    public async Task A_confirmed_certificate_cannot_be_voided()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        await _net.ConfirmAsync("BE", number);
        await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Confirmed);

        var e = await Assert.ThrowsAsync<RpcException>(() => VoidAsync("ZA", number));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("cannot be voided", e.Status.Detail);
        Assert.Equal(CertificateStatus.Confirmed, (await _net.FindAsync("BE", number))!.Status);
    }

    [Fact]
    public async Task Only_the_exporter_voids_and_a_reason_is_required()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var byImporter = await Assert.ThrowsAsync<RpcException>(() => VoidAsync("BE", number));
        Assert.Equal(StatusCode.FailedPrecondition, byImporter.StatusCode);
        var noReason = await Assert.ThrowsAsync<RpcException>(() => VoidAsync("ZA", number, "  "));
        Assert.Equal(StatusCode.InvalidArgument, noReason.StatusCode);
        Assert.Contains("reason:", noReason.Status.Detail);
    }

    [Fact]
    public async Task A_void_issued_while_the_importer_is_down_never_overtakes_its_certificate()
    {
        await _net["BE"].StopAsync();
        var number = (await _net.IssueAsync("ZA", "BE")).Certificate.Number;
        await VoidAsync("ZA", number);
        await _net["BE"].StartAsync();

        var atImporter = await _net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Voided);
        Assert.Equal(CertificateStatus.Voided, atImporter.Status);
        // The exporter has the receipt for the certificate itself, then the importer's acknowledgement of the void.
        var atExporter = await _net.WaitForAsync("ZA", number, r => r.History.Any(h => h.Text.Contains("acknowledged the void")));
        Assert.False(atExporter.ReceiptEnvelope.IsEmpty);
    }

    [Fact]
    public async Task A_void_on_a_later_page_of_the_backlog_than_its_certificate_still_goes_after_it()
    {
        // Two messages a page: the certificate goes on the first page of the lane's pass, its void on the second,
        // read while the first is in flight.
        await _net.RestartAsync("ZA", [new("Node:Delivery:BacklogPageSize", "2")]);
        await _net["BE"].StopAsync();
        var voidedLater = (await _net.IssueAsync("ZA", "BE")).Certificate.Number;
        var others = new List<string> { (await _net.IssueAsync("ZA", "BE")).Certificate.Number };
        await VoidAsync("ZA", voidedLater);
        for (var n = 0; n < 3; n++)
            others.Add((await _net.IssueAsync("ZA", "BE")).Certificate.Number);
        await _net["BE"].StartAsync();

        await _net.WaitForAsync("BE", voidedLater, r => r.Status == CertificateStatus.Voided);
        await _net.WaitForAsync("ZA", voidedLater, r => r.History.Any(h => h.Text.Contains("acknowledged the void")));
        foreach (var number in others)
            await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered);
        Assert.Equal(0, _net.Store("ZA").SummarizePending("BE").Count);
    }

    [Fact]
    public async Task A_replacement_names_the_voided_certificate_and_both_records_link_on_both_sides()
    {
        var old = await _net.DeliverAsync("ZA", "BE");
        var notYetVoided = await Assert.ThrowsAsync<RpcException>(() => _net.IssueAsync("ZA", "BE", d => d.Replaces = old));
        Assert.Equal(StatusCode.InvalidArgument, notYetVoided.StatusCode);
        Assert.Contains("replaces:", notYetVoided.Status.Detail);

        await VoidAsync("ZA", old, "error in the importer's address");
        await _net.WaitForAsync("BE", old, r => r.Status == CertificateStatus.Voided);
        var replacement = await _net.DeliverAsync("ZA", "BE", d => d.Replaces = old);

        foreach (var node in new[] { "ZA", "BE" })
        {
            Assert.Equal(replacement, (await _net.FindAsync(node, old))!.ReplacedBy);
            Assert.Equal(old, (await _net.FindAsync(node, replacement))!.Certificate.Replaces);
        }

        var twice = await Assert.ThrowsAsync<RpcException>(() => _net.IssueAsync("ZA", "BE", d => d.Replaces = old));
        Assert.Contains("already replaced", twice.Status.Detail);
    }

    [Fact]
    public async Task A_certificate_the_importer_refused_is_voided_without_a_message_to_it_and_the_signed_void_is_kept()
    {
        await _net.RestartAsync("BE", [new("Node:Partners:0:Standing", "Suspended")]);
        var number = (await _net.IssueAsync("ZA", "BE")).Certificate.Number;
        await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Rejected);

        var voided = (await VoidAsync("ZA", number, "shipment not sent")).Record;

        Assert.Equal(CertificateStatus.Voided, voided.Status);
        Assert.Contains("never held it, nothing to send", voided.History[^1].Text);
        Assert.Equal(0, _net.Store("ZA").SummarizePending("BE").Count);
        // The void is signed all the same: the exporter's evidence of who voided it and when.
        var verified = new EnvelopeVerifier(new TrustChain())
            .Verify(Envelope.Parser.ParseFrom(voided.VoidEnvelope), [_net.RootOf("ZA")], DateTimeOffset.UtcNow);
        Assert.Equal("ZA", verified.SignerParticipant);
        Assert.Equal(number, CertificateVoided.Parser.ParseFrom(verified.Payload.Span).CertificateNumber);
        Assert.Equal(voided.VoidEnvelope, (await _net.FindAsync("ZA", number))!.VoidEnvelope);
    }
}
