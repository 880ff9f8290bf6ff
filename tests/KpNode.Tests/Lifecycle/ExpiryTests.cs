using Google.Protobuf;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

public sealed class ExpiryTests
{
    private static readonly KeyValuePair<string, string?>[] FastChecks = [new("Node:ExpiryCheckInterval", "00:00:00.200")];

    [Fact]
    public async Task Certificates_past_expiry_without_confirmation_become_expired_on_both_sides()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"], FastChecks);
        var clocks = new Dictionary<string, ShiftedTime> { ["ZA"] = new(), ["BE"] = new() };
        foreach (var (code, clock) in clocks)
        {
            await net.RestartAsync(code, FastChecks, clock);
        }

        var delivered = await net.DeliverAsync("ZA", "BE");
        var confirmedNumber = await net.DeliverAsync("ZA", "BE");
        await net.ConfirmAsync("BE", confirmedNumber);
        await net.WaitForAsync("ZA", confirmedNumber, r => r.Status == CertificateStatus.Confirmed);

        foreach (var clock in clocks.Values)
        {
            clock.Offset = TimeSpan.FromDays(70);
        }

        var atExporter = await net.WaitForAsync("ZA", delivered, r => r.Status == CertificateStatus.Expired);
        var atImporter = await net.WaitForAsync("BE", delivered, r => r.Status == CertificateStatus.Expired);
        Assert.Contains("without import confirmation", atExporter.StatusReason);
        Assert.Contains("without import confirmation", atImporter.StatusReason);
        // A confirmed certificate stays confirmed.
        Assert.Equal(CertificateStatus.Confirmed, (await net.FindAsync("ZA", confirmedNumber))!.Status);
        Assert.Equal(CertificateStatus.Confirmed, (await net.FindAsync("BE", confirmedNumber))!.Status);
    }

    [Fact]
    public async Task A_certificate_never_delivered_by_its_expiry_is_given_up_and_never_sent()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"], FastChecks);
        var clock = new ShiftedTime();
        await net.RestartAsync("ZA", FastChecks, clock);
        await net["BE"].StopAsync();
        net["ZA"].Logs.ExpectErrors(e => e.Id.Id == 1302); // "Gave up delivering"
        var number = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        clock.Offset = TimeSpan.FromDays(70);

        var record = await net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Undeliverable);
        Assert.Equal("GivenUp", record.DeliveryState);
        // ZA's outbox holds nothing more for BE, and BE, back up, never receives it.
        await net["BE"].StartAsync();
        var retry = await net["ZA"].Client.Operations.RetryNowAsync(new RetryNowRequest { Partner = "BE" });
        Assert.Equal(0, retry.Rescheduled);
        Assert.Null(await net.FindAsync("BE", number));
    }

    [Fact]
    public async Task An_expired_certificate_delivered_by_a_partner_is_refused_with_a_signed_reason()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var za = net.Credentials("ZA");
        var draft = KpNode.Cli.DemoDrafts.Draft("ZA", "BE");
        draft.Number = $"ZA-{DateTime.UtcNow.Year}-900001";
        draft.ExportingParticipant = "ZA";
        draft.ExportingAuthority = "KP authority of ZA";
        draft.DateOfIssue = DateTime.UtcNow.AddDays(-20).ToString("yyyy-MM-dd");
        draft.DateOfExpiry = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd");
        var message = new CertificateIssued
        {
            Header = new MessageHeader
            {
                MessageId = Guid.CreateVersion7().ToString("D"),
                Sender = "ZA",
                Receiver = "BE",
                CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow),
            },
            Certificate = draft,
        };
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var response = await net.DialPeer("BE", za.NodeTls, net.RootOf("BE"))
            .DeliverAsync(new DeliverRequest { Envelope = signer.Sign(PayloadTypes.CertificateIssued, message.ToByteArray()) });
        var receipt = Receipt.Parser.ParseFrom(new EnvelopeVerifier(new TrustChain()).Verify(response.Receipt, [net.RootOf("BE")], DateTimeOffset.UtcNow).Payload.Span);
        Assert.Equal(ReceiptOutcome.Rejected, receipt.Outcome);
        Assert.Equal(ReceiptReason.Expired, receipt.Reason);
        Assert.Null(await net.FindAsync("BE", draft.Number));
    }
}
