using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KpNode.Trust;
using KpNode.Wire.V1;
using static KpNode.Tests.Trust.TrustTestData;

namespace KpNode.Tests.Trust;

public sealed class EnvelopeTests : IDisposable
{
    private readonly ParticipantCredentials _za = Pki("ZA");
    private readonly EnvelopeVerifier _verifier = new(new TrustChain());

    public void Dispose() => _za.Dispose();

    private Envelope SignedByZa()
    {
        using var signer = new EnvelopeSigner(_za.DocumentSigning);
        return signer.Sign(PayloadType, Payload);
    }

    private EnvelopeVerificationException Refused(Envelope envelope, X509Certificate2 anchor, DateTimeOffset? at = null) =>
        Assert.Throws<EnvelopeVerificationException>(() => _verifier.Verify(envelope, [anchor], at ?? Now));

    [Fact]
    public void Signed_envelope_verifies_and_names_the_signing_participant()
    {
        var verified = _verifier.Verify(SignedByZa(), [_za.Root], Now);

        Assert.Equal("ZA", verified.SignerParticipant);
        Assert.Equal(PayloadType, verified.PayloadType);
        Assert.Equal(Payload, verified.Payload.ToArray());
        Assert.Equal(SHA256.HashData(Payload), verified.PayloadSha256);
        Assert.Equal(_za.DocumentSigning.RawData, verified.SignerCertificate.RawData);
    }

    [Fact]
    public void Envelope_verifies_after_travelling_as_protobuf_bytes()
    {
        var received = Envelope.Parser.ParseFrom(SignedByZa().ToByteArray());

        Assert.Equal("ZA", _verifier.Verify(received, [_za.Root], Now).SignerParticipant);
    }

