using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

/// <summary>A detained shipment is not the end: it is released (confirmed or discrepancy) or its certificate voided, on both sides.</summary>
public sealed class DetentionTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private async Task<string> DetainedAsync()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        await _net.ConfirmAsync("BE", number, ImportOutcome.Detained, remarks: "held for inspection");
        await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Detained);
        return number;
    }

    [Fact]
    public async Task A_detained_shipment_released_by_the_importer_becomes_confirmed_on_both_sides_with_a_signed_confirmation_and_an_audit_entry()
    {
        var number = await DetainedAsync();

        var released = await _net.ConfirmAsync("BE", number, ImportOutcome.Confirmed);

        Assert.Equal(CertificateStatus.Confirmed, released.Status);
        var atExporter = await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Confirmed);
        Assert.Contains(atExporter.History, h => h.Text.StartsWith("Released from detention (held for inspection): Confirmed by BE"));
        Assert.Equal(released.ConfirmationEnvelope, atExporter.ConfirmationEnvelope);
        Assert.Contains(_net.Store("BE").ReadAudit(0, 100),
            a => a.Action == "import.confirmed" && a.Subject == number && a.Detail.StartsWith("released from detention"));
        Assert.Equal(2, _net.Store("ZA").ReadAudit(0, 100).Count(a => a.Action == "confirmation.accepted" && a.Subject == number));
    }

    [Fact]
    public async Task A_detained_shipment_released_short_becomes_a_discrepancy_on_both_sides()
    {
        var number = await DetainedAsync();

        await _net.ConfirmAsync("BE", number, ImportOutcome.Discrepancy, caratsDelta: -100);

        var atExporter = await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Discrepancy);
        Assert.StartsWith("carats: certificate", atExporter.StatusReason);
    }

    [Fact]
    public async Task The_exporter_voids_a_detained_certificate_and_the_importer_receives_the_void()
    {
        var number = await DetainedAsync();

        var voided = (await _net["ZA"].Client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = number, Reason = "goods forfeited" })).Record;

        Assert.Equal(CertificateStatus.Voided, voided.Status);
        var atImporter = await _net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Voided);
        Assert.Equal("goods forfeited", atImporter.StatusReason);
        await _net.WaitForAsync("ZA", number, r => r.History.Any(h => h.Text.Contains("acknowledged the void")));
    }
}
