using System.Security.Cryptography.X509Certificates;
using KpNode.Trust;
using static KpNode.Tests.Trust.TrustTestData;

namespace KpNode.Tests.Trust;

public sealed class PkiFilesTests : IDisposable
{
    // Built, not written out, so that no tracked file looks like it holds a private key.
    private const string Pkcs8Label = "PRIVATE" + " KEY";
    private const string Pkcs8Header = "-----BEGIN " + Pkcs8Label + "-----";

    private static readonly string[] KeyFiles = [PkiFiles.RootKey, PkiFiles.NodeKey, PkiFiles.SigningKey, PkiFiles.OperatorKey];
    private static readonly string[] CertificateFiles = [PkiFiles.RootCertificate, PkiFiles.NodeCertificate, PkiFiles.SigningCertificate, PkiFiles.OperatorCertificate];

    private readonly TempDirectory _temp = new();
    private readonly ParticipantCredentials _pki = Pki("ZA");
    private readonly string _dir;

    public PkiFilesTests() => _dir = _temp.File("pki");

    public void Dispose()
    {
        _pki.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Written_pki_loads_back_with_every_certificate_and_private_key()
    {
        PkiFiles.Write(_dir, _pki);

        using var loaded = PkiFiles.Load(_dir);

        Assert.Equal("ZA", loaded.Participant);
        Assert.Equal(_pki.Root.RawData, loaded.Root.RawData);
        Assert.Equal(_pki.NodeTls.RawData, loaded.NodeTls.RawData);
        Assert.Equal(_pki.DocumentSigning.RawData, loaded.DocumentSigning.RawData);
        Assert.Equal(_pki.Operator.RawData, loaded.Operator.RawData);
        Assert.All(new[] { loaded.Root, loaded.NodeTls, loaded.DocumentSigning, loaded.Operator }, c => Assert.True(c.HasPrivateKey));
    }

    [Fact]
    public void Files_are_pem_with_keys_as_unencrypted_pkcs8()
    {
        PkiFiles.Write(_dir, _pki);

        Assert.All(CertificateFiles, name => Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(Path.Combine(_dir, name))));
        Assert.All(KeyFiles, name => Assert.StartsWith(Pkcs8Header, File.ReadAllText(Path.Combine(_dir, name))));
    }

