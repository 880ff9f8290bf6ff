using Google.Protobuf;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Tests.Operations;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace KpNode.Tests.Hostile;

/// <summary>A partner holding valid credentials writes text meant to drive an operator's terminal: it reaches no screen and no log raw.</summary>
public sealed class PartnerTextTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Fact]
    public async Task A_certificate_carrying_terminal_escapes_is_refused_and_its_text_reaches_no_log_audit_or_status()
    {
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var message = HostileInputs.Issued("ZA", "BE");
        message.Certificate.Number += "\u001b[2J\u202E";
        message.Certificate.Importer.Name = "Antwerp Diamond NV" + PartnerText.Hostile;
        message.Certificate.Remarks = PartnerText.Hostile;

        var answer = await peer.DeliverAsync(new DeliverRequest { Envelope = signer.Sign(PayloadTypes.CertificateIssued, message.ToByteArray()) });

        var receipt = Receipt.Parser.ParseFrom(new EnvelopeVerifier(new TrustChain()).Verify(answer.Receipt, [_net.RootOf("BE")], DateTimeOffset.UtcNow).Payload.Span);
        Assert.Equal(ReceiptOutcome.Rejected, receipt.Outcome);
        Assert.Contains("importer.name", receipt.ReasonText, StringComparison.Ordinal);
        PartnerText.AssertPrintable(receipt.ReasonText);
        Assert.All(_net["BE"].Logs.Entries, e => PartnerText.AssertPrintable(e.Message));
        Assert.All(_net.Store("BE").ReadAudit(0, 100), a => PartnerText.AssertPrintable(a.Subject + a.Detail));
        var status = await KpNodeProcess.RunAsync("status", "--config", _net["BE"].Config.FilePath);
        Assert.Equal(0, status.ExitCode);
        PartnerText.AssertPrintable(status.Stdout);
    }

    [Fact]
    public async Task A_rejection_reason_of_100_000_characters_with_terminal_escapes_is_kept_escaped_and_bounded_in_cert_show()
    {
        // ZA is down, so BE's certificate waits in BE's outbox; ZA's hand-signed receipt then answers it.
        await _net["ZA"].StopAsync();
        var issued = await _net.IssueAsync("BE", "ZA");
        var store = _net.Store("BE");
        var pending = store.PendingOutbound("ZA", 16).Single();
        using var za = _net.Credentials("ZA");
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var receipt = new Receipt
        {
            MessageId = pending.Id,
            PayloadSha256 = ByteString.CopyFrom(pending.PayloadSha256),
            Sender = "BE",
            Receiver = "ZA",
            ReceivedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            Outcome = ReceiptOutcome.Rejected,
            Reason = ReceiptReason.InvalidCertificate,
            ReasonText = PartnerText.Hostile + new string('x', 100_000),
        };
        var services = _net["BE"].Host!.Services;
        var accepted = await services.GetRequiredService<CertificateWorkflow>().RecordReceiptAsync(
            pending, services.GetRequiredService<Partners>().Find("ZA")!, signer.Sign(PayloadTypes.Receipt, receipt.ToByteArray()), CancellationToken.None);
        Assert.False(accepted);

        var show = await KpNodeProcess.RunAsync("cert", "show", "--config", _net["BE"].Config.FilePath, issued.Certificate.Number);
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("\\u001B[2J", show.Stdout, StringComparison.Ordinal);
        PartnerText.AssertPrintable(show.Stdout);
        Assert.InRange(show.Stdout.Length, 1, 20_000);
        var json = await KpNodeProcess.RunAsync("cert", "show", "--config", _net["BE"].Config.FilePath, issued.Certificate.Number, "--json");
        PartnerText.AssertPrintable(json.Stdout);
        var status = await KpNodeProcess.RunAsync("status", "--config", _net["BE"].Config.FilePath);
        PartnerText.AssertPrintable(status.Stdout);
        using var http = new HttpClient();
        var page = await http.GetStringAsync(Ops.Url(_net["BE"]) + "/");
        Assert.Contains("\\u001B[2J", page, StringComparison.Ordinal);
        PartnerText.AssertPrintable(page);
        Assert.All(_net["BE"].Logs.Entries, e => PartnerText.AssertPrintable(e.Message));
    }
}

/// <summary>What a hostile partner writes, and the check that none of it reaches a person raw.</summary>
internal static class PartnerText
{
    /// <summary>Clears the screen, hides what follows, and reverses the rest of the line.</summary>
    public const string Hostile = "\u001b[2J\u001b[8mStatus: CONFIRMED - all in order\u202E";

    public static void AssertPrintable(string? text)
    {
        Assert.DoesNotContain('\u001b', text ?? "");
        Assert.DoesNotContain('\u202e', text ?? "");
    }
}
