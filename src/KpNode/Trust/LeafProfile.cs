using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>
/// What a leaf of one kind carries: its subject and exactly its extensions (key usage, EKU, SANs). The one
/// definition behind <see cref="CertificateAuthority.IssueLeaf"/>, the CSRs of <c>pki request</c> and the certificates of <c>pki sign</c>.
/// </summary>
internal sealed record LeafProfile(
    string Participant,
    LeafKind Kind,
    IReadOnlyList<string> ExtraDnsNames,
    string OperatorName = CertificateAuthority.DefaultOperatorName,
    string? OperatorDisplayName = null,
    bool IncludeParticipantUri = true,
    string? Office = null,
    IReadOnlyList<OperatorRole>? Roles = null)
{
    /// <summary>The roles an operator certificate grants; none named means every role (the certificates made before roles existed).</summary>
    public IReadOnlyList<OperatorRole> OperatorRoleList => Roles ?? [];

    /// <summary>The DNS names of a node TLS certificate: localhost first, then the extra names (no duplicates).</summary>
    public IReadOnlyList<string> DnsNames
    {
        get
        {
            if (Kind != LeafKind.NodeTls)
                return [];
            var dns = new List<string> { "localhost" };
            dns.AddRange(ExtraDnsNames.Where(n => !dns.Contains(n, StringComparer.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase));
            return dns;
        }
    }

    /// <summary>"CN=KP ZA Node, O=Kimberley Process participant ZA"; an operator's display name may hold any printable text, so the name is built, never parsed from a string.</summary>
    public X500DistinguishedName Subject
    {
        get
        {
            var role = Kind switch
            {
                LeafKind.NodeTls => "Node",
                LeafKind.DocumentSigning => "Document Signer",
                // "KP ZA Operator", not "KP ZA Operator operator": the default name is not repeated.
                LeafKind.Operator => OperatorDisplayName is { Length: > 0 } display ? $"Operator {display}"
                    : OperatorName == CertificateAuthority.DefaultOperatorName ? "Operator" : $"Operator {OperatorName}",
                _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "unknown leaf kind"),
            };
            var builder = new X500DistinguishedNameBuilder();
            builder.AddCommonName($"KP {Participant} {role}");
            builder.AddOrganizationName($"Kimberley Process participant {Participant}");
            if (Office is { Length: > 0 })
                builder.AddOrganizationalUnitName(Office);
            return builder.Build();
        }
    }

    /// <summary>The extensions of the profile, basic constraints first; SKI and AKI are added by the issuer.</summary>
    public IReadOnlyList<X509Extension> Extensions()
    {
        var participantUri = ParticipantIdentity.ParticipantUri(Participant);
        var uris = IncludeParticipantUri ? new List<string> { participantUri } : [];
        if (Office is { Length: > 0 } office && Kind != LeafKind.NodeTls)
            uris.Add(ParticipantIdentity.OfficeUri(office));
        var list = new List<X509Extension> { new X509BasicConstraintsExtension(false, false, 0, true) };
        switch (Kind)
        {
            case LeafKind.NodeTls:
                list.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
                list.Add(Eku(KeyPurpose.ServerAuth, KeyPurpose.ClientAuth));
                // localhost and both loopback addresses so clients can dial any of them.
                list.Add(SubjectAltNames(DnsNames, [IPAddress.Loopback, IPAddress.IPv6Loopback], uris));
                break;
            case LeafKind.DocumentSigning:
                list.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
                list.Add(Eku(KeyPurpose.DocumentSigning));
                if (uris.Count > 0)
                    list.Add(SubjectAltNames([], [], uris));
                break;
            case LeafKind.Operator:
                var operatorUri = ParticipantIdentity.OperatorUri(OperatorName);
                list.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
                list.Add(Eku(KeyPurpose.ClientAuth));
                list.Add(SubjectAltNames([], [], [.. uris, operatorUri, .. OperatorRoleList.Distinct().Select(OperatorRoles.Uri)]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "unknown leaf kind");
        }
        return list;
    }

    private static X509EnhancedKeyUsageExtension Eku(params string[] oids)
    {
        var collection = new OidCollection();
        foreach (var oid in oids)
            collection.Add(new Oid(oid));
        return new X509EnhancedKeyUsageExtension(collection, false);
    }

    /// <summary>
    /// Written by hand rather than with SubjectAlternativeNameBuilder.AddUri, which goes through
    /// System.Uri and may normalise an opaque URI like <c>kp:participant:ZA</c>; the exact string matters.
    /// </summary>
    internal static X509Extension SubjectAltNames(IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, IEnumerable<string> uris)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var dns in dnsNames)
                writer.WriteCharacterString(UniversalTagNumber.IA5String, dns, new Asn1Tag(TagClass.ContextSpecific, 2));
            foreach (var address in addresses)
                writer.WriteOctetString(address.GetAddressBytes(), new Asn1Tag(TagClass.ContextSpecific, 7));
            foreach (var uri in uris)
                writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
        }
        return new X509Extension("2.5.29.17", writer.Encode(), false);
    }
}
