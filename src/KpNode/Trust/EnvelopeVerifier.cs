using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KpNode.Wire.V1;

namespace KpNode.Trust;

/// <summary>The verification step that failed, in the order they run.</summary>
internal enum VerificationCheck
{
    Structure = 1,
    Chain = 2,
    Validity = 3,
    KeyUsage = 4,
    Participant = 5,
    Signature = 6,
}

/// <summary>An envelope was refused; <see cref="Check"/> says which step and the message says why.</summary>
internal sealed class EnvelopeVerificationException : Exception
{
    public EnvelopeVerificationException(VerificationCheck check, string reason, TrustFailure? trustFailure = null, string field = "")
        : base($"envelope refused by the {Name(check)} check: {reason}")
    {
        Check = check;
        Reason = reason;
        TrustFailure = trustFailure;
        Field = field;
    }

    public VerificationCheck Check { get; }

    /// <summary>For a structure failure, the envelope field that breaks the rule (e.g. <c>signatures[0].x5c[1]</c>); else empty.</summary>
    public string Field { get; }

    private static string Name(VerificationCheck check) => check switch
    {
        VerificationCheck.KeyUsage => "key usage",
        _ => check.ToString().ToLowerInvariant(),
    };

    /// <summary>The reason without the check prefix, for places that add their own.</summary>
    public string Reason { get; }

    /// <summary>The chain validator's classification when the chain, validity, usage or participant check failed.</summary>
    public TrustFailure? TrustFailure { get; }
}

/// <summary>
/// An envelope whose signature and signer were proven, with the exact payload bytes it carried.
/// <see cref="SignerCertificate"/> is shared by the verifier with later envelopes of the same signer: do not dispose it.
/// </summary>
internal sealed record VerifiedEnvelope(
    string SignerParticipant,
    X509Certificate2 SignerCertificate,
    ReadOnlyMemory<byte> Payload,
    string PayloadType,
    byte[] PayloadSha256);

/// <summary>
/// Verifies signed envelopes against given trust anchors; its only state is the shared chain cache and the
/// parsed certificates of envelopes that verified before. Share one instance.
/// </summary>
internal sealed class EnvelopeVerifier(TrustChain trustChain)
{
    private readonly VerifiedCertificates _seen = new();

    /// <summary>A real chain is a leaf and perhaps one issuing CA; more is noise or an attempt to make chain building work hard.</summary>
    public const int MaxChainCertificates = 4;

    private const string SignerDescription = "the signer's certificate";

    /// <summary>How many x5c certificates of verified envelopes are kept parsed.</summary>
    internal int SharedCertificateCount => _seen.Count;

    /// <summary>
    /// Accepts the envelope when every one of its signatures fully verifies, each by a different signer (the
    /// first names the signer); otherwise throws for the first failure. Signatures are checked over the PAE of
    /// the bytes as received, never a re-serialization.
    /// </summary>
    public VerifiedEnvelope Verify(Envelope envelope, IReadOnlyCollection<X509Certificate2> trustAnchors, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(trustAnchors);
        if (envelope is null)
            throw Malformed("", "no envelope was supplied.");
        if (envelope.Payload.IsEmpty)
            throw Malformed("payload", "the payload is empty.");
        if (string.IsNullOrWhiteSpace(envelope.PayloadType))
            throw Malformed("payloadType", "the payload type is empty.");
        if (envelope.Signatures.Count == 0)
            throw Malformed("signatures", "the envelope carries no signature.");
        CheckOneSignaturePerSigner(envelope);

        var pae = Pae.Encode(envelope.PayloadType, envelope.Payload.Span);
        (string Participant, X509Certificate2 Signer)? first = null;
        for (var i = 0; i < envelope.Signatures.Count; i++)
        {
            try
            {
                var verified = VerifySignature(envelope.Signatures[i], $"signatures[{i}]", pae, trustAnchors, at);
                first ??= verified;
            }
            // Every signature present must verify: a stored envelope is evidence, and evidence must not carry garbage.
            catch (EnvelopeVerificationException e) when (envelope.Signatures.Count > 1)
            {
                throw new EnvelopeVerificationException(e.Check,
                    $"signature {i + 1} of {envelope.Signatures.Count} did not verify, and every signature an envelope carries must: {e.Reason}", e.TrustFailure, e.Field);
            }
        }
        var (participant, signer) = first!.Value;
        return new VerifiedEnvelope(participant, signer, envelope.Payload.Memory, envelope.PayloadType, SHA256.HashData(envelope.Payload.Span));
    }

