using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>One certificate a revocation list revokes: its serial (canonical hex), from when, and why.</summary>
internal sealed record RevokedEntry(string Serial, DateTimeOffset EffectiveAt, X509RevocationReason? Reason)
{
    /// <summary>The reason as RFC 5280 and openssl name it, e.g. keyCompromise.</summary>
    public string ReasonName => RevocationList.ReasonName(Reason);
}

/// <summary>A CRL that could not be read or is not the one it claims to be; the message says what to do.</summary>
internal sealed class RevocationListException(string message) : Exception(message);

/// <summary>
/// An X.509 CRL as KpNode reads it (RFC 5280 §5): its issuer, number, dates and entries, and its DER exactly as signed.
/// .NET builds CRLs but does not read their entries, hence the reader here.
/// </summary>
internal sealed class RevocationList
{
    private const string CrlNumberOid = "2.5.29.20";
    private const string ReasonCodeOid = "2.5.29.21";
    private readonly Dictionary<string, RevokedEntry> _bySerial;

    private RevocationList(byte[] der, byte[] tbs, string signatureOid, byte[] signature, X500DistinguishedName issuer, BigInteger number,
        DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate, IReadOnlyList<RevokedEntry> entries)
    {
        Der = der;
        Tbs = tbs;
        SignatureOid = signatureOid;
        Signature = signature;
        Issuer = issuer;
        Number = number;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        Entries = entries;
        _bySerial = new Dictionary<string, RevokedEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
            _bySerial.TryAdd(entry.Serial, entry);
    }

    public byte[] Der { get; }

    private byte[] Tbs { get; }

    private string SignatureOid { get; }

    private byte[] Signature { get; }

    public X500DistinguishedName Issuer { get; }

    /// <summary>The cRLNumber extension; 0 when the list has none.</summary>
    public BigInteger Number { get; }

    public DateTimeOffset ThisUpdate { get; }

    public DateTimeOffset? NextUpdate { get; }

    public IReadOnlyList<RevokedEntry> Entries { get; }

    /// <summary>The entry for a certificate serial (any case, separators and leading zeros ignored), or null.</summary>
    public RevokedEntry? Find(string serial) => _bySerial.GetValueOrDefault(CanonicalSerial(serial));

    /// <summary>Reads a CRL from DER or PEM bytes; throws <see cref="RevocationListException"/> for anything else.</summary>
    public static RevocationList Parse(ReadOnlySpan<byte> bytes)
    {
        var der = FromPem(bytes) ?? bytes.ToArray();
        try
        {
            return Read(der);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or FormatException or ArgumentException)
        {
            throw new RevocationListException($"is not an X.509 CRL ({e.Message}); give the crl.pem written by 'kpnode pki revoke'.");
        }
    }

    /// <summary>Reads a CRL and checks it is issued and signed by <paramref name="root"/>; the message names the participant.</summary>
    public static RevocationList Verified(ReadOnlySpan<byte> bytes, X509Certificate2 root, string rootParticipant)
    {
        var list = Parse(bytes);
        if (!list.IsSignedBy(root))
            throw new RevocationListException(
                $"is issued by '{list.Issuer.Name}' and not signed by {rootParticipant}'s root '{root.Subject}': a revocation list for {rootParticipant} must be signed with {rootParticipant}'s root key.");
        return list;
    }

    /// <summary>As <see cref="Verified(ReadOnlySpan{byte}, X509Certificate2, string)"/> for a partner with several roots (a rollover): signed by any of them.</summary>
    public static RevocationList Verified(ReadOnlySpan<byte> bytes, IReadOnlyCollection<X509Certificate2> roots, string rootParticipant)
    {
        var list = Parse(bytes);
        if (roots.Any(list.IsSignedBy))
            return list;
        return Verified(bytes, roots.First(), rootParticipant);
    }

