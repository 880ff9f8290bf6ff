using Google.Protobuf;
using Grpc.Core;
using KpNode.Storage;
using KpNode.Tests.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using static KpNode.Tests.Exchange.ExchangeAssert;


namespace KpNode.Tests.Exchange;

public sealed class PeerExchangeTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE", "AE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Fact]
    public async Task Certificates_flow_both_ways_and_each_side_keeps_the_signed_receipt()
    {
        var zaToBe = await _net.IssueAsync("ZA", "BE");
        var beToZa = await _net.IssueAsync("BE", "ZA");

        foreach (var (from, to, number) in new[] { ("ZA", "BE", zaToBe.Certificate.Number), ("BE", "ZA", beToZa.Certificate.Number) })
        {
            var atExporter = await _net.WaitForAsync(from, number, r => r.Status == CertificateStatus.Delivered);
            var atImporter = await _net.WaitForAsync(to, number, _ => true);
            Assert.Equal(CertificateStatus.Received, atImporter.Status);
            Assert.Equal(CertificateDirection.Inbound, atImporter.Direction);
            Assert.Equal(from, atImporter.Partner);

            // The importer holds the exporter's envelope byte for byte, and the exporter holds the importer's receipt.
            Assert.Equal(atExporter.CertificateEnvelope, atImporter.CertificateEnvelope);
            Assert.Equal(atImporter.ReceiptEnvelope, atExporter.ReceiptEnvelope);
            var verified = new EnvelopeVerifier(new TrustChain())
                .Verify(Envelope.Parser.ParseFrom(atExporter.ReceiptEnvelope), [_net.RootOf(to)], DateTimeOffset.UtcNow);
            Assert.Equal(to, verified.SignerParticipant);
            var receipt = Receipt.Parser.ParseFrom(verified.Payload.Span);
            Assert.Equal(ReceiptOutcome.Accepted, receipt.Outcome);
            Assert.Equal(from, receipt.Sender);
            Assert.Equal(to, receipt.Receiver);
            var sent = Envelope.Parser.ParseFrom(atExporter.CertificateEnvelope);
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(sent.Payload.Span), receipt.PayloadSha256.ToByteArray());
        }
    }

    [Fact]
    public async Task A_partner_that_was_down_gets_every_certificate_exactly_once_when_it_returns()
    {
        await _net["BE"].StopAsync();
        var numbers = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            numbers.Add((await _net.IssueAsync("ZA", "BE")).Certificate.Number);
        }

        await _net.WaitForAsync("ZA", numbers[0], r => r.Attempts > 0);
        Assert.All(numbers, n => Assert.Equal(CertificateStatus.Issued, _net.FindAsync("ZA", n).Result!.Status));
        var backlog = (await _net["ZA"].Client.Api.GetStatusAsync(new GetStatusRequest())).Partners.Single(p => p.Participant == "BE");
        Assert.Equal(5, backlog.Backlog);
        Assert.NotNull(backlog.OldestPendingAt);
        Assert.Contains("BE", backlog.LastError);

        await _net["BE"].StartAsync();
        foreach (var n in numbers)
        {
            await _net.WaitForAsync("ZA", n, r => r.Status == CertificateStatus.Delivered, TimeSpan.FromSeconds(30));
        }

        var atBe = await _net["BE"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest { Partner = "ZA", PageSize = 100 });
        Assert.Equal(numbers.Order(), atBe.Records.Select(r => r.Certificate.Number).Order());
        var inbound = _net.Store("BE").ListCertificates(new CertificateQuery(null, "ZA", KpNode.Domain.CertificateDirection.Inbound, 100, null));
        Assert.Equal(5, inbound.Count);
    }

    [Fact]
    public async Task Redelivery_returns_the_identical_receipt_and_an_altered_payload_under_the_same_id_is_refused()
    {
        var issued = await _net.IssueAsync("ZA", "BE");
        var delivered = await _net.WaitForAsync("ZA", issued.Certificate.Number, r => r.Status == CertificateStatus.Delivered);
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        var envelope = Envelope.Parser.ParseFrom(delivered.CertificateEnvelope);

        var again = await peer.DeliverAsync(new DeliverRequest { Envelope = envelope });
        Assert.Equal(delivered.ReceiptEnvelope, again.Receipt.ToByteString());

        var altered = CertificateIssued.Parser.ParseFrom(envelope.Payload);
        altered.Certificate.Parcels += 1;
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var forged = signer.Sign(PayloadTypes.CertificateIssued, altered.ToByteArray());
        var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(new DeliverRequest { Envelope = forged }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        Assert.Contains("different content", e.Status.Detail);
        var held = await _net.FindAsync("BE", issued.Certificate.Number);
        Assert.Equal(delivered.CertificateEnvelope, held!.CertificateEnvelope);
    }

    [Fact]
    public async Task A_client_certificate_from_an_unknown_CA_is_refused_at_TLS()
    {
        // Same participant code and subject as ZA, but a root BE never configured.
        using var impostor = DevPki.Create("ZA", [], DateTimeOffset.UtcNow);
        var peer = _net.DialPeer("BE", impostor.NodeTls, _net.RootOf("BE"));
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            peer.PingAsync(new PingRequest { Nonce = ByteString.CopyFromUtf8("hello") }).ResponseAsync);
        AssertRefusedAtTls(e);
        await AssertNothingStoredAtBe();
    }

    [Fact]
    public async Task A_partner_cannot_deliver_a_message_signed_by_another_participant()
    {
        using var za = _net.Credentials("ZA");
        using var ae = _net.Credentials("AE");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        var message = Issued(from: "AE", to: "BE");
        using var aeSigner = new EnvelopeSigner(ae.DocumentSigning);
        var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(new DeliverRequest
        {
            Envelope = aeSigner.Sign(PayloadTypes.CertificateIssued, message.ToByteArray()),
        }).ResponseAsync);
        // Signed by AE: it does not chain to ZA's root, the only root accepted from ZA's connection.
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        await AssertNothingStoredAtBe();
    }

    [Fact]
    public async Task The_same_message_delivered_twice_at_once_is_stored_once_and_both_deliveries_get_the_same_receipt()
    {
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var message = Issued("ZA", "BE");
        var envelope = signer.Sign(PayloadTypes.CertificateIssued, message.ToByteArray());
        // Both deliveries wait for BE's store and then run in one transaction, the second right after the first
        // stored the message.
        var store = _net.Store("BE");
        using var held = HeldWrite.Start(store);

        var first = peer.DeliverAsync(new DeliverRequest { Envelope = envelope }).ResponseAsync;
        var second = peer.DeliverAsync(new DeliverRequest { Envelope = envelope }).ResponseAsync;
        await held.WaitForQueuedAsync(2);
        await held.ReleaseAsync();

        var answers = await Task.WhenAll(first, second);
        Assert.Equal(answers[0].Receipt, answers[1].Receipt);
        Assert.Single(store.ReadAudit(1, 1000), a => a.Detail.Contains(message.Header.MessageId, StringComparison.Ordinal));
        Assert.Equal(CertificateStatus.Received, (await _net.FindAsync("BE", message.Certificate.Number))!.Status);
    }

    [Theory]
    [InlineData("AE", "BE", "exportingParticipant")]
    [InlineData("ZA", "AE", "importingParticipant")]
    public async Task A_partner_cannot_deliver_a_certificate_naming_another_exporter_or_importer(string exporter, string importer, string field)
    {
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        var message = Issued(from: "ZA", to: "BE");
        message.Certificate.ExportingParticipant = exporter;
        message.Certificate.ImportingParticipant = importer;
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(new DeliverRequest
        {
            Envelope = signer.Sign(PayloadTypes.CertificateIssued, message.ToByteArray()),
        }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains(field, e.Status.Detail);
        await AssertNothingStoredAtBe();
    }

    [Fact]
    public async Task A_tampered_payload_is_refused_and_nothing_is_stored()
    {
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var envelope = signer.Sign(PayloadTypes.CertificateIssued, Issued("ZA", "BE").ToByteArray());
        var bytes = envelope.Payload.ToByteArray();
        bytes[^3] ^= 0x01;
        envelope.Payload = ByteString.CopyFrom(bytes);
        var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(new DeliverRequest { Envelope = envelope }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("signature", e.Status.Detail, StringComparison.OrdinalIgnoreCase);
        await AssertNothingStoredAtBe();
    }

    [Fact]
    public async Task An_oversized_message_is_refused_and_nothing_is_stored()
    {
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        var message = Issued("ZA", "BE");
        message.Certificate.Remarks = new string('x', 300 * 1024);
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(new DeliverRequest
        {
            Envelope = signer.Sign(PayloadTypes.CertificateIssued, message.ToByteArray()),
        }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        await AssertNothingStoredAtBe();
    }

    [Fact]
    public async Task A_certificate_breaking_KPCS_rules_gets_a_signed_rejection_and_is_not_stored()
    {
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        var message = Issued("ZA", "BE");
        message.Certificate.CaratsHundredths += 100;
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var response = await peer.DeliverAsync(new DeliverRequest
        {
            Envelope = signer.Sign(PayloadTypes.CertificateIssued, message.ToByteArray()),
        });
        var verified = new EnvelopeVerifier(new TrustChain()).Verify(response.Receipt, [_net.RootOf("BE")], DateTimeOffset.UtcNow);
        var receipt = Receipt.Parser.ParseFrom(verified.Payload.Span);
        Assert.Equal(ReceiptOutcome.Rejected, receipt.Outcome);
        Assert.Equal(ReceiptReason.InvalidCertificate, receipt.Reason);
        Assert.Contains("caratsHundredths", receipt.ReasonText);
        Assert.Null(await _net.FindAsync("BE", message.Certificate.Number));
    }

    [Fact]
    public async Task The_node_TLS_certificate_of_our_own_operator_side_cannot_call_the_Peer_API()
    {
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("ZA", za.Operator, _net.RootOf("ZA"));
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            peer.PingAsync(new PingRequest { Nonce = ByteString.CopyFromUtf8("x") }).ResponseAsync);
        AssertRefusedAtTls(e);
    }

    private static CertificateIssued Issued(string from, string to)
    {
        var draft = KpNode.Cli.DemoDrafts.Draft(from, to);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        draft.Number = $"{from}-{DateTime.UtcNow.Year}-9{Random.Shared.Next(10_000, 99_999)}";
        draft.ExportingParticipant = from;
        draft.ExportingAuthority = $"KP authority of {from}";
        draft.DateOfIssue = today;
        draft.DateOfExpiry = DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd");
        return new CertificateIssued
        {
            Header = new MessageHeader
            {
                MessageId = Guid.CreateVersion7().ToString("D"),
                Sender = from,
                Receiver = to,
                CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow),
            },
            Certificate = draft,
        };
    }

    private async Task AssertNothingStoredAtBe()
    {
        var all = await _net["BE"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 100 });
        Assert.Empty(all.Records);
        Assert.Empty(_net.Store("BE").ReadAudit(0, 10));
    }
}
