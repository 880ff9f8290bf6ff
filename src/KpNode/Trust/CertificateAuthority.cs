using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>The kinds of end-entity certificate a participant's root issues.</summary>
internal enum LeafKind
{
    /// <summary>The node's TLS certificate, used as server (Peer/Local API) and as client (to partners).</summary>
    NodeTls = 1,
    /// <summary>Signs envelopes; kept apart from TLS like ICAO's document signer certificates.</summary>
    DocumentSigning = 2,
    /// <summary>A person or system calling the Local API.</summary>
    Operator = 3,
}

/// <summary>Issues ECDSA P-256 certificates in the KpNode profiles: roots, optional issuing CAs and leaves.</summary>
internal static class CertificateAuthority
{
    public const string DefaultOperatorName = "operator";

    private static readonly HashAlgorithmName Hash = HashAlgorithmName.SHA256;

    /// <summary>
    /// A self-signed participant root CA. The path length defaults to 0 because the dev PKI issues
    /// leaves directly; pass 1 to allow one issuing CA below it.
    /// </summary>
    public static X509Certificate2 CreateRoot(string participant, DateTimeOffset notBefore, DateTimeOffset notAfter, int pathLength = 0)
    {
        var uri = ParticipantIdentity.ParticipantUri(participant);
        using var key = NewKey();
        var request = new CertificateRequest(RootSubject(participant), key, Hash);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, pathLength, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(ski);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));
        // The participant URI on the root lets configuration check that a partner's root file
        // really belongs to the partner it is configured for, and lets chain validation refuse
        // a leaf that claims a participant other than its root's.
        request.CertificateExtensions.Add(LeafProfile.SubjectAltNames([], [], [uri]));
        // CreateSelfSigned keeps the key with the certificate.
        return request.CreateSelfSigned(Seconds(notBefore), Seconds(notAfter));
    }

    /// <summary>An issuing CA below a root (path length 0), for deployments and tests that use intermediates.</summary>
    public static X509Certificate2 IssueIntermediate(X509Certificate2 issuerWithKey, string participant, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var uri = ParticipantIdentity.ParticipantUri(participant);
        using var key = NewKey();
        var request = new CertificateRequest(
            new X500DistinguishedName($"CN=KP {participant} Issuing CA, O=Kimberley Process participant {participant}"), key, Hash);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(LeafProfile.SubjectAltNames([], [], [uri]));
        return Sign(request, key, issuerWithKey, notBefore, notAfter);
    }

    /// <summary>
    /// An end-entity certificate of the given kind signed by <paramref name="issuerWithKey"/>.
    /// <paramref name="includeParticipantUri"/> = false and arbitrary validity windows exist so
    /// tests can build the broken certificates a partner might send.
    /// </summary>
    public static X509Certificate2 IssueLeaf(
        X509Certificate2 issuerWithKey,
        string participant,
        LeafKind kind,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        IEnumerable<string>? extraDnsNames = null,
        string operatorName = DefaultOperatorName,
        bool includeParticipantUri = true,
        string? office = null,
        IReadOnlyList<OperatorRole>? roles = null,
        string? operatorDisplayName = null)
    {
        var profile = new LeafProfile(participant, kind, [.. extraDnsNames ?? []], operatorName, operatorDisplayName, includeParticipantUri, office, roles);
        using var key = NewKey();
        var request = new CertificateRequest(profile.Subject, key, Hash);
        foreach (var extension in profile.Extensions())
            request.CertificateExtensions.Add(extension);
        return Sign(request, key, issuerWithKey, notBefore, notAfter);
    }

    /// <summary>
    /// A leaf of <paramref name="profile"/> for a key held elsewhere (from a CSR): the profile alone decides the
    /// subject and extensions. The certificate carries no private key.
    /// </summary>
    public static X509Certificate2 IssueForKey(X509Certificate2 issuerWithKey, PublicKey subjectKey, LeafProfile profile, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var request = new CertificateRequest(profile.Subject, subjectKey, Hash);
        foreach (var extension in profile.Extensions())
            request.CertificateExtensions.Add(extension);
        return Sign(request, null, issuerWithKey, notBefore, notAfter);
    }

    public static X500DistinguishedName RootSubject(string participant) =>
        new($"CN=KP {participant} Root CA, O=Kimberley Process participant {participant}");

    private static X509Certificate2 Sign(CertificateRequest request, ECDsa? key, X509Certificate2 issuerWithKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        ArgumentNullException.ThrowIfNull(issuerWithKey);
        if (!issuerWithKey.HasPrivateKey)
            throw new ArgumentException($"the issuer '{issuerWithKey.Subject}' has no private key loaded, so it cannot sign certificates.", nameof(issuerWithKey));
        notBefore = Seconds(notBefore);
        notAfter = Seconds(notAfter);
        if (notAfter > issuerWithKey.NotAfter)
            throw new ArgumentException(
                $"a certificate cannot outlive its issuer: requested until {Format(notAfter)}, issuer '{issuerWithKey.Subject}' expires {Format(issuerWithKey.NotAfter)}.",
                nameof(notAfter));
        if (notBefore < issuerWithKey.NotBefore)
            throw new ArgumentException(
                $"a certificate cannot start before its issuer: requested from {Format(notBefore)}, issuer '{issuerWithKey.Subject}' starts {Format(issuerWithKey.NotBefore)}.",
                nameof(notBefore));

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuerWithKey, true, false));
        var issued = request.Create(issuerWithKey, notBefore, notAfter, NewSerial());
        if (key is null)
            return issued;
        using (issued)
            return issued.CopyWithPrivateKey(key);
    }

    private static ECDsa NewKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>16 random bytes with the top bit clear (a positive INTEGER) and the next bit set, so the DER encoding is always exactly 16 bytes.</summary>
    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }

    // Certificates carry whole seconds; truncating here keeps a leaf's window comparable
    // with the issuer's as read back from its encoding.
    private static DateTimeOffset Seconds(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static string Format(DateTimeOffset t) => TrustChain.Format(t);
}