    /// <summary>Whether the list names <paramref name="root"/> as issuer and its signature verifies under the root's key.</summary>
    public bool IsSignedBy(X509Certificate2 root)
    {
        if (!Issuer.RawData.AsSpan().SequenceEqual(root.SubjectName.RawData))
            return false;
        var hash = SignatureOid switch
        {
            "1.2.840.10045.4.3.2" => HashAlgorithmName.SHA256,
            "1.2.840.10045.4.3.3" => HashAlgorithmName.SHA384,
            "1.2.840.10045.4.3.4" => HashAlgorithmName.SHA512,
            _ => (HashAlgorithmName?)null,
        };
        using var key = root.GetECDsaPublicKey();
        return hash is { } h && key is not null && key.VerifyData(Tbs, Signature, h, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>Upper-case hex without separators or leading zeros: the same serial whichever way it was written or DER-encoded.</summary>
    public static string CanonicalSerial(string serial)
    {
        var hex = new string([.. serial.Where(c => c is not (':' or ' ' or '-'))]).ToUpperInvariant().TrimStart('0');
        return hex.Length == 0 ? "0" : hex;
    }

    /// <summary>The reason as RFC 5280 and openssl name it.</summary>
    public static string ReasonName(X509RevocationReason? reason) => reason switch
    {
        null => "unspecified",
        X509RevocationReason.KeyCompromise => "keyCompromise",
        X509RevocationReason.Superseded => "superseded",
        X509RevocationReason.CessationOfOperation => "cessationOfOperation",
        { } other => char.ToLowerInvariant(other.ToString()[0]) + other.ToString()[1..],
    };

    private static byte[]? FromPem(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IndexOf("-----BEGIN"u8) < 0)
            return null;
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        if (!PemEncoding.TryFind(text, out var fields) || text[fields.Label] != "X509 CRL")
            throw new RevocationListException("is PEM but holds no X509 CRL block; give the crl.pem written by 'kpnode pki revoke'.");
        return Convert.FromBase64String(text[fields.Base64Data]);
    }

    private static RevocationList Read(byte[] der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var list = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        var tbs = list.ReadEncodedValue().ToArray();
        var algorithm = list.ReadSequence();
        var signatureOid = algorithm.ReadObjectIdentifier();
        var signature = list.ReadBitString(out _);
        list.ThrowIfNotEmpty();

        var body = new AsnReader(tbs, AsnEncodingRules.DER).ReadSequence();
        if (body.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            body.ReadInteger(); // version v2
        body.ReadSequence(); // signature algorithm, repeated inside what is signed
        var issuer = new X500DistinguishedName(body.ReadEncodedValue().Span);
        var thisUpdate = ReadTime(body);
        DateTimeOffset? nextUpdate = body.HasData && IsTime(body.PeekTag()) ? ReadTime(body) : null;
        var entries = new List<RevokedEntry>();
        if (body.HasData && body.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var revoked = body.ReadSequence();
            while (revoked.HasData)
            {
                var entry = revoked.ReadSequence();
                var serial = Convert.ToHexString(entry.ReadIntegerBytes().Span);
                var at = ReadTime(entry);
                X509RevocationReason? reason = null;
                if (entry.HasData)
                {
                    foreach (var (oid, value) in Extensions(entry.ReadSequence()))
                    {
                        if (oid == ReasonCodeOid)
                            reason = (X509RevocationReason)(int)new AsnReader(value, AsnEncodingRules.DER).ReadEnumeratedValue<X509RevocationReason>();
                    }
                }

                entries.Add(new RevokedEntry(CanonicalSerial(serial), at, reason));
            }
        }

        var number = BigInteger.Zero;
        if (body.HasData)
        {
            var tagged = body.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
            foreach (var (oid, value) in Extensions(tagged.ReadSequence()))
            {
                if (oid == CrlNumberOid)
                    number = new AsnReader(value, AsnEncodingRules.DER).ReadInteger();
            }
        }

        return new RevocationList(der, tbs, signatureOid, signature, issuer, number, thisUpdate, nextUpdate, entries);
    }

    private static IEnumerable<(string Oid, byte[] Value)> Extensions(AsnReader extensions)
    {
        var found = new List<(string, byte[])>();
        while (extensions.HasData)
        {
            var extension = extensions.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                extension.ReadBoolean();
            found.Add((oid, extension.ReadOctetString()));
        }

        return found;
    }

    private static bool IsTime(Asn1Tag tag) => tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}