    // A signer signs once, and a chain lists each certificate once: repeats add nothing but work and ambiguity.
    private static void CheckOneSignaturePerSigner(Envelope envelope)
    {
        var signers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < envelope.Signatures.Count; i++)
        {
            var x5c = envelope.Signatures[i].X5C;
            if (x5c.Count == 0 || x5c.Count > MaxChainCertificates)
                continue; // refused, with its own reason, when the signature is verified
            var certificates = new HashSet<string>(StringComparer.Ordinal);
            for (var c = 0; c < x5c.Count; c++)
            {
                if (!certificates.Add(Domain.DerFingerprint.Of(x5c[c].Span)))
                    throw Malformed($"signatures[{i}].x5c[{c}]", $"the certificate chain (x5c) of signature {i + 1} lists the same certificate twice (x5c[{c}]); each certificate is listed once.");
            }
            if (!signers.Add(Domain.DerFingerprint.Of(x5c[0].Span)))
                throw Malformed($"signatures[{i}]", $"signature {i + 1} and an earlier one are by the same signer certificate; an envelope carries one signature per signer.");
        }
    }

    private (string Participant, X509Certificate2 Signer) VerifySignature(
        Signature signature, string field, byte[] pae, IReadOnlyCollection<X509Certificate2> trustAnchors, DateTimeOffset at)
    {
        if (signature.Sig.IsEmpty)
            throw Malformed($"{field}.sig", "the signature value is empty.");
        if (signature.X5C.Count == 0)
            throw Malformed($"{field}.x5c", "the signature carries no certificate chain (x5c).");
        if (signature.X5C.Count > MaxChainCertificates)
            throw Malformed($"{field}.x5c", $"the certificate chain (x5c) has {signature.X5C.Count} certificates; at most {MaxChainCertificates} are accepted.");

        // Certificates seen in an envelope that verified before are shared, parsed; the others are parsed
        // here and join the shared set only if this envelope verifies, so refused input never stays.
        var chain = new List<X509Certificate2>(signature.X5C.Count);
        var parsed = new List<(string Sha256, X509Certificate2 Certificate)>();
        var verified = false;
        try
        {
            for (var i = 0; i < signature.X5C.Count; i++)
            {
                var sha256 = Domain.DerFingerprint.Of(signature.X5C[i].Span);
                if (_seen.TryGet(sha256, out var known))
                {
                    chain.Add(known.Certificate);
                    continue;
                }

                try
                {
                    var certificate = X509CertificateLoader.LoadCertificate(signature.X5C[i].Span);
                    parsed.Add((sha256, certificate));
                    chain.Add(certificate);
                }
                catch (CryptographicException e)
                {
                    throw Malformed($"{field}.x5c[{i}]", $"x5c[{i}] is not a DER X.509 certificate ({e.Message}).");
                }
            }
            var signer = chain[0];
            // keyid is only a hint in DSSE, but one that contradicts x5c means the envelope was assembled wrongly.
            var keyId = Domain.DerFingerprint.Of(signature.X5C[0].Span);
            if (signature.Keyid.Length > 0 && !string.Equals(signature.Keyid, keyId, StringComparison.Ordinal))
                throw Malformed($"{field}.keyid", $"the keyid {signature.Keyid} does not match the signer certificate in x5c[0] ({keyId}).");

            var result = trustChain.Validate(signer, chain[1..], KeyPurpose.DocumentSigning, at, trustAnchors, SignerDescription);
            if (!result.IsTrusted)
                throw new EnvelopeVerificationException(CheckFor(result.Failure.Value), result.Message, result.Failure);

            var shared = _seen.TryGet(keyId, out var entry) ? entry : null;
            var publicKey = shared is null ? signer.GetECDsaPublicKey() : shared.RentKey();
            try
            {
                if (publicKey is null)
                    throw Refuse(VerificationCheck.Signature, "the signer's certificate does not hold an ECDSA key.");
                if (publicKey.KeySize != 256)
                    throw Refuse(VerificationCheck.Signature, $"the signer's key is ECDSA-{publicKey.KeySize}; envelopes are signed with P-256.");
                if (!publicKey.VerifyData(pae, signature.Sig.Span, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
                    throw Refuse(VerificationCheck.Signature,
                        $"the signature does not match the payload and payload type under the key of '{signer.Subject}' (keyid {keyId}): the envelope was altered or signed by another key.");
            }
            finally
            {
                if (publicKey is not null)
                {
                    if (shared is null)
                        publicKey.Dispose();
                    else
                        shared.Return(publicKey);
                }
            }

            verified = true;
            foreach (var (sha256, certificate) in parsed)
                _seen.Add(sha256, certificate);
            return (result.Participant, signer);
        }
        finally
        {
            if (!verified)
            {
                foreach (var (_, certificate) in parsed)
                    certificate.Dispose();
            }
        }
    }

    private static VerificationCheck CheckFor(TrustFailure failure) => failure switch
    {
        TrustFailure.Expired or TrustFailure.NotYetValid => VerificationCheck.Validity,
        TrustFailure.WrongKeyUsage => VerificationCheck.KeyUsage,
        TrustFailure.MissingParticipant or TrustFailure.ParticipantMismatch => VerificationCheck.Participant,
        _ => VerificationCheck.Chain,
    };

    private static EnvelopeVerificationException Refuse(VerificationCheck check, string reason) => new(check, reason);

    // A rule of the envelope's form, not of trust: the sender assembled it wrongly, whoever signed it.
    private static EnvelopeVerificationException Malformed(string field, string reason) => new(VerificationCheck.Structure, reason, field: field);
}
