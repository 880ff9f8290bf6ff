using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using KpNode.Integrity;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Tests.Hostile;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Trust;

/// <summary>
/// Revocation pushed to partners, on real nodes: ZA's root revokes one of ZA's certificates, ZA publishes the CRL, BE
/// gets the notice through the outbox (with its receipt), and from then on BE refuses what that certificate signs or
/// presents, across a restart, while what it signed before keeps its proof.
/// </summary>
public sealed class RevocationExchangeTests
{
    private static string RootKey(TestNetwork net, string code) => Path.Combine(net.PkiDir(code), "root.key");

    /// <summary>The CRL <paramref name="code"/>'s root signs revoking <paramref name="serials"/> (one list, numbered after <paramref name="current"/>).</summary>
    internal static RevocationList Revoke(TestNetwork net, string code, byte[]? current, X509RevocationReason reason, DateTimeOffset effective, params string[] serials)
    {
        using var root = PkiFiles.LoadRootWithKey(Path.Combine(net.PkiDir(code), "root.crt"), RootKey(net, code));
        RevocationList list = null!;
        foreach (var serial in serials)
        {
            list = RevocationListIssuer.Revoke(root, current, "crl.pem", RevocationListIssuer.ParseSerial(serial), reason, effective, DateTimeOffset.UtcNow);
            current = list.Der;
        }

        return list;
    }

    internal static Task<PublishRevocationListResponse> PublishAsync(TestNetwork net, string code, RevocationList list) =>
        net[code].Client.Api.PublishRevocationListAsync(new PublishRevocationListRequest { Crl = ByteString.CopyFrom(list.Der) }).ResponseAsync;

    // Stored and enforced: the node holds the list in memory only once the transaction that stored it committed.
    internal static Task WaitUntilHeldAsync(TestNetwork net, string holder, string of, long number) =>
        Eventually.WaitAsync(
            () => Task.FromResult((Stored: net.Store(holder).FindRevocationList(of)?.Number,
                Enforced: (long?)((RevokedKeys)net[holder].Host!.Services.GetService(typeof(RevokedKeys))!).ListOf(of)?.Number)),
            l => l.Stored == number && l.Enforced == number, TimeSpan.FromSeconds(30),
            l => $"{holder} holds {of}'s list {l.Stored?.ToString() ?? "none"} and enforces {l.Enforced?.ToString() ?? "none"}, not {number}");

    /// <summary>A certificate ZA signs by hand with <paramref name="signing"/> and delivers to BE over the Peer API, as a node would.</summary>
    private static Task<DeliverResponse> DeliverByHandAsync(TestNetwork net, X509Certificate2 signing, X509Certificate2 nodeTls, IMessage payload, string payloadType) =>
        DeliverByHandAsync(net, "BE", signing, nodeTls, payload, payloadType);

    /// <summary>The same, delivered to <paramref name="to"/>.</summary>
    internal static async Task<DeliverResponse> DeliverByHandAsync(TestNetwork net, string to, X509Certificate2 signing, X509Certificate2 nodeTls, IMessage payload, string payloadType)
    {
        using var signer = new EnvelopeSigner(signing);
        var peer = net.DialPeer(to, nodeTls, net.RootOf(to));
        return await peer.DeliverAsync(new DeliverRequest { Envelope = signer.Sign(payloadType, payload.ToByteArray()) });
    }

    [Fact]
    public async Task A_revoked_signing_key_is_refused_by_the_partner_after_the_notice_across_a_restart_while_what_it_signed_before_still_verifies()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE", "AE");
        net["ZA"].Logs.ExpectErrors(r => r.Id.Id == 1714);
        var before = await net.DeliverAsync("ZA", "BE");
        using var za = net.Credentials("ZA");
        var serial = za.DocumentSigning.SerialNumber;

        // Where the root key is: the real binary writes the CRL; on the node: the real binary publishes it.
        var crl = Path.Combine(net.PkiDir("ZA"), "crl.pem");
        var revoked = await KpNodeProcess.RunAsync("pki", "revoke", "--root-key", RootKey(net, "ZA"), "--serial", serial, "--reason", "keyCompromise");
        Assert.True(revoked.ExitCode == 0, revoked.Stdout + revoked.Stderr);
        var published = await KpNodeProcess.RunAsync("pki", "publish", crl, "--config", net["ZA"].Config.FilePath, "--json");
        Assert.True(published.ExitCode == 0, published.Stdout + published.Stderr);
        Assert.Contains("\"BE\"", published.Stdout);
        Assert.Contains("\"AE\"", published.Stdout);

