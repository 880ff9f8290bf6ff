using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KpNode.Wire.V1;

namespace KpNode.Trust;

/// <summary>Signs business messages into envelopes with this participant's document-signing key.</summary>
internal sealed class EnvelopeSigner : IDisposable
{
    /// <summary>One signing certificate with its key, as one unit: an envelope is signed and labelled by the same one.</summary>
    private sealed class SigningKey(X509Certificate2 certificate, ECDsa key, ByteString[] x5c) : IDisposable
    {
        public X509Certificate2 Certificate { get; } = certificate;
        public string KeyId { get; } = Domain.DerFingerprint.Of(certificate.RawDataMemory.Span);
        public ByteString[] X5c { get; } = x5c;
        // ECDsa instances are not documented as thread-safe; signing is cheap next to the I/O around it.
        public Lock KeyLock { get; } = new();
        public ECDsa Key { get; } = key;

        public void Dispose() => Key.Dispose();
    }

    private readonly List<SigningKey> _keys = [];
    private volatile SigningKey _current;
    private volatile IReadOnlyDictionary<string, SigningKey> _offices = new Dictionary<string, SigningKey>();

    /// <summary>
    /// Refuses, at construction, a certificate that partners would refuse at verification, so a
    /// misconfigured node fails at start-up rather than at its first delivery.
    /// </summary>
    public EnvelopeSigner(X509Certificate2 signingCertificate, IEnumerable<X509Certificate2>? intermediates = null,
        IReadOnlyDictionary<string, X509Certificate2>? offices = null)
    {
        _current = Load(signingCertificate, intermediates, out var participant);
        _keys.Add(_current);
        Participant = participant;
        if (offices is not null)
            UseOffices(offices);
    }

    /// <summary>The offices this node signs for, each with its own key (the EU's Union authorities).</summary>
    public IReadOnlyCollection<string> Offices => [.. _offices.Keys];

    /// <summary>The certificate an office's envelopes carry.</summary>
    public X509Certificate2? OfficeCertificate(string office) => _offices.GetValueOrDefault(office)?.Certificate;

    /// <summary>
    /// Signs each office's later envelopes with its certificate here; an office whose certificate is unchanged keeps its
    /// key, and one no longer listed signs nothing more. Each must be a signing certificate of our participant naming that office.
    /// </summary>
    public void UseOffices(IReadOnlyDictionary<string, X509Certificate2> offices)
    {
        lock (_keys)
        {
            var next = new Dictionary<string, SigningKey>(StringComparer.Ordinal);
            foreach (var (office, certificate) in offices)
            {
                if (_offices.TryGetValue(office, out var same) && same.Certificate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
                {
                    next[office] = same;
                    continue;
                }

                var key = Load(certificate, null, out var participant);
                if (participant != Participant || ParticipantIdentity.OfficeFromCertificate(certificate) != office)
                {
                    key.Dispose();
                    throw new ArgumentException($"the signing certificate '{certificate.Subject}' is not office {office} of {Participant}.", nameof(offices));
                }

                _keys.Add(key);
                next[office] = key;
            }

            _offices = next;
        }
    }

    /// <summary>The certificate later envelopes carry.</summary>
    public X509Certificate2 Certificate => _current.Certificate;

    /// <summary>Lowercase hex SHA-256 of the signing certificate's DER, as put in <c>Signature.keyid</c>.</summary>
    public string KeyId => _current.KeyId;

    public string Participant { get; }

    /// <summary>
    /// Signs later envelopes with <paramref name="signingCertificate"/> (a rotation); an envelope being signed now
    /// finishes with the key it started with. The certificate must pass the same checks as at construction.
    /// </summary>
    public void Use(X509Certificate2 signingCertificate, IEnumerable<X509Certificate2>? intermediates = null)
    {
        var next = Load(signingCertificate, intermediates, out var participant);
        if (participant != Participant)
        {
            next.Dispose();
            throw new ArgumentException($"the signing certificate '{signingCertificate.Subject}' is {participant}'s; this node signs for {Participant}.", nameof(signingCertificate));
        }

        lock (_keys)
        {
            _keys.Add(next);
            _current = next;
        }
    }

    /// <summary>Signs with the participant's key, or with <paramref name="office"/>'s own key when it names one.</summary>
    public Envelope Sign(string payloadType, ReadOnlySpan<byte> payload, string? office = null)
    {
        if (string.IsNullOrWhiteSpace(payloadType))
            throw new ArgumentException("an envelope needs a payload type.", nameof(payloadType));
        if (payload.IsEmpty)
            throw new ArgumentException("an envelope needs a non-empty payload.", nameof(payload));

        var key = office is null ? _current
            : _offices.GetValueOrDefault(office) ?? throw new InvalidOperationException($"office {office} has no signing key here (offices/{office}/signing.crt in the PKI folder).");
        var pae = Pae.Encode(payloadType, payload);
        byte[] signature;
        lock (key.KeyLock)
            // DER (RFC 3279) rather than .NET's default IEEE P1363, so openssl and other stacks verify it as is.
            signature = key.Key.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        var wire = new Signature { Sig = ByteString.CopyFrom(signature), Keyid = key.KeyId };
        wire.X5C.AddRange(key.X5c);
        return new Envelope
        {
            Payload = ByteString.CopyFrom(payload),
            PayloadType = payloadType,
            Signatures = { wire },
        };
    }

    public void Dispose()
    {
        lock (_keys)
        {
            foreach (var key in _keys)
                key.Dispose();
            _keys.Clear();
        }
    }

    private static SigningKey Load(X509Certificate2 signingCertificate, IEnumerable<X509Certificate2>? intermediates, out string participant)
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
        participant = ParticipantIdentity.FromCertificate(signingCertificate)
            ?? throw new ArgumentException($"the {subject} names no participant ({ParticipantIdentity.ParticipantUriPrefix}<code> URI SAN).", nameof(signingCertificate));
        var key = signingCertificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException($"the {subject} has no ECDSA private key loaded.", nameof(signingCertificate));
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new ArgumentException($"the {subject} key is ECDSA-{key.KeySize}; envelopes are signed with P-256.", nameof(signingCertificate));
        }

        return new SigningKey(signingCertificate, key,
            [ByteString.CopyFrom(signingCertificate.RawDataMemory.Span), .. (intermediates ?? []).Select(c => ByteString.CopyFrom(c.RawDataMemory.Span))]);
    }
}
