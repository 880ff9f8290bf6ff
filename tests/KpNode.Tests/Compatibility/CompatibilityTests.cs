using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace KpNode.Tests.Compatibility;

/// <summary>
/// A node of this version takes what a node of 0.1.0 (before the redesign) signed and sent: its certificate, its
/// void, and its receipts and confirmation, recorded in v0.1.0/ from a real exchange.
/// </summary>
public sealed class CompatibilityTests
{
    private static readonly string Recorded = Path.Combine(KpNodeProcess.RepoRoot(), "tests", "KpNode.Tests", "Compatibility", "v0.1.0");

    private static Envelope Read(string name) => Envelope.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(Recorded, name)));

    [Fact]
    public async Task A_certificate_and_a_void_signed_by_a_0_1_0_node_are_accepted_and_answered_with_receipts_that_verify()
    {
        var lines = File.ReadAllLines(Path.Combine(Recorded, "recorded-at.txt"));
        var recordedAt = DateTimeOffset.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture);
        var (certificate, voided) = (lines[1], lines[2]);
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["ZA"].StopAsync();

        // BE as the recorded ZA knew it: its partner ZA is the recorded root, and its clock and keys are those of the recording.
        var pki = Path.Combine(net.Root, "pki", "be-at-recording");
        PkiFiles.Write(pki, DevPki.Create("BE", [], recordedAt - TimeSpan.FromHours(1)));
        var clock = new FakeTimeProvider(recordedAt + TimeSpan.FromMinutes(1));
        await net.RestartAsync("BE", [new("Node:PkiDirectory", pki), new("Node:Partners:0:RootCertificate", Path.Combine(Recorded, "za-root.crt"))], clock);
        var services = net["BE"].Host!.Services;
        var workflow = services.GetRequiredService<CertificateWorkflow>();
        var za = services.GetRequiredService<Partners>().Find("ZA")!;

        var issued = Read("certificate-issued.envelope.pb");
        var answer = await workflow.AcceptDeliveryAsync(za, issued, CancellationToken.None);
        Assert.True(answer.Accepted);
        var again = await workflow.AcceptDeliveryAsync(za, issued, CancellationToken.None);
        Assert.Equal(answer.Receipt, again.Receipt);
        Assert.True((await workflow.AcceptDeliveryAsync(za, Read("certificate-issued-2.envelope.pb"), CancellationToken.None)).Accepted);
        Assert.True((await workflow.AcceptDeliveryAsync(za, Read("certificate-voided.envelope.pb"), CancellationToken.None)).Accepted);

        var store = net.Store("BE");
        Assert.Equal(KpNode.Domain.CertificateStatus.Received, store.FindCertificate(certificate)!.Status);
        Assert.Equal(KpNode.Domain.CertificateStatus.Voided, store.FindCertificate(voided)!.Status);

        var verifier = services.GetRequiredService<EnvelopeVerifier>();
        var receipt = verifier.Verify(answer.Receipt, [PkiFiles.LoadRoot(Path.Combine(pki, "root.crt"))], clock.GetUtcNow());
        Assert.Equal(PayloadTypes.Receipt, receipt.PayloadType);
        var parsed = Receipt.Parser.ParseFrom(receipt.Payload.Span);
        Assert.Equal(ReceiptOutcome.Accepted, parsed.Outcome);
        Assert.Equal(verifier.Verify(issued, [za.Root], clock.GetUtcNow()).PayloadSha256, parsed.PayloadSha256.ToByteArray());
    }

    [Fact]
    public void A_receipt_and_an_import_confirmation_signed_by_a_0_1_0_node_verify_and_read_with_this_version()
    {
        var at = DateTimeOffset.Parse(File.ReadAllLines(Path.Combine(Recorded, "recorded-at.txt"))[0], System.Globalization.CultureInfo.InvariantCulture);
        var verifier = new EnvelopeVerifier(new TrustChain());
        var be = PkiFiles.LoadRoot(Path.Combine(Recorded, "be-root.crt"));
        var za = PkiFiles.LoadRoot(Path.Combine(Recorded, "za-root.crt"));

        var receipt = verifier.Verify(Read("certificate-issued.receipt.pb"), [be], at);
        Assert.Equal("BE", receipt.SignerParticipant);
        var parsed = Receipt.Parser.ParseFrom(receipt.Payload.Span);
        Assert.Equal(ReceiptOutcome.Accepted, parsed.Outcome);
        Assert.Equal(verifier.Verify(Read("certificate-issued.envelope.pb"), [za], at).PayloadSha256, parsed.PayloadSha256.ToByteArray());

        var confirmation = verifier.Verify(Read("import-confirmation.envelope.pb"), [be], at);
        Assert.Equal(PayloadTypes.ImportConfirmation, confirmation.PayloadType);
        var report = ImportReportMapping.ToDomain(ImportConfirmation.Parser.ParseFrom(confirmation.Payload.Span));
        Assert.Equal(KpNode.Domain.ImportOutcome.Confirmed, report.Outcome);
    }
}
