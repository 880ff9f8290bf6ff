using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using KpNode.Domain;
using KpNode.Integrity;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;
using CertificateStatus = KpNode.Wire.V1.CertificateStatus;

namespace KpNode.Tests.Trust;

/// <summary>
/// A running node switches to leaves installed in its PKI folder (pki request, sign, install, then reload) without a
/// restart and without failing what is in flight; what the old leaves signed keeps verifying; partners change nothing.
/// </summary>
public sealed class LiveRotationTests
{
    private const int Certificates = 200;

    [Fact]
    public async Task Two_hundred_certificates_flow_while_ZA_rotates_its_signing_and_TLS_keys_and_BE_its_TLS_key_with_no_failure_or_duplicate()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var before = Leaves(net, "ZA");
        var beTlsBefore = Leaves(net, "BE").NodeTls;

        var numbers = new ConcurrentBag<string>();
        var issued = 0;
        var rotatedAt = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        var rotations = Task.Run(async () =>
        {
            await Eventually.WaitAsync(() => Task.FromResult(Volatile.Read(ref issued)), n => n >= 50, TimeSpan.FromSeconds(60), n => $"only {n} issued");
            Install(net, "ZA", LeafKind.DocumentSigning);
            Install(net, "ZA", LeafKind.NodeTls);
            var za = await net["ZA"].Client.Operations.ReloadCredentialsAsync(new ReloadCredentialsRequest());
            Assert.Equal([true, true, false], za.Credentials.Select(c => c.Changed));
            rotatedAt[0].SetResult();

            await Eventually.WaitAsync(() => Task.FromResult(Volatile.Read(ref issued)), n => n >= 100, TimeSpan.FromSeconds(60), n => $"only {n} issued");
            Install(net, "BE", LeafKind.NodeTls);
            var be = await net["BE"].Client.Operations.ReloadCredentialsAsync(new ReloadCredentialsRequest());
            Assert.Equal([true, false, false], be.Credentials.Select(c => c.Changed));
            rotatedAt[1].SetResult();
        });
        // Four clerks issue at once, as a busy office would, while the keys change under them; the last 50 wait for both
        // rotations, so that certificates are issued (and delivered) before, during and after them.
        var clerks = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref issued)) <= Certificates)
            {
                if (n > Certificates - 50)
                    await Task.WhenAll(rotatedAt[0].Task, rotatedAt[1].Task);
                numbers.Add((await net.IssueAsync("ZA", "BE")).Certificate.Number);
            }
        })).ToList();
        await Task.WhenAll([rotations, .. clerks]);

        var after = Leaves(net, "ZA");
        var beTlsAfter = Leaves(net, "BE").NodeTls;
        Assert.NotEqual(before.DocumentSigning.SerialNumber, after.DocumentSigning.SerialNumber);
        Assert.NotEqual(before.NodeTls.SerialNumber, after.NodeTls.SerialNumber);
        Assert.NotEqual(beTlsBefore.SerialNumber, beTlsAfter.SerialNumber);

        Assert.Equal(Certificates, numbers.Distinct().Count());
        foreach (var number in numbers)
        {
            await net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered);
        }

        // 0 failures: no message has a failed attempt on record, no delivery failed or was refused at TLS.
        var outbound = Messages(net, "ZA").Where(m => m.Direction == MessageDirection.Outbound).ToList();
        Assert.Equal(Certificates, outbound.Count);
        Assert.All(outbound, m => Assert.Equal((MessageStatus.Delivered, 0), (m.Status, m.Attempts)));
        foreach (var code in new[] { "ZA", "BE" })
        {
            Assert.DoesNotContain(net[code].Logs.Entries, r => r.Id.Id is 1100 or 1301 or 1305 or 1731);
        }

        // 0 duplicates: BE holds each certificate once, as one inbound message.
        var inbound = Messages(net, "BE").Where(m => m.Direction == MessageDirection.Inbound).ToList();
        Assert.Equal(numbers.Order().ToList(), inbound.Select(m => m.CertificateNumber).Order().ToList());

        // Both signing keys were used, and every envelope and receipt, from before and after, verifies on both sides.
        var signers = inbound.Select(m => Envelope.Parser.ParseFrom(m.Envelope).Signatures.Single().Keyid).Distinct().ToList();
        Assert.Equal(new[] { DerFingerprint.Of(before.DocumentSigning.RawData), DerFingerprint.Of(after.DocumentSigning.RawData) }.Order(), signers.Order());
        foreach (var code in new[] { "ZA", "BE" })
        {
            var evidence = Service<StoredEvidence>(net, code);
            Assert.All(Messages(net, code), m => Assert.NotEmpty(evidence.Message(m)));
        }

        // The next connections present the new TLS certificates, both as servers and, ZA's, as a client to BE.
        Assert.Equal(after.NodeTls.SerialNumber, await ServerCertificateSerialAsync(net, "ZA", Leaves(net, "BE").NodeTls));
        Assert.Equal(beTlsAfter.SerialNumber, await ServerCertificateSerialAsync(net, "BE", after.NodeTls));
        await net["BE"].Logs.WaitForAsync(r => r.Id.Id == 1732 && r.Message.Contains(after.NodeTls.SerialNumber, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reload_of_a_folder_the_node_would_not_start_with_is_refused_and_the_node_keeps_its_certificates()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var dir = net.PkiDir("ZA");
        var signing = Path.Combine(dir, PkiFiles.SigningCertificate);
        var original = await File.ReadAllTextAsync(signing);
        // BE's signing certificate beside ZA's key: another participant's, and not the key's.
        File.Copy(Path.Combine(net.PkiDir("BE"), PkiFiles.SigningCertificate), signing, overwrite: true);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await net["ZA"].Client.Operations.ReloadCredentialsAsync(new ReloadCredentialsRequest()));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("keeps the certificates it has", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("signing.key", e.Status.Detail, StringComparison.Ordinal);
        await net["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1731);
        await File.WriteAllTextAsync(signing, original);
        var number = await net.DeliverAsync("ZA", "BE");
        var held = await net.FindAsync("BE", number);
        Assert.Equal(CertificateStatus.Received, held!.Status);
    }

    [Fact]
    public async Task Status_names_the_command_that_renews_each_of_our_certificates_and_a_reload_is_in_the_audit_log()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var dir = net.PkiDir("ZA");

        var status = await net["ZA"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest());

        var renew = status.Credentials.Where(c => c.Owner == "ZA").ToDictionary(c => c.Kind, c => c.RenewCommand);
        Assert.Equal($"kpnode pki request --purpose tls --pki {dir}", renew[CredentialKind.NodeTls]);
        Assert.Equal($"kpnode pki request --purpose signing --pki {dir}", renew[CredentialKind.DocumentSigning]);
        Assert.Equal($"kpnode pki request --purpose operator --pki {dir}", renew[CredentialKind.Operator]);
        Assert.Equal("", renew[CredentialKind.Root]);
        // The whole renewal, as README's rotation block runs it, with this node's paths (the dev root key lies in its PKI folder).
        var signing = status.Credentials.Single(c => c.Owner == "ZA" && c.Kind == CredentialKind.DocumentSigning);
        var config = net["ZA"].Config.FilePath;
        Assert.Equal(
        [
            $"kpnode pki request --purpose signing --pki {dir}",
            $"kpnode pki sign --root-key {Path.Combine(dir, PkiFiles.RootKey)} {Path.Combine(dir, PkiRotation.PendingFolder, "signing.csr")}",
            $"kpnode pki install {Path.Combine(dir, PkiRotation.PendingFolder, "signing.crt")} --pki {dir}",
            $"kpnode pki reload --config {config}",
        ], signing.RenewSteps);
        // Kept offline, the root key is named by a placeholder the operator replaces.
        var elsewhere = Path.Combine(net.Root, "pki-without-root-key");
        const string placeholder = global::KpNode.Operations.ExpiryCheck.RootKeyPlaceholder;
        Assert.Equal($"kpnode pki sign --root-key {placeholder} {Path.Combine(elsewhere, PkiRotation.PendingFolder, "tls.csr")}",
            global::KpNode.Operations.ExpiryCheck.RenewSteps(LeafKind.NodeTls, Leaves(net, "ZA").NodeTls, elsewhere, config)[1]);

        var installedFrom = Leaves(net, "ZA").DocumentSigning.SerialNumber;
        var installed = Install(net, "ZA", LeafKind.DocumentSigning);
        await net["ZA"].Client.Operations.ReloadCredentialsAsync(new ReloadCredentialsRequest());
        var audit = net.Store("ZA").ReadAudit(0, 1000);
        var entry = Assert.Single(audit, a => a.Action == "pki.reloaded");
        Assert.Contains($"signing {installedFrom} -> {Leaves(net, "ZA").DocumentSigning.SerialNumber}", entry.Detail, StringComparison.Ordinal);
        Assert.Equal(installed, Leaves(net, "ZA").DocumentSigning.SerialNumber);
    }

    /// <summary>pki request, sign (with the root key, here in the dev folder) and install, as the CLI runs them; returns the new serial.</summary>
    private static string Install(TestNetwork net, string code, LeafKind kind)
    {
        var dir = net.PkiDir(code);
        var request = PkiRotation.Request(dir, new LeafProfile(code, kind, []), null);
        using var root = PkiFiles.LoadRootWithKey(Path.Combine(dir, PkiFiles.RootCertificate), Path.Combine(dir, PkiFiles.RootKey));
        var signed = PkiRotation.Sign(File.ReadAllBytes(request), request, root, Path.Combine(dir, PkiFiles.RootCertificate), DateTimeOffset.UtcNow, null);
        using var certificate = signed.Certificate;
        var file = Path.Combine(net.Root, $"{code}-{LeafRequest.PurposeName(kind)}-{certificate.SerialNumber}.crt");
        File.WriteAllText(file, certificate.ExportCertificatePem());
        return PkiRotation.Install(dir, file, DateTimeOffset.UtcNow).Serial;
    }

    private static ParticipantCredentials Leaves(TestNetwork net, string code) => Service<NodeCredentials>(net, code).Current;

    private static T Service<T>(TestNetwork net, string code) => (T)net[code].Host!.Services.GetService(typeof(T))!;

    private static List<PartnerMessage> Messages(TestNetwork net, string code)
    {
        var store = net.Store(code);
        return [.. store.MessageIdsAfter(null, 10_000).Select(id => store.FindMessage(id)!)];
    }

    /// <summary>The serial of the certificate a fresh TLS connection to <paramref name="code"/>'s Peer endpoint is served.</summary>
    private static async Task<string> ServerCertificateSerialAsync(TestNetwork net, string code, X509Certificate2 clientCertificate)
    {
        var address = net[code].Host!.PeerAddress;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        string? serial = null;
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            serial = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()).SerialNumber;
            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [clientCertificate],
            ApplicationProtocols = [SslApplicationProtocol.Http2],
        });
        return serial ?? throw new InvalidOperationException($"{code} presented no certificate");
    }
}