    [Fact]
    public void Key_files_are_readable_and_writable_by_the_owner_only()
    {
        if (OperatingSystem.IsWindows())
            return;
        PkiFiles.Write(_dir, _pki);

        foreach (var name in KeyFiles)
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, name)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir));
    }

    [Fact]
    public void Existing_key_files_are_never_overwritten()
    {
        PkiFiles.Write(_dir, _pki);
        var before = File.ReadAllText(Path.Combine(_dir, PkiFiles.SigningKey));
        using var other = Pki("ZA");

        var error = Assert.Throws<PkiFileException>(() => PkiFiles.Write(_dir, other));

        Assert.Contains(PkiFiles.RootKey, error.Message);
        Assert.Contains("never overwritten", error.Message);
        Assert.Equal(before, File.ReadAllText(Path.Combine(_dir, PkiFiles.SigningKey)));
    }

    [Fact]
    public void A_single_leftover_key_file_stops_the_write_before_anything_is_written()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, PkiFiles.OperatorKey), "old key");

        var error = Assert.Throws<PkiFileException>(() => PkiFiles.Write(_dir, _pki));

        Assert.Equal(Path.Combine(_dir, PkiFiles.OperatorKey), error.FilePath);
        Assert.Equal([Path.Combine(_dir, PkiFiles.OperatorKey)], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Loaded_leaves_chain_to_the_loaded_root()
    {
        PkiFiles.Write(_dir, _pki);
        using var loaded = PkiFiles.Load(_dir);
        var chain = new TrustChain([loaded.Root]);

        Assert.True(chain.Validate(loaded.NodeTls, [], KeyPurpose.ServerAuth, Now).IsTrusted);
        Assert.True(chain.Validate(loaded.Operator, [], KeyPurpose.ClientAuth, Now).IsTrusted);
        Assert.True(chain.Validate(loaded.DocumentSigning, [], KeyPurpose.DocumentSigning, Now).IsTrusted);
    }

    [Fact]
    public void Loaded_signing_key_signs_envelopes_that_verify()
    {
        PkiFiles.Write(_dir, _pki);
        using var loaded = PkiFiles.Load(_dir);
        using var signer = new EnvelopeSigner(loaded.DocumentSigning);

        var verified = new EnvelopeVerifier(new TrustChain()).Verify(signer.Sign(PayloadType, Payload), [loaded.Root], Now);

        Assert.Equal("ZA", verified.SignerParticipant);
    }

    [Fact]
    public void Node_certificate_for_kestrel_is_a_pkcs12_copy_with_its_private_key()
    {
        PkiFiles.Write(_dir, _pki);
        using var loaded = PkiFiles.Load(_dir);

        using var forKestrel = loaded.NodeTlsForKestrel();

        Assert.True(forKestrel.HasPrivateKey);
        Assert.Equal(loaded.NodeTls.RawData, forKestrel.RawData);
        using var key = forKestrel.GetECDsaPrivateKey();
        Assert.NotNull(key);
    }

    [Fact]
    public void Pki_loads_without_the_root_key_kept_offline()
    {
        PkiFiles.Write(_dir, _pki);
        File.Delete(Path.Combine(_dir, PkiFiles.RootKey));

        using var loaded = PkiFiles.Load(_dir);

        Assert.False(loaded.Root.HasPrivateKey);
        Assert.True(loaded.DocumentSigning.HasPrivateKey);
    }

    [Fact]
    public void Missing_file_is_named_in_the_error()
    {
        PkiFiles.Write(_dir, _pki);
        File.Delete(Path.Combine(_dir, PkiFiles.SigningKey));

        var error = Assert.Throws<PkiFileException>(() => PkiFiles.Load(_dir));

        Assert.Equal(Path.Combine(_dir, PkiFiles.SigningKey), error.FilePath);
        Assert.Contains("private key file is missing", error.Message);
    }

    [Fact]
    public void Unreadable_key_is_named_in_the_error()
    {
        PkiFiles.Write(_dir, _pki);
        File.Delete(Path.Combine(_dir, PkiFiles.NodeKey));
        File.WriteAllText(Path.Combine(_dir, PkiFiles.NodeKey), $"{Pkcs8Header}\nbm90IGEga2V5\n-----END {Pkcs8Label}-----\n");

        var error = Assert.Throws<PkiFileException>(() => PkiFiles.Load(_dir));

        Assert.Equal(Path.Combine(_dir, PkiFiles.NodeKey), error.FilePath);
        Assert.Contains("unreadable private key", error.Message);
    }

    [Fact]
    public void Key_that_does_not_match_its_certificate_is_named_in_the_error()
    {
        PkiFiles.Write(_dir, _pki);
        File.Delete(Path.Combine(_dir, PkiFiles.SigningKey));
        File.Copy(Path.Combine(_dir, PkiFiles.NodeKey), Path.Combine(_dir, PkiFiles.SigningKey));

        var error = Assert.Throws<PkiFileException>(() => PkiFiles.Load(_dir));

        Assert.Equal(Path.Combine(_dir, PkiFiles.SigningKey), error.FilePath);
        Assert.Contains("does not match the certificate in signing.crt", error.Message);
    }

    [Fact]
    public void Partner_root_loads_as_a_trust_anchor_from_pem_or_der()
    {
        using var bw = Pki("BW");
        var pem = _temp.File("bw-root.crt");
        var der = _temp.File("bw-root.der");
        File.WriteAllText(pem, bw.Root.ExportCertificatePem());
        File.WriteAllBytes(der, bw.Root.RawData);

        using var fromPem = PkiFiles.LoadRoot(pem, "BW");
        using var fromDer = PkiFiles.LoadRoot(der);

        Assert.Equal(bw.Root.RawData, fromPem.RawData);
        Assert.Equal(bw.Root.RawData, fromDer.RawData);
        Assert.False(fromPem.HasPrivateKey);
    }

    [Fact]
    public void Partner_root_that_is_not_a_ca_certificate_is_refused()
    {
        using var bw = Pki("BW");
        var path = _temp.File("bw-node.crt");
        File.WriteAllText(path, bw.NodeTls.ExportCertificatePem());

        var error = Assert.Throws<PkiFileException>(() => PkiFiles.LoadRoot(path));

        Assert.Contains("is not a CA certificate", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Partner_root_configured_for_the_wrong_participant_is_refused()
    {
        using var bw = Pki("BW");
        var path = _temp.File("na-root.crt");
        File.WriteAllText(path, bw.Root.ExportCertificatePem());

        var error = Assert.Throws<PkiFileException>(() => PkiFiles.LoadRoot(path, "NA"));

        Assert.Contains("is the root of participant BW, but it is configured for NA", error.Message);
    }

    [Fact]
    public void Partner_root_file_that_is_not_a_certificate_is_refused()
    {
        var path = _temp.File("garbage.crt");
        File.WriteAllText(path, "hello");

        Assert.Contains("not a readable X.509 certificate", Assert.Throws<PkiFileException>(() => PkiFiles.LoadRoot(path)).Message);
        Assert.Contains("certificate file is missing", Assert.Throws<PkiFileException>(() => PkiFiles.LoadRoot(_temp.File("absent.crt"))).Message);
    }
}
