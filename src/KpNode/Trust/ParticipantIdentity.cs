using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>Reads and writes the participant (and operator) identity carried in certificate URI SANs.</summary>
internal static class ParticipantIdentity
{
    public const string ParticipantUriPrefix = "kp:participant:";
    public const string OperatorUriPrefix = "kp:operator:";

    /// <summary>An issuing office of the participant (the EU's Union authorities), on its signing and operator certificates.</summary>
    public const string OfficeUriPrefix = "kp:office:";

    private const string SubjectAltNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    public static string ParticipantUri(string code) =>
        IsValidCode(code)
            ? ParticipantUriPrefix + code
            : throw new ArgumentException($"'{code}' is not a participant code (2-8 uppercase letters or digits, e.g. ZA, EU).", nameof(code));

    public static string OperatorUri(string name) =>
        IsValidOperatorName(name)
            ? OperatorUriPrefix + name
            : throw new ArgumentException($"'{name}' is not an operator name (1-64 of A-Z a-z 0-9 . _ -).", nameof(name));

    /// <summary>
    /// The participant code from the certificate's <c>kp:participant:</c> URI SAN, or null when there
    /// is none, it is not a valid code, or the certificate names more than one participant (ambiguous
    /// identity is treated as no identity rather than guessing).
    /// </summary>
    public static string? FromCertificate(X509Certificate2 cert) =>
        SingleValue(cert, ParticipantUriPrefix, IsValidCode);

    /// <summary>The operator name from the <c>kp:operator:</c> URI SAN of a Local API client certificate.</summary>
    public static string? OperatorFromCertificate(X509Certificate2 cert) =>
        SingleValue(cert, OperatorUriPrefix, IsValidOperatorName);

    public static string OfficeUri(string office) =>
        IsValidOfficeCode(office)
            ? OfficeUriPrefix + office
            : throw new ArgumentException($"'{office}' is not an office code (2 capital letters, then '-' and capital letters, digits or '-', e.g. BE-ANTWERP).", nameof(office));

    /// <summary>The office named in the certificate's <c>kp:office:</c> URI SAN; null when none (or an ambiguous or malformed one).</summary>
    public static string? OfficeFromCertificate(X509Certificate2 cert) =>
        SingleValue(cert, OfficeUriPrefix, IsValidOfficeCode);

    /// <summary>True when the certificate carries any <c>kp:office:</c> URI, well-formed or not: an office it names is never ignored.</summary>
    public static bool NamesAnyOffice(X509Certificate2 cert) =>
        SanUris(cert).Any(u => u.StartsWith(OfficeUriPrefix, StringComparison.Ordinal));

    /// <summary>
    /// The roles an operator certificate's <c>kp:role:</c> URIs grant; null when one of them names no role KpNode knows
    /// (such a certificate grants nothing rather than less), empty when it names none.
    /// </summary>
    public static IReadOnlyList<OperatorRole>? RolesFromCertificate(X509Certificate2 cert)
    {
        var roles = new List<OperatorRole>();
        foreach (var uri in SanUris(cert).Where(u => u.StartsWith(OperatorRoles.UriPrefix, StringComparison.Ordinal)))
        {
            if (OperatorRoles.All.FirstOrDefault(r => OperatorRoles.Uri(r) == uri) is not (> 0 and var role))
                return null;
            if (!roles.Contains(role))
                roles.Add(role);
        }

        return roles;
    }

    public static bool IsValidOfficeCode(string? office) => Domain.OfficeCode.IsWellFormed(office);

    public static bool IsValidCode(string? code) => Domain.ParticipantCode.IsWellFormed(code);

    public static bool IsValidOperatorName(string? name) =>
        name is { Length: >= 1 and <= 64 }
        && name.All(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-');

    /// <summary>
    /// Every URI in the SubjectAlternativeName extension. Read with AsnReader because .NET's SAN
    /// helper only enumerates DNS names and IP addresses. A malformed extension yields no URIs.
    /// </summary>
    public static IReadOnlyList<string> SanUris(X509Certificate2 cert)
    {
        ArgumentNullException.ThrowIfNull(cert);
        var extension = cert.Extensions[SubjectAltNameOid];
        if (extension is null)
            return [];

        var uris = new List<string>();
        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var generalNames = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (generalNames.HasData)
            {
                if (generalNames.PeekTag().HasSameClassAndValue(UriTag))
                    uris.Add(generalNames.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                else
                    generalNames.ReadEncodedValue();
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return [];
        }
        return uris;
    }

    private static string? SingleValue(X509Certificate2 cert, string prefix, Func<string, bool> isValid)
    {
        string? found = null;
        foreach (var uri in SanUris(cert))
        {
            if (!uri.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            var value = uri[prefix.Length..];
            if (!isValid(value) || (found is not null && found != value))
                return null;
            found = value;
        }
        return found;
    }
}
