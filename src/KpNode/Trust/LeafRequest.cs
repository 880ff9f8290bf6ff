using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KpNode.Trust;

/// <summary>A certificate signing request that cannot be signed, or a certificate whose role is unclear; each problem says what to do.</summary>
internal sealed class LeafRequestException(string path, IReadOnlyList<string> problems)
    : Exception($"{path}: {string.Join("; ", problems)}")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// A request for a new leaf as a PKCS#10 CSR: made on the node with the profile's subject and extensions (so that
/// <c>openssl req -text</c> shows what is asked), read back where the root key is. The CSR only says which profile it
/// wants; the certificate gets that profile's extensions from <see cref="LeafProfile"/>, never the CSR's own.
/// </summary>
internal static class LeafRequest
{
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string SubjectAltNameOid = "2.5.29.17";
    private const string ExtendedKeyUsageOid = "2.5.29.37";

    /// <summary>The purposes as the CLI spells them, with the files each one's pair lives in.</summary>
    public static readonly IReadOnlyList<(string Name, LeafKind Kind, string Certificate, string Key)> Purposes =
    [
        ("tls", LeafKind.NodeTls, PkiFiles.NodeCertificate, PkiFiles.NodeKey),
        ("signing", LeafKind.DocumentSigning, PkiFiles.SigningCertificate, PkiFiles.SigningKey),
        ("operator", LeafKind.Operator, PkiFiles.OperatorCertificate, PkiFiles.OperatorKey),
    ];

    public static string PurposeName(LeafKind kind) => Purposes.Single(p => p.Kind == kind).Name;

    public static LeafKind? ParsePurpose(string? name) =>
        Purposes.Where(p => string.Equals(p.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase)).Select(p => (LeafKind?)p.Kind).FirstOrDefault();

    /// <summary>The CSR of <paramref name="profile"/> for <paramref name="key"/>, as PEM ("CERTIFICATE REQUEST").</summary>
    public static string CreatePem(ECDsa key, LeafProfile profile)
    {
        var request = new CertificateRequest(profile.Subject, key, HashAlgorithmName.SHA256);
        foreach (var extension in profile.Extensions())
            request.CertificateExtensions.Add(extension);
        return request.CreateSigningRequestPem();
    }