        // Each partner holds it, and ZA holds each one's signed receipt for the one notice it was sent.
        var ours = net.Store("ZA").FindRevocationList("ZA")!;
        Assert.Equal(["AE", "BE"], ours.NoticesSent.Keys.Order(StringComparer.Ordinal));
        foreach (var partner in new[] { "BE", "AE" })
        {
            await WaitUntilHeldAsync(net, partner, "ZA", 1);
            var notice = await Eventually.WaitAsync(() => Task.FromResult(net.Store("ZA").FindMessage(ours.NoticesSent[partner])), m => m?.Status == KpNode.Domain.MessageStatus.Delivered,
                TimeSpan.FromSeconds(30), m => $"the notice to {partner} is {m?.Status}: {m?.LastError}");
            Assert.Equal(PayloadTypes.RevocationNotice, notice!.PayloadType);
            Assert.NotNull(notice.ReceiptEnvelope);
            Assert.Single(PartnerReloadTests.OutboundTo(net, "ZA", partner), m => m.PayloadType == PayloadTypes.RevocationNotice);
        }

        // A certificate signed now with the revoked key: refused, naming the certificate and its effective time, nothing stored.
        var later = HostileInputs.Issued("ZA", "BE");
        async Task AssertRefusedAsync()
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => DeliverByHandAsync(net, za.DocumentSigning, za.NodeTls, later, PayloadTypes.CertificateIssued));
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            Assert.Contains(RevocationList.CanonicalSerial(serial), e.Status.Detail);
            Assert.Contains("revoked", e.Status.Detail);
            Assert.Contains("effective", e.Status.Detail);
            Assert.Null(await net.FindAsync("BE", later.Certificate.Number));
        }

        // The effective time is the moment of 'pki revoke' rounded up to the second: a delivery signed from then on.
        var effective = RevocationList.Parse(ours.Der).Entries.Single().EffectiveAt;
        await Eventually.WaitAsync(() => DateTimeOffset.UtcNow > effective, TimeSpan.FromSeconds(5), "the effective time to pass");
        await AssertRefusedAsync();
        // Signed before the effective time: still served with its evidence, and not marked.
        var held = await net.FindAsync("BE", before);
        Assert.NotNull(held);
        Assert.Equal("", held!.SignedByRevokedKey);

        // ZA itself signs nothing more with it, and says what to do.
        var own = await Assert.ThrowsAsync<RpcException>(() => net.IssueAsync("ZA", "BE"));
        Assert.Equal(StatusCode.FailedPrecondition, own.StatusCode);
        Assert.Contains("kpnode pki request --purpose signing", own.Status.Detail);
        var status = await net["ZA"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest());
        Assert.Contains(RevocationList.CanonicalSerial(serial), status.SigningCertificateRevoked);

        // ZA serves its CRL on the Peer API, as its root signed it.
        using var be = net.Credentials("BE");
        var served = await net.DialPeer("ZA", be.NodeTls, net.RootOf("ZA")).GetRevocationListAsync(new GetRevocationListRequest());
        Assert.Equal(1, served.CrlNumber);
        Assert.Equal(ours.Der, served.CrlDer.ToByteArray());

        // The revocation survives BE's restart.
        await net.RestartAsync("BE", []);
        await AssertRefusedAsync();
        Assert.NotNull(await net.FindAsync("BE", before));

        // And openssl, given the CRL BE held, agrees.
        var crlFile = Path.Combine(net.Root, "served.crl");
        await File.WriteAllTextAsync(crlFile, System.Security.Cryptography.PemEncoding.WriteString("X509 CRL", served.CrlDer.ToByteArray()));
        var signingFile = Path.Combine(net.PkiDir("ZA"), "signing.crt");
        var (exit, output) = await RevocationCommandTests.OpenSsl("verify", "-crl_check", "-CRLfile", crlFile, "-CAfile", Path.Combine(net.PkiDir("ZA"), "root.crt"), signingFile);
        Assert.NotEqual(0, exit);
        Assert.Contains("certificate revoked", output);
    }

    [Fact]
    public async Task What_a_key_signed_after_its_back_dated_compromise_is_marked_signed_by_a_revoked_key_in_cert_show_status_and_metrics_not_as_damage()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        net["ZA"].Logs.ExpectErrors(r => r.Id.Id == 1714);
        var first = await net.DeliverAsync("ZA", "BE");
        var firstAt = ReceivedAt(await net.FindAsync("BE", first));
        // CRL times are whole seconds: the second delivery's receipt comes a second after the first's.
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var second = await net.DeliverAsync("ZA", "BE");
        var secondAt = ReceivedAt(await net.FindAsync("BE", second));
        var compromisedAt = DateTimeOffset.FromUnixTimeSeconds(secondAt.ToUnixTimeSeconds());
        Assert.True(firstAt < compromisedAt, $"{firstAt:O} is not before {compromisedAt:O}");

        using var za = net.Credentials("ZA");
        var list = Revoke(net, "ZA", null, X509RevocationReason.KeyCompromise, compromisedAt, za.DocumentSigning.SerialNumber);
        await PublishAsync(net, "ZA", list);
        await WaitUntilHeldAsync(net, "BE", "ZA", 1);

        foreach (var code in new[] { "BE", "ZA" })
        {
            var marked = (await net.FindAsync(code, second))!;
            Assert.Contains("signed by a revoked key", marked.SignedByRevokedKey);
            Assert.Contains(RevocationList.CanonicalSerial(za.DocumentSigning.SerialNumber), marked.SignedByRevokedKey);
            Assert.Equal("", (await net.FindAsync(code, first))!.SignedByRevokedKey);
            var status = await net[code].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest());
            Assert.Equal(1, status.RecordsSignedByRevokedKeys);
            Assert.True(status.Healthy, status.HealthDetail);
        }

        // After a restart the store check passes: a revoked signature is not damage.
        await net.RestartAsync("BE", []);
        var integrity = (StoreIntegrity)net["BE"].Host!.Services.GetService(typeof(StoreIntegrity))!;
        var state = await Eventually.WaitAsync(() => Task.FromResult(integrity.State), s => s.Check is { Finished: true }, TimeSpan.FromSeconds(30),
            s => $"BE's store check did not finish: {s?.Check}");
        Assert.True(state.Intact, state.Describe());
        Assert.Contains("signed by a revoked key", (await net.FindAsync("BE", second))!.SignedByRevokedKey);
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(Operations.Ops.Url(net["BE"]) + "/metrics");
        Assert.Matches(@"(?m)^kpnode_records_signed_by_revoked_keys(\{[^}]*\})? 1(\s|$)", metrics);
        Assert.Contains("id=\"revoked-signatures\">1 message(s)", await http.GetStringAsync(Operations.Ops.Url(net["BE"]) + "/"));
    }

    [Fact]
    public async Task A_partner_holding_the_notice_refuses_the_revoked_node_certificate_at_tls()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var za = net.Credentials("ZA");
        // A little in the past: CRL times are whole seconds, rounded up.
        await PublishAsync(net, "ZA", Revoke(net, "ZA", null, X509RevocationReason.Superseded, DateTimeOffset.UtcNow.AddSeconds(-2), za.NodeTls.SerialNumber));
        await WaitUntilHeldAsync(net, "BE", "ZA", 1);

        var e = await Assert.ThrowsAsync<RpcException>(() => net.DialPeer("BE", za.NodeTls, net.RootOf("BE")).PingAsync(new PingRequest { Nonce = ByteString.CopyFrom([1, 2, 3]) }).ResponseAsync);
        ExchangeAssert.AssertRefusedAtTls(e);
        Assert.Contains(net["BE"].Logs.Entries, r => r.Id.Id == 1100 && r.Message.Contains("revoked", StringComparison.Ordinal));

        // BE, dialling ZA, refuses ZA's server certificate too.
        var ping = await net["BE"].Client.Operations.PingPeerAsync(new PingPeerRequest { Partner = "ZA" });
        Assert.False(ping.Ok);
        Assert.Contains("revoked", ping.Error);
    }

    [Fact]
    public async Task A_notice_whose_crl_is_not_the_senders_roots_or_that_names_another_participant_is_refused_and_nothing_is_stored()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var za = net.Credentials("ZA");
        using var forgedRoot = CertificateAuthority.CreateRoot("ZA", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var forged = RevocationListIssuer.Revoke(forgedRoot, null, "crl.pem", RevocationListIssuer.ParseSerial("0A"), X509RevocationReason.Superseded,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

        var e = await Assert.ThrowsAsync<RpcException>(() => DeliverByHandAsync(net, za.DocumentSigning, za.NodeTls, Notice(forged, "ZA", "BE"), PayloadTypes.RevocationNotice));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("not signed by ZA's root", e.Status.Detail);

        var genuine = Revoke(net, "ZA", null, X509RevocationReason.Superseded, DateTimeOffset.UtcNow, "0A");
        var other = await Assert.ThrowsAsync<RpcException>(() => DeliverByHandAsync(net, za.DocumentSigning, za.NodeTls, Notice(genuine, "ZA", "FR"), PayloadTypes.RevocationNotice));
        Assert.Equal(StatusCode.PermissionDenied, other.StatusCode);
        Assert.Contains("addressed to FR", other.Status.Detail);
        Assert.Null(net.Store("BE").FindRevocationList("ZA"));

        // And ZA's node publishes only its own root's list.
        var refused = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(net, "ZA", forged));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("not signed by ZA's root", refused.Status.Detail);
    }

    [Fact]
    public async Task A_replayed_older_list_is_answered_with_a_signed_rejection_the_same_each_time_and_does_not_roll_back()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var za = net.Credentials("ZA");
        var first = Revoke(net, "ZA", null, X509RevocationReason.Superseded, DateTimeOffset.UtcNow, "0A");
        var second = Revoke(net, "ZA", first.Der, X509RevocationReason.Superseded, DateTimeOffset.UtcNow, "0B");
        await PublishAsync(net, "ZA", first);
        await PublishAsync(net, "ZA", second);
        await WaitUntilHeldAsync(net, "BE", "ZA", 2);
        var notPublished = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(net, "ZA", first));
        Assert.Equal(StatusCode.FailedPrecondition, notPublished.StatusCode);
        Assert.Contains("already holds ZA's revocation list 2", notPublished.Status.Detail);

        var replay = Notice(first, "ZA", "BE");
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var envelope = signer.Sign(PayloadTypes.RevocationNotice, replay.ToByteArray());
        var peer = net.DialPeer("BE", za.NodeTls, net.RootOf("BE"));
        var answer = await peer.DeliverAsync(new DeliverRequest { Envelope = envelope });
        var again = await peer.DeliverAsync(new DeliverRequest { Envelope = envelope });
        Assert.Equal(answer.Receipt, again.Receipt);
        var receipt = Receipt.Parser.ParseFrom(answer.Receipt.Payload);
        Assert.Equal(ReceiptOutcome.Rejected, receipt.Outcome);
        Assert.Contains("not newer", receipt.ReasonText);

        Assert.Equal(2, net.Store("BE").FindRevocationList("ZA")!.Number);
        await net.RestartAsync("BE", []);
        Assert.Equal(2, net.Store("BE").FindRevocationList("ZA")!.Number);
    }

    [Fact]
    public async Task A_store_rebuild_keeps_the_revocation_lists_held()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await PublishAsync(net, "ZA", Revoke(net, "ZA", null, X509RevocationReason.Superseded, DateTimeOffset.UtcNow, "0A"));
        await WaitUntilHeldAsync(net, "BE", "ZA", 1);
        var held = net.Store("BE").FindRevocationList("ZA")!;
        await net["BE"].StopAsync();

        var config = net["BE"].Config;
        var rebuilt = Path.Combine(config.Options.DataDirectory, "rebuilt.db");
        using (var credentials = new NodeCredentials(net.Credentials("BE"), net.PkiDir("BE")))
        using (var old = KpNode.Storage.NodeStore.Open(Path.Combine(config.Options.DataDirectory, "kpnode.db"), TimeProvider.System))
        {
            var evidence = new StoredEvidence(new EnvelopeVerifier(new TrustChain()), credentials, Partners.Load(config), TimeProvider.System);
            StoreRebuild.Build(old, rebuilt, evidence, TimeProvider.System, "kpnode.db", _ => { });
        }

        using var fresh = KpNode.Storage.NodeStore.Open(rebuilt, TimeProvider.System);
        Assert.Equal(held.Der, fresh.FindRevocationList("ZA")!.Der);
    }

    private static RevocationNotice Notice(RevocationList list, string from, string to) => new()
    {
        Header = new MessageHeader
        {
            MessageId = Guid.CreateVersion7().ToString("D"),
            Sender = from,
            Receiver = to,
            CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow),
        },
        CrlDer = ByteString.CopyFrom(list.Der),
        CrlNumber = (long)list.Number,
    };

    private static DateTimeOffset ReceivedAt(CertificateRecord? record) =>
        Receipt.Parser.ParseFrom(Envelope.Parser.ParseFrom(record!.ReceiptEnvelope).Payload).ReceivedAt.ToDateTimeOffset();
}
