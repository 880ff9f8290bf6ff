using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KpNode.Wire.V1;

namespace KpNode.Trust;

/// <summary>Signs business messages into envelopes with this participant's document-signing key.</summary>
internal sealed class EnvelopeSigner : IDisposable
{
    private readonly ECDsa _key;
    private readonly ByteString[] _x5c;
    // ECDsa instances are not documented as thread-safe; signing is cheap next to the I/O around it.
    private readonly Lock _keyLock = new();

    /// <summary>
    /// Refuses, at construction, a certificate that partners would refuse at verification, so a
    /// misconfigured node fails at start-up rather than at its first delivery.
    /// </summary>
    public EnvelopeSigner(X509Certificate2 signingCertificate, IEnumerable<X509Certificate2>? intermediates = null)
    {
        ArgumentNullException.ThrowIfNull(signingCertificate);
        var subject = $"signing certificate '{signingCertificate.Subject}'";
        var ekus = signingCertificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).Select(o => o.Value);
        if (!ekus.Contains(KeyPurpose.DocumentSigning))
            throw new ArgumentException($"the {subject} is not a document-signing certificate (EKU {KeyPurpose.DocumentSigning} missing).", nameof(signingCertificate));
        var keyUsage = signingCertificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (keyUsage is null || (keyUsage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
            throw new ArgumentException($"the {subject} does not allow digital signatures.", nameof(signingCertificate));
        Participant = ParticipantIdentity.FromCertificate(signingCertificate)
            ?? throw new ArgumentException($"the {subject} names no participant ({ParticipantIdentity.ParticipantUriPrefix}<code> URI SAN).", nameof(signingCertificate));
        var key = signingCertificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException($"the {subject} has no ECDSA private key loaded.", nameof(signingCertificate));
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new ArgumentException($"the {subject} key is ECDSA-{key.KeySize}; envelopes are signed with P-256.", nameof(signingCertificate));
        }

        _key = key;
        Certificate = signingCertificate;
        KeyId = Domain.DerFingerprint.Of(signingCertificate.RawDataMemory.Span);
        _x5c = [ByteString.CopyFrom(signingCertificate.RawDataMemory.Span), .. (intermediates ?? []).Select(c => ByteString.CopyFrom(c.RawDataMemory.Span))];
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>Lowercase hex SHA-256 of the signing certificate's DER, as put in <c>Signature.keyid</c>.</summary>
    public string KeyId { get; }

    public string Participant { get; }

    public Envelope Sign(string payloadType, ReadOnlySpan<byte> payload)
    {
        if (string.IsNullOrWhiteSpace(payloadType))
            throw new ArgumentException("an envelope needs a payload type.", nameof(payloadType));
        if (payload.IsEmpty)
            throw new ArgumentException("an envelope needs a non-empty payload.", nameof(payload));

        var pae = Pae.Encode(payloadType, payload);
        byte[] signature;
        lock (_keyLock)
            // DER (RFC 3279) rather than .NET's default IEEE P1363, so openssl and other stacks verify it as is.
            signature = _key.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        var wire = new Signature { Sig = ByteString.CopyFrom(signature), Keyid = KeyId };
        wire.X5C.AddRange(_x5c);
        return new Envelope
        {
            Payload = ByteString.CopyFrom(payload),
            PayloadType = payloadType,
            Signatures = { wire },
        };
    }

    public void Dispose() => _key.Dispose();
}