    [Fact]
    public void Signature_carries_the_signer_keyid_and_chain_and_verifies_with_plain_ecdsa_over_the_pae_in_der()
    {
        var envelope = SignedByZa();
        var signature = Assert.Single(envelope.Signatures);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_za.DocumentSigning.RawData)), signature.Keyid);
        Assert.Equal(_za.DocumentSigning.RawData, Assert.Single(signature.X5C).ToByteArray());
        // What any other stack does: PAE by hand, DER ECDSA with SHA-256, public key from x5c[0].
        using var publicKey = X509CertificateLoader.LoadCertificate(signature.X5C[0].Span).GetECDsaPublicKey()!;
        var pae = System.Text.Encoding.UTF8.GetBytes($"DSSEv1 {PayloadType.Length} {PayloadType} {Payload.Length} ").Concat(Payload).ToArray();
        Assert.True(publicKey.VerifyData(pae, signature.Sig.Span, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(0x30, signature.Sig[0]);
    }

    [Fact]
    public void Tampered_payload_fails_the_signature_check()
    {
        var envelope = SignedByZa();
        var altered = envelope.Payload.ToByteArray();
        altered[^1] ^= 0x01;
        envelope.Payload = ByteString.CopyFrom(altered);

        var error = Refused(envelope, _za.Root);

        Assert.Equal(VerificationCheck.Signature, error.Check);
        Assert.Contains("signature does not match", error.Message);
    }

    [Fact]
    public void Tampered_payload_type_fails_the_signature_check()
    {
        var envelope = SignedByZa();
        envelope.PayloadType = "application/vnd.kp.v1.import-confirmed+protobuf";

        Assert.Equal(VerificationCheck.Signature, Refused(envelope, _za.Root).Check);
    }

    [Fact]
    public void Signature_by_another_key_under_the_right_certificate_chain_fails_the_signature_check()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var envelope = SignByHand(otherKey, [_za.DocumentSigning], PayloadType, Payload);

        Assert.Equal(VerificationCheck.Signature, Refused(envelope, _za.Root).Check);
    }

    [Fact]
    public void Envelope_signed_under_another_participants_root_is_refused_as_untrusted()
    {
        using var bw = Pki("BW");
        using var signer = new EnvelopeSigner(bw.DocumentSigning);

        var error = Refused(signer.Sign(PayloadType, Payload), _za.Root);

        Assert.Equal(VerificationCheck.Chain, error.Check);
        Assert.Equal(TrustFailure.UntrustedRoot, error.TrustFailure);
        Assert.Contains("does not chain to the trusted root 'CN=KP ZA Root CA", error.Message);
    }

    [Fact]
    public void Envelope_signed_under_a_foreign_root_with_an_identical_name_is_refused_as_untrusted()
    {
        using var impostor = Pki("ZA");
        Assert.Equal(_za.Root.Subject, impostor.Root.Subject);
        using var signer = new EnvelopeSigner(impostor.DocumentSigning);

        var error = Refused(signer.Sign(PayloadType, Payload), _za.Root);

        Assert.Equal(VerificationCheck.Chain, error.Check);
        Assert.Equal(TrustFailure.UntrustedRoot, error.TrustFailure);
        Assert.Contains("look-alike root", error.Message);
    }

    [Fact]
    public void Envelope_is_refused_when_no_trust_anchor_is_given()
    {
        var error = Assert.Throws<EnvelopeVerificationException>(() => _verifier.Verify(SignedByZa(), [], Now));

        Assert.Equal(VerificationCheck.Chain, error.Check);
    }

    [Fact]
    public void Expired_signing_certificate_fails_the_validity_check_naming_its_expiry_date()
    {
        var expiry = new DateTimeOffset(_za.DocumentSigning.NotAfter);

        var error = Refused(SignedByZa(), _za.Root, expiry.AddDays(1));

        Assert.Equal(VerificationCheck.Validity, error.Check);
        Assert.Equal(TrustFailure.Expired, error.TrustFailure);
        Assert.Contains($"the signer's certificate expired on {expiry.UtcDateTime:yyyy-MM-dd}", error.Message);
    }

    [Fact]
    public void Signing_certificate_that_is_not_yet_valid_fails_the_validity_check_naming_its_start_date()
    {
        using var future = CertificateAuthority.IssueLeaf(_za.Root, "ZA", LeafKind.DocumentSigning, Now.AddDays(10), Now.AddDays(400));
        using var signer = new EnvelopeSigner(future);

        var error = Refused(signer.Sign(PayloadType, Payload), _za.Root);

        Assert.Equal(VerificationCheck.Validity, error.Check);
        Assert.Equal(TrustFailure.NotYetValid, error.TrustFailure);
        Assert.Contains($"not valid until {Now.AddDays(10):yyyy-MM-dd}", error.Message);
    }

    [Fact]
    public void Tls_node_certificate_cannot_sign_documents()
    {
        var envelope = SignByHand(_za.NodeTls, PayloadType, Payload);

        var error = Refused(envelope, _za.Root);

        Assert.Equal(VerificationCheck.KeyUsage, error.Check);
        Assert.Contains("is not a document-signing certificate", error.Message);
        Assert.Contains(KeyPurpose.DocumentSigning, error.Message);
    }

    [Fact]
    public void Signing_certificate_without_a_participant_fails_the_participant_check()
    {
        using var anonymous = CertificateAuthority.IssueLeaf(_za.Root, "ZA", LeafKind.DocumentSigning, Now, Now.AddDays(30), includeParticipantUri: false);

        var error = Refused(SignByHand(anonymous, PayloadType, Payload), _za.Root);

        Assert.Equal(VerificationCheck.Participant, error.Check);
        Assert.Equal(TrustFailure.MissingParticipant, error.TrustFailure);
    }

    [Fact]
    public void Signing_certificate_claiming_another_participant_than_its_root_fails_the_participant_check()
    {
        using var claimsBw = CertificateAuthority.IssueLeaf(_za.Root, "BW", LeafKind.DocumentSigning, Now, Now.AddDays(30));

        var error = Refused(SignByHand(claimsBw, PayloadType, Payload), _za.Root);

        Assert.Equal(VerificationCheck.Participant, error.Check);
        Assert.Equal(TrustFailure.ParticipantMismatch, error.TrustFailure);
        Assert.Contains("claims participant BW but chains to ZA's root", error.Message);
    }

    [Fact]
    public void Envelope_signed_through_an_issuing_ca_verifies_when_x5c_carries_the_intermediate()
    {
        using var root = CertificateAuthority.CreateRoot("ZA", Now.AddDays(-1), Now.AddYears(10), pathLength: 1);
        using var issuing = CertificateAuthority.IssueIntermediate(root, "ZA", Now.AddDays(-1), Now.AddYears(5));
        using var leaf = CertificateAuthority.IssueLeaf(issuing, "ZA", LeafKind.DocumentSigning, Now.AddDays(-1), Now.AddYears(1));
        using var signer = new EnvelopeSigner(leaf, [issuing]);

        var envelope = signer.Sign(PayloadType, Payload);

        Assert.Equal(2, envelope.Signatures[0].X5C.Count);
        Assert.Equal("ZA", _verifier.Verify(envelope, [root], Now).SignerParticipant);
        envelope.Signatures[0].X5C.RemoveAt(1);
        Assert.Equal(VerificationCheck.Chain, Refused(envelope, root).Check);
    }

    [Fact]
    public void Envelope_with_a_bad_signature_beside_a_good_one_is_refused_naming_the_bad_one()
    {
        using var bw = Pki("BW");
        var envelope = SignedByZa();
        using (var bwSigner = new EnvelopeSigner(bw.DocumentSigning))
            envelope.Signatures.Insert(0, bwSigner.Sign(PayloadType, Payload).Signatures[0]);

        var error = Refused(envelope, _za.Root);

        Assert.Equal(VerificationCheck.Chain, error.Check);
        Assert.Contains("signature 1 of 2 did not verify, and every signature an envelope carries must", error.Message);
    }

    [Fact]
    public void Envelope_with_two_signatures_by_each_its_own_trusted_signer_verifies_naming_the_first()
    {
        using var second = Pki("ZA");
        var envelope = SignedByZa();
        using (var other = new EnvelopeSigner(second.DocumentSigning))
            envelope.Signatures.Add(other.Sign(PayloadType, Payload).Signatures[0]);

        Assert.Equal("ZA", _verifier.Verify(envelope, [_za.Root, second.Root], Now).SignerParticipant);
    }

    public static TheoryData<string, Action<Envelope>> StructuralDefects => new()
    {
        { "the payload is empty", e => e.Payload = ByteString.Empty },
        { "the payload type is empty", e => e.PayloadType = "" },
        { "carries no signature", e => e.Signatures.Clear() },
        { "signature value is empty", e => e.Signatures[0].Sig = ByteString.Empty },
        { "no certificate chain (x5c)", e => e.Signatures[0].X5C.Clear() },
        { "x5c[0] is not a DER X.509 certificate", e => e.Signatures[0].X5C[0] = ByteString.CopyFromUtf8("not a certificate") },
        { "does not match the signer certificate", e => e.Signatures[0].Keyid = new string('0', 64) },
        { "at most 4 are accepted", e => e.Signatures[0].X5C.Add(Enumerable.Repeat(e.Signatures[0].X5C[0], 4)) },
        { "lists the same certificate twice", e => e.Signatures[0].X5C.Add(e.Signatures[0].X5C[0]) },
        { "one signature per signer", e => e.Signatures.Add(e.Signatures[0].Clone()) },
    };

    [Theory]
    [MemberData(nameof(StructuralDefects))]
    public void Malformed_envelope_fails_the_structure_check_saying_what_is_wrong(string expected, Action<Envelope> damage)
    {
        var envelope = SignedByZa();
        damage(envelope);

        var error = Refused(envelope, _za.Root);

        Assert.Equal(VerificationCheck.Structure, error.Check);
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("envelope refused by the structure check: ", error.Message);
    }

    [Fact]
    public void Signer_refuses_a_certificate_that_partners_would_refuse_for_documents()
    {
        var error = Assert.Throws<ArgumentException>(() => new EnvelopeSigner(_za.NodeTls));
        Assert.Contains("not a document-signing certificate", error.Message);

        using var publicOnly = X509CertificateLoader.LoadCertificate(_za.DocumentSigning.RawData);
        Assert.Contains("no ECDSA private key", Assert.Throws<ArgumentException>(() => new EnvelopeSigner(publicOnly)).Message);

        using var anonymous = CertificateAuthority.IssueLeaf(_za.Root, "ZA", LeafKind.DocumentSigning, Now, Now.AddDays(30), includeParticipantUri: false);
        Assert.Contains("names no participant", Assert.Throws<ArgumentException>(() => new EnvelopeSigner(anonymous)).Message);
    }

    [Fact]
    public void Signer_refuses_an_empty_payload_or_type()
    {
        using var signer = new EnvelopeSigner(_za.DocumentSigning);

        Assert.Throws<ArgumentException>(() => signer.Sign(PayloadType, []));
        Assert.Throws<ArgumentException>(() => signer.Sign(" ", Payload));
    }

    [Fact]
    public void A_signer_seen_in_a_verified_envelope_is_parsed_once_and_shared()
    {
        var first = _verifier.Verify(SignedByZa(), [_za.Root], Now);
        var second = _verifier.Verify(Envelope.Parser.ParseFrom(SignedByZa().ToByteArray()), [_za.Root], Now);

        Assert.Same(first.SignerCertificate, second.SignerCertificate);
        Assert.Equal(1, _verifier.SharedCertificateCount);
    }

    [Fact]
    public void A_tampered_envelope_from_a_known_signer_is_still_refused()
    {
        _verifier.Verify(SignedByZa(), [_za.Root], Now);
        var tampered = SignedByZa();
        tampered.Payload = ByteString.CopyFrom("ZA-2026-000123 issued to BE, 3 parcels, 9204.55 ct"u8);

        Assert.Equal(VerificationCheck.Signature, Refused(tampered, _za.Root).Check);
    }

    [Fact]
    public void A_known_signer_is_still_checked_against_the_anchors_of_each_call()
    {
        using var be = Pki("BE");
        _verifier.Verify(SignedByZa(), [_za.Root], Now);

        Assert.Equal(VerificationCheck.Chain, Refused(SignedByZa(), be.Root).Check);
        Assert.Equal(VerificationCheck.Validity, Refused(SignedByZa(), _za.Root, Now.AddYears(20)).Check);
    }

    [Fact]
    public void Certificates_of_a_refused_envelope_are_not_kept()
    {
        using var be = Pki("BE");

        Refused(SignedByZa(), be.Root);

        Assert.Equal(0, _verifier.SharedCertificateCount);
    }
}
