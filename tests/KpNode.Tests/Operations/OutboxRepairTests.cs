using Grpc.Core;
using KpNode.Storage;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Operations;

/// <summary>
/// A message the partner refuses for its signature stays in the outbox until its deadline: the operator can sign it
/// again with a renewed signing certificate, or cancel it with a reason, without editing the store.
/// </summary>
public sealed class OutboxRepairTests
{
    [Fact]
    public async Task A_message_refused_for_an_expired_signing_certificate_is_signed_again_with_the_renewed_one_and_delivered()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var (number, stuck) = await RefusedForItsSignatureAsync(net);
        Assert.True(stuck.SignedWithCurrentKey);
        Assert.False(stuck.CanResign);
        Assert.True(stuck.CanCancel);
        Assert.Contains("refuses our current signing certificate as well", stuck.Advice);
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
            await net["ZA"].Client.Operations.ResignMessageAsync(new ResignMessageRequest { MessageId = stuck.MessageId }));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);

        // The operator renews the signing certificate and restarts the node: the old message can now be signed again.
        var oldKey = stuck.SignerKeyid;
        RenewSigning(net, TimeSpan.FromDays(1000));
        await net.RestartAsync("ZA", []);
        var listed = Assert.Single((await net["ZA"].Client.Operations.ListOutboxAsync(new ListOutboxRequest())).Messages);
        Assert.False(listed.SignedWithCurrentKey);
        Assert.True(listed.CanResign);

        var cli = await KpNodeProcess.RunAsync("outbox", "resign", "--config", net["ZA"].Config.FilePath, stuck.MessageId);
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Contains($"Signed the certificate {number} to BE again", cli.Stdout);

        await net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered);
        var received = await net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Received);
        var envelope = Envelope.Parser.ParseFrom(received.CertificateEnvelope);
        Assert.NotEqual(oldKey, envelope.Signatures.Single().Keyid);
        var audit = Audit(net.Store("ZA"), "message.re-signed");
        Assert.Contains(stuck.MessageId, audit.Detail);
        Assert.Contains(oldKey, audit.Detail);
        Assert.Empty((await net["ZA"].Client.Operations.ListOutboxAsync(new ListOutboxRequest())).Messages);
    }

    [Fact]
    public async Task A_refused_certificate_cancelled_with_a_reason_becomes_undeliverable_and_the_reason_is_audited()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var (number, stuck) = await RefusedForItsSignatureAsync(net);

        var cli = await KpNodeProcess.RunAsync("outbox", "cancel", "--config", net["ZA"].Config.FilePath, stuck.MessageId,
            "--reason", "signing certificate lapsed; reissued as a new certificate");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Contains($"Cancelled the certificate {number} to BE", cli.Stdout);
        Assert.Contains($"{number} is now Undeliverable", cli.Stdout);

        var record = await net.FindAsync("ZA", number);
        Assert.Equal(CertificateStatus.Undeliverable, record!.Status);
        Assert.Contains("reissued as a new certificate", record.StatusReason);
        Assert.Equal(KpNode.Domain.MessageStatus.Cancelled, net.Store("ZA").FindMessage(stuck.MessageId)!.Status);
        var audit = Audit(net.Store("ZA"), "message.cancelled");
        Assert.Equal(number, audit.Subject);
        Assert.Contains("signing certificate lapsed", audit.Detail);
        Assert.Contains("signature rejected", audit.Detail);
        Assert.Empty((await net["ZA"].Client.Operations.ListOutboxAsync(new ListOutboxRequest())).Messages);
    }

    [Fact]
    public async Task Only_a_refused_message_may_be_cancelled_and_only_with_a_reason()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["BE"].StopAsync();
        var number = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        var ops = net["ZA"].Client.Operations;
        var waiting = await Eventually.WaitAsync(async () => (await ops.ListOutboxAsync(new ListOutboxRequest { Partner = "BE" })).Messages,
            m => m.Count == 1 && m[0].Attempts > 0, TimeSpan.FromSeconds(20), last => $"no failed attempt yet: {last}");
        var message = waiting[0];
        Assert.Equal(number, message.CertificateNumber);
        Assert.Equal(DeliveryFailureCause.Unreachable, message.LastErrorCause);
        Assert.False(message.CanCancel);
        Assert.Contains("it is delivered when BE is back", message.Advice);

        var unreachable = await Assert.ThrowsAsync<RpcException>(async () =>
            await ops.CancelMessageAsync(new CancelMessageRequest { MessageId = message.MessageId, Reason = "impatient" }));
        Assert.Equal(StatusCode.FailedPrecondition, unreachable.StatusCode);
        Assert.Contains("cannot be cancelled", unreachable.Status.Detail);

        var noReason = await Assert.ThrowsAsync<RpcException>(async () =>
            await ops.CancelMessageAsync(new CancelMessageRequest { MessageId = message.MessageId, Reason = " " }));
        Assert.Equal(StatusCode.InvalidArgument, noReason.StatusCode);
        Assert.Equal("reason", Assert.Single(ApiErrors.ViolationsOf(noReason)).Field);

        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await ops.ResignMessageAsync(new ResignMessageRequest { MessageId = "no-such-message" }));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);

        Assert.Equal(KpNode.Domain.MessageStatus.Pending, net.Store("ZA").FindMessage(message.MessageId)!.Status);
        Assert.Equal(CertificateStatus.Issued, (await net.FindAsync("ZA", number))!.Status);
    }

    /// <summary>
    /// ZA signs with a leaf that expires tomorrow while BE's clock runs two days ahead: BE refuses the signature
    /// (its TLS certificate, valid for years, still passes), and the message stays in ZA's outbox.
    /// </summary>
    private static async Task<(string Number, OutboxMessage Stuck)> RefusedForItsSignatureAsync(TestNetwork net)
    {
        RenewSigning(net, TimeSpan.FromDays(1));
        await net.RestartAsync("ZA", []);
        await net.RestartAsync("BE", [], new ShiftedTime { Offset = TimeSpan.FromDays(2) });
        var number = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        var ops = net["ZA"].Client.Operations;
        var stuck = await Eventually.WaitAsync(async () => (await ops.ListOutboxAsync(new ListOutboxRequest())).Messages,
            m => m.Count == 1 && m[0].LastErrorCause == DeliveryFailureCause.SignatureRejected, TimeSpan.FromSeconds(20),
            last => $"ZA's outbox did not show the refusal: {last}");
        Assert.Equal(number, stuck[0].CertificateNumber);
        Assert.Equal(CertificateStatus.Issued, (await net.FindAsync("ZA", number))!.Status);
        return (number, stuck[0]);
    }

    /// <summary>Gives ZA a signing leaf valid for <paramref name="validity"/> from now, in its PKI folder (the node reads it at its next start).</summary>
    internal static void RenewSigning(TestNetwork net, TimeSpan validity)
    {
        using var pki = net.Credentials("ZA");
        var now = DateTimeOffset.UtcNow;
        using var signing = CertificateAuthority.IssueLeaf(pki.Root, "ZA", LeafKind.DocumentSigning, now.AddMinutes(-5), now + validity);
        // PkiFiles.Write never overwrites a key: write the renewed PKI aside and install its signing pair.
        var renewed = Path.Combine(net.Root, "pki", "za-renewed-" + Guid.NewGuid().ToString("N"));
        PkiFiles.Write(renewed, new ParticipantCredentials
        {
            Participant = "ZA",
            Root = pki.Root,
            NodeTls = pki.NodeTls,
            DocumentSigning = signing,
            Operator = pki.Operator,
        });
        foreach (var name in new[] { PkiFiles.SigningCertificate, PkiFiles.SigningKey })
        {
            File.Copy(Path.Combine(renewed, name), Path.Combine(net.PkiDir("ZA"), name), overwrite: true);
        }
    }

    private static AuditEntry Audit(INodeStore store, string action) =>
        store.ReadAudit(0, 10_000).Last(e => e.Action == action);
}
