using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KpNode.Trust;

namespace KpNode.Tests.Trust;

public class ParticipantIdentityTests
{
    [Fact]
    public void Participant_code_is_read_from_every_certificate_of_a_dev_pki()
    {
        using var pki = TrustTestData.Pki("ZA");

        Assert.Equal("ZA", ParticipantIdentity.FromCertificate(pki.Root));
        Assert.Equal("ZA", ParticipantIdentity.FromCertificate(pki.NodeTls));
        Assert.Equal("ZA", ParticipantIdentity.FromCertificate(pki.DocumentSigning));
        Assert.Equal("ZA", ParticipantIdentity.FromCertificate(pki.Operator));
    }

    [Fact]
    public void Participant_uri_is_stored_exactly_as_kp_participant_code()
    {
        using var pki = TrustTestData.Pki("EU");

        Assert.Contains("kp:participant:EU", ParticipantIdentity.SanUris(pki.DocumentSigning));
    }

    [Fact]
    public void Operator_name_is_read_from_the_operator_certificate()
    {
        using var pki = TrustTestData.Pki();
        using var custom = CertificateAuthority.IssueLeaf(pki.Root, "ZA", LeafKind.Operator, TrustTestData.Now, TrustTestData.Now.AddDays(30), operatorName: "thandi.m");

        Assert.Equal("operator", ParticipantIdentity.OperatorFromCertificate(pki.Operator));
        Assert.Equal("thandi.m", ParticipantIdentity.OperatorFromCertificate(custom));
        Assert.Null(ParticipantIdentity.OperatorFromCertificate(pki.NodeTls));
    }

    [Fact]
    public void Certificate_without_a_participant_uri_names_no_participant()
    {
        using var pki = TrustTestData.Pki();
        using var anonymous = CertificateAuthority.IssueLeaf(pki.Root, "ZA", LeafKind.DocumentSigning, TrustTestData.Now, TrustTestData.Now.AddDays(30), includeParticipantUri: false);

        Assert.Null(ParticipantIdentity.FromCertificate(anonymous));
    }

    [Theory]
    [InlineData("kp:participant:ZA", "kp:participant:BW")]
    [InlineData("kp:participant:za")]
    [InlineData("kp:participant:")]
    public void Certificate_with_an_ambiguous_or_invalid_participant_uri_names_no_participant(params string[] uris)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=crafted", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var uri in uris)
            san.AddUri(new Uri(uri));
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(TrustTestData.Now, TrustTestData.Now.AddDays(1));

        Assert.Null(ParticipantIdentity.FromCertificate(cert));
    }

    [Theory]
    [InlineData("ZA", true)]
    [InlineData("EU", true)]
    [InlineData("AE2", true)]
    [InlineData("ABCDEFGH", true)]
    [InlineData("Z", false)]
    [InlineData("ABCDEFGHI", false)]
    [InlineData("za", false)]
    [InlineData("Z A", false)]
    [InlineData("ZÄ", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Participant_codes_are_two_to_eight_uppercase_letters_or_digits(string? code, bool valid)
    {
        Assert.Equal(valid, ParticipantIdentity.IsValidCode(code));
    }
}
