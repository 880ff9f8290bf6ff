using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KpNode.Trust;

/// <summary>
/// A root's SHA-256 fingerprint as people read it over the phone: 64 hex digits in groups of four ("4C96 1A0F …"),
/// the same digest <c>openssl x509 -fingerprint -sha256</c> prints with colons.
/// </summary>
internal static class RootFingerprint
{
    public static string Of(X509Certificate2 certificate) => Grouped(Convert.ToHexString(SHA256.HashData(certificate.RawDataMemory.Span)));

    /// <summary>What a person typed, as 64 upper-case hex digits: spaces, colons, dashes and case are ignored; null if it is not a SHA-256 fingerprint.</summary>
    public static string? Normalize(string typed)
    {
        var hex = new StringBuilder();
        foreach (var c in typed)
        {
            if (c is ' ' or ':' or '-' or '\t')
                continue;
            if (!char.IsAsciiHexDigit(c))
                return null;
            hex.Append(char.ToUpperInvariant(c));
        }

        return hex.Length == 64 ? hex.ToString() : null;
    }

    public static bool Matches(X509Certificate2 certificate, string typed) =>
        Normalize(typed) is { } hex && hex == Of(certificate).Replace(" ", "", StringComparison.Ordinal);

    private static string Grouped(string hex) =>
        string.Join(' ', Enumerable.Range(0, hex.Length / 4).Select(i => hex.Substring(i * 4, 4)));
}
