using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Tests.Cli;

/// <summary>
/// `kpnode pki request|sign|install` with the root key offline (`pki init --root-out`), as a person runs them:
/// the real binary, openssl (not ours) checking what it wrote, and a real node starting on the result.
/// </summary>
public sealed class PkiRotationCommandTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("kpnode-rotation-");

    public void Dispose() => _temp.Delete(recursive: true);

    private string Pki => Path.Combine(_temp.FullName, "node", "pki");

    private string RootDir => Path.Combine(_temp.FullName, "usb", "kp-root");

    private static Task<KpNodeProcess.Result> Kpnode(params string[] args) => KpNodeProcess.SucceedsAsync(null, args);

    private static async Task<string> OpenSsl(params string[] args)
    {
        await ThirdPartyTools.RequireOpenSslAsync();
        var (exit, stdout, stderr) = await ThirdPartyTools.RunAsync(ThirdPartyTools.OpenSsl, args, TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"openssl {string.Join(' ', args)} exited {exit}: {stderr}");
        return stdout + stderr;
    }

    private Task InitAsync(string participant = "ZA") => Kpnode("pki", "init", "--participant", participant, "--out", Pki, "--root-out", RootDir);

    /// <summary>request, sign (where the root key is), install; returns the certificate file.</summary>
    private async Task<string> RotateAsync(string dir, string purpose, params string[] extra)
    {
        var request = await Kpnode(["pki", "request", "--purpose", purpose, "--pki", dir, .. extra]);
        var csr = Path.Combine(dir, "pending", purpose + ".csr");
        Assert.Contains("kpnode pki sign --root-key ROOT-DIR/root.key " + purpose + ".csr", request.Stdout);
        // Carried to the machine with the root key, signed there, carried back.
        var away = Directory.CreateDirectory(Path.Combine(_temp.FullName, "away-" + Guid.NewGuid().ToString("N")));
        File.Copy(csr, Path.Combine(away.FullName, purpose + ".csr"));
        await Kpnode("pki", "sign", "--root-key", Path.Combine(RootDir, "root.key"), Path.Combine(away.FullName, purpose + ".csr"));
        var certificate = Path.Combine(away.FullName, purpose + ".crt");
        var installed = await Kpnode("pki", "install", certificate, "--pki", dir);
        Assert.Contains(purpose == "operator" ? "next run" : "kpnode pki reload", installed.Stdout);
        return certificate;
    }

    [Fact]
    public async Task Init_with_root_out_keeps_the_root_key_out_of_the_node_folder_and_every_purpose_rotates_through_request_sign_install()
    {
        await InitAsync();
        Assert.False(File.Exists(Path.Combine(Pki, "root.key")));
        Assert.True(File.Exists(Path.Combine(RootDir, "root.key")));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(RootDir, "root.crt")), await File.ReadAllBytesAsync(Path.Combine(Pki, "root.crt")));
        string[] before;
        using (var initial = PkiFiles.Load(Pki))
            before = [initial.NodeTls.SerialNumber, initial.DocumentSigning.SerialNumber, initial.Operator.SerialNumber];

        var cases = new (string Purpose, string[] Extra, string Eku, string[] Sans)[]
        {
            ("tls", ["--dns", "kp.sadpmr.example"], "TLS Web Server Authentication, TLS Web Client Authentication",
                ["DNS:localhost", "DNS:kp.sadpmr.example", "IP Address:127.0.0.1", "URI:kp:participant:ZA"]),
            ("signing", [], "1.3.6.1.5.5.7.3.36", ["URI:kp:participant:ZA"]),
            ("operator", ["--name", "N. Dlamini"], "TLS Web Client Authentication", ["URI:kp:participant:ZA", "URI:kp:operator:n.dlamini"]),
        };
        foreach (var (purpose, extra, eku, sans) in cases)
        {
            var requested = await Kpnode(["pki", "request", "--purpose", purpose, "--pki", Pki, .. extra]);
            var csr = Path.Combine(Pki, "pending", purpose + ".csr");
            Assert.Contains(csr, requested.Stdout);
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Pki, "pending", purpose + ".key")));
            Assert.Contains("verify OK", await OpenSsl("req", "-verify", "-noout", "-in", csr));

            var signedPath = Path.Combine(_temp.FullName, purpose + ".crt");
            await Kpnode("pki", "sign", "--root-key", Path.Combine(RootDir, "root.key"), csr, "--out", signedPath);
            Assert.Contains(": OK", await OpenSsl("verify", "-CAfile", Path.Combine(Pki, "root.crt"), "-purpose", purpose == "tls" ? "sslserver" : "any", signedPath));
            var text = await OpenSsl("x509", "-in", signedPath, "-noout", "-text");
            Assert.Contains(eku, text);
            foreach (var san in sans)
                Assert.Contains(san, text);
            Assert.Contains("CA:FALSE", text);
            if (purpose == "operator")
                Assert.Contains("CN = KP ZA Operator N. Dlamini", text);

            var installed = await Kpnode("pki", "install", signedPath, "--pki", Pki, "--json");
            var report = System.Text.Json.JsonDocument.Parse(installed.Stdout).RootElement;
            Assert.Equal(purpose, report.GetProperty("purpose").GetString());
            Assert.True(File.Exists(report.GetProperty("retiredCertificate").GetString()));
            Assert.True(File.Exists(report.GetProperty("retiredKey").GetString()));
            Assert.False(File.Exists(Path.Combine(Pki, "pending", purpose + ".key")));
        }

        using var rotated = PkiFiles.Load(Pki);
        Assert.Empty(OwnCredentials.Problems(rotated, Pki, "ZA", DateTimeOffset.UtcNow));
        Assert.Equal("n.dlamini", ParticipantIdentity.OperatorFromCertificate(rotated.Operator));
        string[] after = [rotated.NodeTls.SerialNumber, rotated.DocumentSigning.SerialNumber, rotated.Operator.SerialNumber];
        Assert.All(after.Zip(before), pair => Assert.NotEqual(pair.Second, pair.First));
        // The old signing leaf stays, to verify what it signed.
        Assert.True(File.Exists(Path.Combine(Pki, "retired", $"signing-{before[1]}.crt")));
        Assert.False(File.Exists(Path.Combine(Pki, "root.key")));
    }

    [Fact]
    public async Task A_node_started_on_a_PKI_without_its_root_key_delivers_before_and_after_its_signing_and_TLS_certificates_are_rotated()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["ZA"].StopAsync();
        await net["BE"].StopAsync();
        // ZA's PKI as a deployment makes it: the root key on a USB key, never in the node's folder.
        var pki = net.PkiDir("ZA");
        Directory.Delete(pki, recursive: true);
        await Kpnode("pki", "init", "--participant", "ZA", "--out", pki, "--root-out", RootDir);
        Assert.False(File.Exists(Path.Combine(pki, "root.key")));
        await net["BE"].StartAsync();
        await net["ZA"].StartAsync();
        await net.DeliverAsync("ZA", "BE");

        await net["ZA"].StopAsync();
        await RotateAsync(pki, "signing");
        await RotateAsync(pki, "tls");
        await net["ZA"].StartAsync();
        using var rotated = PkiFiles.Load(pki);

        var number = await net.DeliverAsync("ZA", "BE");
        var held = await net.FindAsync("BE", number);
        var signer = Envelope.Parser.ParseFrom(held!.CertificateEnvelope).Signatures.Single().X5C[0].ToByteArray();
        Assert.Equal(rotated.DocumentSigning.RawData, signer);
        Assert.Equal(rotated.NodeTls.RawData, await PresentedCertificateAsync(net["ZA"].Host!.PeerAddress, net.Credentials("BE").NodeTls));
        Assert.False(File.Exists(Path.Combine(pki, "root.key")));
    }

    [Fact]
    public async Task Pki_sign_refuses_a_request_of_another_participant_and_writes_nothing()
    {
        await InitAsync("ZA");
        var be = Path.Combine(_temp.FullName, "be", "pki");
        await Kpnode("pki", "init", "--participant", "BE", "--out", be, "--root-out", Path.Combine(_temp.FullName, "be-root"));
        await Kpnode("pki", "request", "--purpose", "signing", "--pki", be);

        var csr = Path.Combine(be, "pending", "signing.csr");
        var refused = await KpNodeProcess.RunAsync("pki", "sign", "--root-key", Path.Combine(RootDir, "root.key"), csr);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("participant BE", refused.Stderr);
        Assert.Contains("ZA's root", refused.Stderr);
        Assert.False(File.Exists(Path.ChangeExtension(csr, ".crt")));
    }

    [Fact]
    public async Task Pki_sign_refuses_an_altered_request()
    {
        await InitAsync();
        await Kpnode("pki", "request", "--purpose", "signing", "--pki", Pki);
        var csr = Path.Combine(Pki, "pending", "signing.csr");
        var der = PemEncoding.Find(await File.ReadAllTextAsync(csr)) is var pem ? Convert.FromBase64String((await File.ReadAllTextAsync(csr))[pem.Base64Data]) : [];
        // One byte of the subject's key flipped: the self-signature no longer holds.
        der[der.Length / 3] ^= 0x01;
        var altered = Path.Combine(_temp.FullName, "altered.csr");
        await File.WriteAllBytesAsync(altered, der);

        var refused = await KpNodeProcess.RunAsync("pki", "sign", "--root-key", Path.Combine(RootDir, "root.key"), altered);
        Assert.Equal(1, refused.ExitCode);
        Assert.Matches("signature does not verify|not a readable", refused.Stderr);
        Assert.False(File.Exists(Path.ChangeExtension(altered, ".crt")));
    }

    [Fact]
    public async Task Pki_sign_gives_the_purpose_s_extensions_whatever_else_the_request_asks_for()
    {
        await InitAsync();
        // A hand-made request for a signing certificate that also asks to be a CA able to sign certificates.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Anything I like", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(KeyPurpose.DocumentSigning)], false));
        foreach (var extension in new LeafProfile("ZA", LeafKind.DocumentSigning, []).Extensions().Where(e => e.Oid?.Value == "2.5.29.17"))
            request.CertificateExtensions.Add(extension);
        request.CertificateExtensions.Add(new X509Extension("1.2.3.4.5", [0x05, 0x00], false));
        var csr = Path.Combine(_temp.FullName, "greedy.csr");
        await File.WriteAllTextAsync(csr, request.CreateSigningRequestPem());

        await Kpnode("pki", "sign", "--root-key", Path.Combine(RootDir, "root.key"), csr);
        using var issued = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.ChangeExtension(csr, ".crt")));
        Assert.False(issued.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, issued.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.Null(issued.Extensions["1.2.3.4.5"]);
        Assert.Equal("CN=KP ZA Document Signer, O=Kimberley Process participant ZA", issued.Subject);
        Assert.True(new TrustChain().Validate(issued, [], KeyPurpose.DocumentSigning, DateTimeOffset.UtcNow, [PkiFiles.LoadRoot(Path.Combine(Pki, "root.crt"))]).IsTrusted);
    }

    [Fact]
    public async Task Pki_install_refuses_a_certificate_whose_key_was_not_made_in_that_folder_and_changes_nothing()
    {
        await InitAsync();
        // The same PKI copied elsewhere before the request: same root, but no pending key there.
        var copy = Path.Combine(_temp.FullName, "copy", "pki");
        CopyDirectory(Pki, copy);
        var certificate = Path.Combine(_temp.FullName, "signing.crt");
        await Kpnode("pki", "request", "--purpose", "signing", "--pki", Pki);
        await Kpnode("pki", "sign", "--root-key", Path.Combine(RootDir, "root.key"), Path.Combine(Pki, "pending", "signing.csr"), "--out", certificate);
        var signingBefore = await File.ReadAllBytesAsync(Path.Combine(copy, "signing.crt"));

        var refused = await KpNodeProcess.RunAsync("pki", "install", certificate, "--pki", copy);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("no pending signing key", refused.Stderr);
        Assert.Equal(signingBefore, await File.ReadAllBytesAsync(Path.Combine(copy, "signing.crt")));
        Assert.False(Directory.Exists(Path.Combine(copy, "retired")));

        // A pending key of another request does not fit either.
        await Kpnode("pki", "request", "--purpose", "signing", "--pki", copy);
        var mismatched = await KpNodeProcess.RunAsync("pki", "install", certificate, "--pki", copy);
        Assert.Equal(1, mismatched.ExitCode);
        Assert.Contains("does not match the pending signing key", mismatched.Stderr);
        Assert.Equal(signingBefore, await File.ReadAllBytesAsync(Path.Combine(copy, "signing.crt")));
    }

    [Fact]
    public async Task A_second_request_never_overwrites_a_pending_key_and_operator_names_map_to_uri_safe_ids()
    {
        await InitAsync();
        await Kpnode("pki", "request", "--purpose", "operator", "--name", "Zoë O'Brien", "--pki", Pki);
        var key = Path.Combine(Pki, "pending", "operator.key");
        var keyBefore = await File.ReadAllBytesAsync(key);
        var again = await KpNodeProcess.RunAsync("pki", "request", "--purpose", "operator", "--pki", Pki);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("never overwritten", again.Stderr);
        Assert.Equal(keyBefore, await File.ReadAllBytesAsync(key));
        Assert.Equal("zoe.o.brien", OperatorNames.IdFor("Zoë O'Brien"));
        Assert.Equal("n.dlamini", OperatorNames.IdFor("N. Dlamini"));
        Assert.Null(OperatorNames.IdFor("Ναταλία"));

        var wrong = await KpNodeProcess.RunAsync("pki", "request", "--purpose", "signing", "--name", "N. Dlamini", "--pki", Pki);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("--purpose operator", wrong.Stderr);
    }

    [Fact]
    public void An_install_interrupted_between_its_two_renames_leaves_a_PKI_that_loads_and_is_finished_by_loading_it()
    {
        var dir = Path.Combine(_temp.FullName, "pki");
        var rootDir = Path.Combine(_temp.FullName, "root");
        var now = DateTimeOffset.UtcNow;
        using (var pki = DevPki.Create("ZA", [], now))
            PkiFiles.Write(dir, pki, rootDir);
        var csr = PkiRotation.Request(dir, new LeafProfile("ZA", LeafKind.DocumentSigning, []), null);
        using var root = PkiFiles.LoadRootWithKey(Path.Combine(rootDir, "root.crt"), Path.Combine(rootDir, "root.key"));
        using var issued = PkiRotation.Sign(File.ReadAllBytes(csr), csr, root, "root.crt", now, null).Certificate;

        // As Install leaves it if the machine stops after renaming the key and before renaming the certificate.
        File.Copy(PkiRotation.PendingKeyPath(dir, LeafKind.DocumentSigning), Path.Combine(dir, "signing.key"), overwrite: true);
        File.WriteAllText(Path.Combine(dir, "signing.crt.new"), issued.ExportCertificatePem());

        using var loaded = PkiFiles.Load(dir);
        Assert.Equal(issued.RawData, loaded.DocumentSigning.RawData);
        Assert.False(File.Exists(Path.Combine(dir, "signing.crt.new")));
        Assert.Equal(issued.RawData, PkiFiles.LoadCertificate(Path.Combine(dir, "signing.crt")).RawData);
    }

    /// <summary>The certificate a TLS server presents, read during the handshake.</summary>
    private static async Task<byte[]> PresentedCertificateAsync(Uri address, X509Certificate2 clientCertificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host == "localhost" ? "127.0.0.1" : address.Host, address.Port);
        byte[]? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
        {
            presented = cert?.GetRawCertData();
            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [clientCertificate],
            ApplicationProtocols = [SslApplicationProtocol.Http2],
        });
        return presented ?? throw new InvalidOperationException("the server presented no certificate");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
