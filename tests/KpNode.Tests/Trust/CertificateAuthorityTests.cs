using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KpNode.Trust;

namespace KpNode.Tests.Trust;

public class CertificateAuthorityTests
{
    private static readonly DateTimeOffset Now = TrustTestData.Now;

    [Fact]
    public void Dev_pki_root_is_a_self_signed_ca_for_certificate_and_crl_signing_valid_ten_years()
    {
        using var pki = TrustTestData.Pki("ZA");
        var root = pki.Root;

        Assert.Equal("CN=KP ZA Root CA, O=Kimberley Process participant ZA", root.Subject);
        Assert.Equal(root.Subject, root.Issuer);
        var constraints = Extension<X509BasicConstraintsExtension>(root);
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.HasPathLengthConstraint);
        Assert.Equal(0, constraints.PathLengthConstraint);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, Extension<X509KeyUsageExtension>(root).KeyUsages);
        Assert.InRange(new DateTimeOffset(root.NotAfter), Now.AddYears(10).AddDays(-2), Now.AddYears(10).AddDays(2));
        Assert.True(root.HasPrivateKey);
    }

    [Fact]
    public void Node_certificate_serves_both_tls_roles_for_localhost_loopback_and_extra_names()
    {
        using var pki = DevPki.Create("ZA", ["kpnode.za.example", "kpnode"], Now);
        var node = pki.NodeTls;

        Assert.Equal([KeyPurpose.ServerAuth, KeyPurpose.ClientAuth], Ekus(node));
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, Extension<X509KeyUsageExtension>(node).KeyUsages);
        var san = Extension<X509SubjectAlternativeNameExtension>(node);
        Assert.Equal(["localhost", "kpnode.za.example", "kpnode"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], san.EnumerateIPAddresses());
        Assert.Equal(["kp:participant:ZA"], ParticipantIdentity.SanUris(node));
        Assert.InRange(new DateTimeOffset(node.NotAfter), Now.AddYears(2).AddDays(-1), Now.AddYears(2).AddDays(1));
    }

    [Fact]
    public void Document_signing_certificate_is_for_document_signing_only()
    {
        using var pki = TrustTestData.Pki();
        var signing = pki.DocumentSigning;

        Assert.Equal([KeyPurpose.DocumentSigning], Ekus(signing));
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, Extension<X509KeyUsageExtension>(signing).KeyUsages);
        Assert.Equal(["kp:participant:ZA"], ParticipantIdentity.SanUris(signing));
        Assert.InRange(new DateTimeOffset(signing.NotAfter), Now.AddYears(3).AddDays(-1), Now.AddYears(3).AddDays(1));
    }

    [Fact]
    public void Operator_certificate_is_a_one_year_client_certificate_naming_participant_and_operator()
    {
        using var pki = TrustTestData.Pki();
        var op = pki.Operator;

        Assert.Equal([KeyPurpose.ClientAuth], Ekus(op));
        Assert.Equal(["kp:participant:ZA", "kp:operator:operator"], ParticipantIdentity.SanUris(op));
        Assert.InRange(new DateTimeOffset(op.NotAfter), Now.AddYears(1).AddDays(-1), Now.AddYears(1).AddDays(1));
    }

    [Fact]
    public void Every_leaf_is_an_end_entity_with_its_key_a_random_positive_serial_and_key_identifiers_linking_it_to_the_root()
    {
        using var pki = TrustTestData.Pki();
        var rootSki = Extension<X509SubjectKeyIdentifierExtension>(pki.Root).SubjectKeyIdentifier;
        var serials = new HashSet<string>();

        foreach (var leaf in new[] { pki.NodeTls, pki.DocumentSigning, pki.Operator })
        {
            Assert.True(leaf.HasPrivateKey);
            Assert.Equal(pki.Root.Subject, leaf.Issuer);
            Assert.False(Extension<X509BasicConstraintsExtension>(leaf).CertificateAuthority);
            var serial = leaf.SerialNumberBytes.Span;
            Assert.Equal(16, serial.Length);
            Assert.Equal(0, serial[0] & 0x80);
            Assert.True(serials.Add(leaf.SerialNumber));
            Assert.NotNull(Extension<X509SubjectKeyIdentifierExtension>(leaf).SubjectKeyIdentifier);
            var aki = Extension<X509AuthorityKeyIdentifierExtension>(leaf).KeyIdentifier;
            Assert.NotNull(aki);
            Assert.Equal(rootSki, Convert.ToHexString(aki.Value.Span));
            using var key = leaf.GetECDsaPrivateKey();
            Assert.Equal(256, key!.KeySize);
        }
    }

    [Fact]
    public void Leaves_never_outlive_a_short_lived_root()
    {
        using var pki = DevPki.Create("ZA", [], Now, rootValidity: TimeSpan.FromDays(90));

        Assert.Equal(pki.Root.NotAfter, pki.NodeTls.NotAfter);
        Assert.Equal(pki.Root.NotAfter, pki.DocumentSigning.NotAfter);
        Assert.Equal(pki.Root.NotAfter, pki.Operator.NotAfter);
    }

    [Fact]
    public void Issuing_a_leaf_that_would_outlive_its_issuer_is_refused_with_both_dates()
    {
        using var pki = DevPki.Create("ZA", [], Now, rootValidity: TimeSpan.FromDays(90));

        var error = Assert.Throws<ArgumentException>(() =>
            CertificateAuthority.IssueLeaf(pki.Root, "ZA", LeafKind.DocumentSigning, Now, Now.AddDays(365)));
        Assert.Contains("cannot outlive its issuer", error.Message);
        Assert.Contains("2027-03-01", error.Message);
    }

    [Fact]
    public void A_certificate_without_its_private_key_cannot_issue_leaves()
    {
        using var pki = TrustTestData.Pki();
        using var publicOnly = X509CertificateLoader.LoadCertificate(pki.Root.RawData);

        var error = Assert.Throws<ArgumentException>(() =>
            CertificateAuthority.IssueLeaf(publicOnly, "ZA", LeafKind.NodeTls, Now, Now.AddDays(1)));
        Assert.Contains("no private key", error.Message);
    }

    [Theory]
    [InlineData("za")]
    [InlineData("South Africa")]
    [InlineData("")]
    public void A_pki_for_an_invalid_participant_code_is_refused(string code)
    {
        var error = Assert.Throws<ArgumentException>(() => DevPki.Create(code, [], Now));
        Assert.Contains("participant code", error.Message);
    }

    private static T Extension<T>(X509Certificate2 cert) where T : X509Extension =>
        cert.Extensions.OfType<T>().Single();

    private static string[] Ekus(X509Certificate2 cert) =>
        [.. Extension<X509EnhancedKeyUsageExtension>(cert).EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value!)];
}
