using System.Security.Cryptography.X509Certificates;
using KpNode.Trust;
using static KpNode.Tests.Trust.TrustTestData;

namespace KpNode.Tests.Trust;

public sealed class TrustChainTests : IDisposable
{
    private readonly ParticipantCredentials _za = Pki("ZA");
    private readonly ParticipantCredentials _bw = Pki("BW");

    public void Dispose()
    {
        _za.Dispose();
        _bw.Dispose();
    }

    [Fact]
    public void Chain_result_names_the_participant_and_the_anchor_it_chained_to()
    {
        var chain = new TrustChain([_za.Root, _bw.Root]);

        var result = chain.Validate(_bw.DocumentSigning, [], KeyPurpose.DocumentSigning, Now);

        Assert.True(result.IsTrusted);
        Assert.Equal("BW", result.Participant);
        Assert.Same(_bw.Root, result.Anchor);
        Assert.Null(result.Failure);
    }

    [Fact]
    public void Node_certificate_is_valid_as_tls_client_and_as_tls_server()
    {
        var chain = new TrustChain([_za.Root]);

        Assert.True(chain.Validate(_za.NodeTls, [], KeyPurpose.ClientAuth, Now).IsTrusted);
        Assert.True(chain.Validate(_za.NodeTls, [], KeyPurpose.ServerAuth, Now).IsTrusted);
    }

    [Fact]
    public void Operator_certificate_is_a_tls_client_but_not_a_tls_server()
    {
        var chain = new TrustChain([_za.Root]);

        Assert.True(chain.Validate(_za.Operator, [], KeyPurpose.ClientAuth, Now).IsTrusted);
        var refused = chain.Validate(_za.Operator, [], KeyPurpose.ServerAuth, Now);
        Assert.Equal(TrustFailure.WrongKeyUsage, refused.Failure);
        Assert.Contains("is not a TLS server certificate", refused.Message);
    }

    [Fact]
    public void Partner_tls_certificate_is_refused_by_the_local_api_anchor()
    {
        var localApi = new TrustChain([_za.Root]);

        var refused = localApi.Validate(_bw.Operator, [], KeyPurpose.ClientAuth, Now, "the operator's client certificate");

        Assert.Equal(TrustFailure.UntrustedRoot, refused.Failure);
        Assert.StartsWith("the operator's client certificate (issued by 'CN=KP BW Root CA", refused.Message);
    }

    [Fact]
    public void Cached_signer_still_fails_after_its_certificate_expired()
    {
        var chain = new TrustChain();
        var verifier = new EnvelopeVerifier(chain);
        using var signer = new EnvelopeSigner(_za.DocumentSigning);
        var envelope = signer.Sign(PayloadType, Payload);

        verifier.Verify(envelope, [_za.Root], Now);
        Assert.Equal(1, chain.CachedCount);

        var later = new DateTimeOffset(_za.DocumentSigning.NotAfter).AddSeconds(1);
        var error = Assert.Throws<EnvelopeVerificationException>(() => verifier.Verify(envelope, [_za.Root], later));
        Assert.Equal(VerificationCheck.Validity, error.Check);
        Assert.Contains("expired on", error.Message);
    }

    [Fact]
    public void Cached_chain_still_fails_before_the_certificate_starts()
    {
        var chain = new TrustChain([_za.Root]);
        Assert.True(chain.Validate(_za.DocumentSigning, [], KeyPurpose.DocumentSigning, Now).IsTrusted);

        var before = new DateTimeOffset(_za.DocumentSigning.NotBefore).AddSeconds(-1);
        var result = chain.Validate(_za.DocumentSigning, [], KeyPurpose.DocumentSigning, before);

        Assert.Equal(TrustFailure.NotYetValid, result.Failure);
    }

    [Fact]
    public void Cached_validation_does_not_carry_over_to_another_anchor_set_or_purpose()
    {
        var chain = new TrustChain();
        Assert.True(chain.Validate(_za.NodeTls, [], KeyPurpose.ClientAuth, Now, [_za.Root]).IsTrusted);

        Assert.Equal(TrustFailure.UntrustedRoot, chain.Validate(_za.NodeTls, [], KeyPurpose.ClientAuth, Now, [_bw.Root]).Failure);
        Assert.Equal(TrustFailure.WrongKeyUsage, chain.Validate(_za.NodeTls, [], KeyPurpose.DocumentSigning, Now, [_za.Root]).Failure);
    }

    [Fact]
    public void Certificate_without_a_stated_purpose_is_refused()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=no purpose", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("kp:participant:ZA"));
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.Create(_za.Root, Now, Now.AddDays(10), [1, 2, 3, 4]);

        var result = new TrustChain([_za.Root]).Validate(cert, [], KeyPurpose.DocumentSigning, Now);

        Assert.Equal(TrustFailure.WrongKeyUsage, result.Failure);
        Assert.Contains("it has no extended key usage", result.Message);
    }
}
