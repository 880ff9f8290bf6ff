using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KpNode.Configuration;
using KpNode.Hosting;
using KpNode.Tests.Configuration;
using KpNode.Trust;

namespace KpNode.Tests.Hosting;

public sealed class OwnCredentialsTests : IDisposable
{
    private readonly ConfigFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Pki(string name) => Path.Combine(_folder.ZaPki, name);

    private async Task<IReadOnlyList<string>> RefusedAsync()
    {
        var config = NodeConfig.Load(_folder.Write(ConfigFolder.Valid()));
        var e = await Assert.ThrowsAsync<ConfigurationProblemException>(() =>
            NodeHost.StartAsync(config, new NodeHostSettings { ConfigureLogging = _ => { } }));
        Assert.False(Directory.Exists(config.Options.DataDirectory), "the refused node wrote into its data directory");
        return e.Problems;
    }

    /// <summary>Puts a certificate and key of our own participant, from another "pki init", in place of ours.</summary>
    private void ReplaceFromAnotherPki(string certificate, string? key)
    {
        var other = Path.Combine(_folder.Dir, "pki", "za-other");
        if (!Directory.Exists(other))
        {
            using var pki = DevPki.Create("ZA", [], DateTimeOffset.UtcNow);
            PkiFiles.Write(other, pki);
        }

        File.Copy(Path.Combine(other, certificate), Pki(certificate), overwrite: true);
        if (key is not null)
        {
            File.Copy(Path.Combine(other, key), Pki(key), overwrite: true);
        }
    }

    [Fact]
    public async Task A_signing_certificate_from_another_root_stops_the_node_naming_the_file()
    {
        ReplaceFromAnotherPki(PkiFiles.SigningCertificate, PkiFiles.SigningKey);

        var problems = await RefusedAsync();

        var problem = Assert.Single(problems);
        Assert.StartsWith($"Node:PkiDirectory: {Pki(PkiFiles.SigningCertificate)} does not chain to {Pki(PkiFiles.RootCertificate)}", problem);
    }

    [Fact]
    public async Task A_private_key_that_does_not_match_its_certificate_stops_the_node_naming_the_key_file()
    {
        ReplaceFromAnotherPki(PkiFiles.SigningKey, key: null);

        var problems = await RefusedAsync();

        var problem = Assert.Single(problems);
        Assert.StartsWith($"Node:PkiDirectory: {Pki(PkiFiles.SigningKey)}: the private key does not match the certificate in {PkiFiles.SigningCertificate}", problem);
    }

    [Fact]
    public async Task A_node_TLS_certificate_without_serverAuth_stops_the_node_naming_the_file_and_the_missing_usage()
    {
        // The operator certificate chains to our root and names ZA, but is a TLS client certificate only.
        File.Copy(Pki(PkiFiles.OperatorCertificate), Pki(PkiFiles.NodeCertificate), overwrite: true);
        File.Copy(Pki(PkiFiles.OperatorKey), Pki(PkiFiles.NodeKey), overwrite: true);

        var problems = await RefusedAsync();

        var problem = Assert.Single(problems);
        Assert.StartsWith($"Node:PkiDirectory: {Pki(PkiFiles.NodeCertificate)} is not a TLS server certificate (EKU serverAuth", problem);
    }

    [Fact]
    public async Task A_node_TLS_certificate_without_clientAuth_stops_the_node_naming_the_file_and_the_missing_usage()
    {
        WriteServerOnlyNodeCertificate();

        var problems = await RefusedAsync();

        var problem = Assert.Single(problems);
        Assert.StartsWith($"Node:PkiDirectory: {Pki(PkiFiles.NodeCertificate)} is not a TLS client certificate (EKU clientAuth", problem);
    }

    [Fact]
    public async Task An_operator_certificate_used_as_signing_certificate_stops_the_node()
    {
        File.Copy(Pki(PkiFiles.OperatorCertificate), Pki(PkiFiles.SigningCertificate), overwrite: true);
        File.Copy(Pki(PkiFiles.OperatorKey), Pki(PkiFiles.SigningKey), overwrite: true);

        var problems = await RefusedAsync();

        Assert.Contains(problems, p => p.StartsWith($"Node:PkiDirectory: {Pki(PkiFiles.SigningCertificate)} is not a document-signing certificate", StringComparison.Ordinal));
    }

    [Fact]
    public void A_fresh_PKI_passes_the_check_even_once_a_certificate_has_expired()
    {
        using var pki = PkiFiles.Load(_folder.ZaPki);

        Assert.Empty(OwnCredentials.Problems(pki, _folder.ZaPki, "ZA", DateTimeOffset.UtcNow));
        // Expiry is reported by the expiry warnings (events 1400/1401), not by refusing to start.
        Assert.Empty(OwnCredentials.Problems(pki, _folder.ZaPki, "ZA", DateTimeOffset.UtcNow.AddYears(5)));
    }

    /// <summary>A node certificate issued by our root with serverAuth only, as a TLS server certificate bought for a web site would be.</summary>
    private void WriteServerOnlyNodeCertificate()
    {
        using var root = X509Certificate2.CreateFromPemFile(Pki(PkiFiles.RootCertificate), Pki(PkiFiles.RootKey));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=KP ZA Node, O=Kimberley Process participant ZA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(KeyPurpose.ServerAuth)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddUri(new Uri(ParticipantIdentity.ParticipantUri("ZA")));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var leaf = request.Create(root, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1), RandomNumberGenerator.GetBytes(16));
        Assert.Equal("ZA", ParticipantIdentity.FromCertificate(leaf));
        File.WriteAllText(Pki(PkiFiles.NodeCertificate), leaf.ExportCertificatePem());
        File.WriteAllText(Pki(PkiFiles.NodeKey), key.ExportPkcs8PrivateKeyPem());
    }
}