    /// <summary>Reads a CSR (PEM or DER) and checks its self-signature, its key (ECDSA P-256) and that it names one profile without doubt.</summary>
    public static (LeafProfile Profile, PublicKey Key) Read(byte[] bytes, string path)
    {
        var text = Encoding.ASCII.GetString(bytes);
        var pem = text.Contains("-----BEGIN", StringComparison.Ordinal);
        CertificateRequest Load(CertificateRequestLoadOptions options) => pem
            ? CertificateRequest.LoadSigningRequestPem(text, HashAlgorithmName.SHA256, options)
            : CertificateRequest.LoadSigningRequest(bytes, HashAlgorithmName.SHA256, options);

        try
        {
            Load(CertificateRequestLoadOptions.SkipSignatureValidation);
        }
        catch (CryptographicException e)
        {
            throw new LeafRequestException(path, [$"is not a readable PKCS#10 certificate signing request in PEM or DER ({e.Message}); make one with 'kpnode pki request'"]);
        }

        CertificateRequest request;
        try
        {
            // Extensions are loaded only to read what the request asks for; none of them is copied into the certificate.
            request = Load(CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (CryptographicException)
        {
            throw new LeafRequestException(path, ["its signature does not verify with the key it carries: the file was altered or damaged; ask for a new request"]);
        }

        var problems = new List<string>();
        if (!IsP256(request.PublicKey))
            problems.Add("its key is not ECDSA P-256, the only kind KpNode issues for; make the request with 'kpnode pki request'");
        var profile = ProfileOf(request.SubjectName, request.CertificateExtensions, problems);
        if (problems.Count > 0 || profile is null)
            throw new LeafRequestException(path, problems);
        return (profile, request.PublicKey);
    }

    /// <summary>The profile a certificate names (its role from its EKU, its participant, operator and names), for <c>pki install</c>.</summary>
    public static LeafProfile ProfileOf(X509Certificate2 certificate, string path)
    {
        var problems = new List<string>();
        var profile = ProfileOf(certificate.SubjectName, certificate.Extensions.Cast<X509Extension>(), problems);
        if (problems.Count > 0 || profile is null)
            throw new LeafRequestException(path, problems);
        return profile;
    }

    public static bool IsP256(PublicKey key)
    {
        if (key.Oid.Value != EcPublicKeyOid)
            return false;
        using var ec = key.GetECDsaPublicKey();
        return ec is not null && ec.ExportParameters(false).Curve.Oid.Value == P256Oid;
    }

    private static LeafProfile? ProfileOf(X500DistinguishedName subject, IEnumerable<X509Extension> extensions, List<string> problems)
    {
        var list = extensions.ToList();
        var ekus = list.Where(e => e.Oid?.Value == ExtendedKeyUsageOid)
            .SelectMany(e => new X509EnhancedKeyUsageExtension(e, e.Critical).EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value ?? ""))
            .ToHashSet();
        LeafKind? kind = ekus.SetEquals([KeyPurpose.ServerAuth, KeyPurpose.ClientAuth]) ? LeafKind.NodeTls
            : ekus.SetEquals([KeyPurpose.DocumentSigning]) ? LeafKind.DocumentSigning
            : ekus.SetEquals([KeyPurpose.ClientAuth]) ? LeafKind.Operator
            : null;
        if (kind is null)
        {
            problems.Add(ekus.Count == 0
                ? "it names no purpose (no extended key usage); make it with 'kpnode pki request --purpose tls|signing|operator'"
                : $"its extended key usages ({string.Join(", ", ekus.Select(KeyPurpose.Describe))}) fit no purpose: tls is serverAuth and clientAuth, signing documentSigning, operator clientAuth");
        }

        var names = SubjectAltNames(list.FirstOrDefault(e => e.Oid?.Value == SubjectAltNameOid), problems);
        var participants = names.Uris.Where(u => u.StartsWith(ParticipantIdentity.ParticipantUriPrefix, StringComparison.Ordinal))
            .Select(u => u[ParticipantIdentity.ParticipantUriPrefix.Length..]).Distinct().ToList();
        var operators = names.Uris.Where(u => u.StartsWith(ParticipantIdentity.OperatorUriPrefix, StringComparison.Ordinal))
            .Select(u => u[ParticipantIdentity.OperatorUriPrefix.Length..]).Distinct().ToList();
        var offices = names.Uris.Where(u => u.StartsWith(ParticipantIdentity.OfficeUriPrefix, StringComparison.Ordinal))
            .Select(u => u[ParticipantIdentity.OfficeUriPrefix.Length..]).Distinct().ToList();
        var roleNames = names.Uris.Where(u => u.StartsWith(OperatorRoles.UriPrefix, StringComparison.Ordinal))
            .Select(u => u[OperatorRoles.UriPrefix.Length..]).Distinct().ToList();
        string[] known = [ParticipantIdentity.ParticipantUriPrefix, ParticipantIdentity.OperatorUriPrefix, ParticipantIdentity.OfficeUriPrefix, OperatorRoles.UriPrefix];
        foreach (var other in names.Uris.Where(u => !known.Any(k => u.StartsWith(k, StringComparison.Ordinal))))
            problems.Add($"it asks for the URI '{Domain.Printable.Of(other, 100)}', which no KpNode certificate carries");

        string? office = null;
        if (offices.Count > 1)
            problems.Add($"it names several offices ({string.Join(", ", offices.Select(o => Domain.Printable.Of(o, 40)))}); a certificate belongs to one office at most");
        else if (offices.Count == 1 && !ParticipantIdentity.IsValidOfficeCode(offices[0]))
            problems.Add($"'{Domain.Printable.Of(offices[0], 40)}' is not an office code (e.g. BE-ANTWERP)");
        else if (offices.Count == 1 && kind == LeafKind.NodeTls)
            problems.Add("a tls certificate names no office: the node serves the whole participant");
        else if (offices.Count == 1)
            office = offices[0];

        var roles = new List<OperatorRole>();
        foreach (var roleName in roleNames)
        {
            if (kind is not null && kind != LeafKind.Operator)
                problems.Add($"a {PurposeName(kind.Value)} certificate carries no role; only an operator's does");
            else if (OperatorRoles.Parse(roleName) is { } role && OperatorRoles.Name(role) == roleName)
                roles.Add(role);
            else
                problems.Add($"'{Domain.Printable.Of(roleName, 40)}' is not a role (one of {string.Join(", ", OperatorRoles.All.Select(OperatorRoles.Name))})");
        }

        string? participant = null;
        if (participants.Count == 0)
            problems.Add($"it names no participant (a {ParticipantIdentity.ParticipantUriPrefix}<code> URI); make it with 'kpnode pki request' in the node's PKI folder");
        else if (participants.Count > 1)
            problems.Add($"it names several participants ({string.Join(", ", participants.Select(p => Domain.Printable.Of(p, 20)))}); a certificate belongs to one");
        else if (!ParticipantIdentity.IsValidCode(participants[0]))
            problems.Add($"'{Domain.Printable.Of(participants[0], 20)}' is not a participant code");
        else
            participant = participants[0];

        var operatorName = CertificateAuthority.DefaultOperatorName;
        if (kind == LeafKind.Operator)
        {
            if (operators.Count != 1 || !ParticipantIdentity.IsValidOperatorName(operators[0]))
                problems.Add($"an operator certificate names exactly one operator (a {ParticipantIdentity.OperatorUriPrefix}<id> URI of A-Z a-z 0-9 . _ -); this names {(operators.Count == 0 ? "none" : string.Join(", ", operators.Select(o => $"'{Domain.Printable.Of(o, 70)}'")))}");
            else
                operatorName = operators[0];
        }
        else if (operators.Count > 0 && kind is not null)
        {
            problems.Add($"a {LeafRequest.PurposeName(kind.Value)} certificate names no operator, but this names '{Domain.Printable.Of(operators[0], 70)}'");
        }

        if (kind != LeafKind.NodeTls && kind is not null && (names.Dns.Count > 0 || names.Addresses.Count > 0))
            problems.Add($"a {PurposeName(kind.Value)} certificate carries no DNS names or IP addresses; only tls does");
        foreach (var dns in names.Dns.Where(d => !IsDnsName(d)))
            problems.Add($"'{Domain.Printable.Of(dns, 100)}' is not a DNS name (letters, digits and '-' in dot-separated labels, no wildcards)");
        foreach (var address in names.Addresses.Where(a => kind == LeafKind.NodeTls && !IPAddress.IsLoopback(a)))
            problems.Add($"it asks for the IP address {address}; a node TLS certificate carries only the loopback addresses: give partners a DNS name (--dns)");

        if (kind is null || participant is null || problems.Count > 0)
            return null;

        string? display = null;
        var cn = subject.EnumerateRelativeDistinguishedNames()
            .Where(r => !r.HasMultipleElements && r.GetSingleElementType().Value == "2.5.4.3")
            .Select(r => r.GetSingleElementValue()).FirstOrDefault();
        var operatorPrefix = $"KP {participant} Operator ";
        if (kind == LeafKind.Operator && cn is not null && cn.StartsWith(operatorPrefix, StringComparison.Ordinal) && cn[operatorPrefix.Length..] != operatorName)
        {
            display = cn[operatorPrefix.Length..];
            if (OperatorNames.DisplayNameProblem(display) is { } problem)
            {
                problems.Add(problem);
                return null;
            }
        }

        var extra = names.Dns.Where(d => !string.Equals(d, "localhost", StringComparison.OrdinalIgnoreCase)).Select(d => d.ToLowerInvariant()).ToList();
        return new LeafProfile(participant, kind.Value, extra, operatorName, display, Office: office, Roles: roles.Count > 0 ? roles : null);
    }

    private static bool IsDnsName(string name) =>
        name.Length is >= 1 and <= 253
        && name.Split('.').All(label => label.Length is >= 1 and <= 63 && label[0] != '-' && label[^1] != '-'
                                        && label.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-'));

    private sealed record Names(List<string> Dns, List<IPAddress> Addresses, List<string> Uris);

    /// <summary>Every GeneralName of a SAN extension; a kind KpNode never issues (e-mail, directory name…) is a problem, not silently dropped.</summary>
    private static Names SubjectAltNames(X509Extension? extension, List<string> problems)
    {
        var names = new Names([], [], []);
        if (extension is null)
            return names;
        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (sequence.HasData)
            {
                var tag = sequence.PeekTag();
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 2)
                    names.Dns.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                else if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 6)
                    names.Uris.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                else if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 7)
                    names.Addresses.Add(new IPAddress(sequence.ReadOctetString(tag)));
                else
                {
                    sequence.ReadEncodedValue();
                    problems.Add($"it asks for a subject alternative name of a kind KpNode never issues (tag [{tag.TagValue}]); only DNS names can be asked for");
                }
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException)
        {
            problems.Add("its subject alternative names are malformed");
        }
        return names;
    }
}
