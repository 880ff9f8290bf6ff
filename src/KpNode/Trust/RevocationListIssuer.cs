using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>
/// <c>pki revoke</c>'s work where the root key is kept: the next CRL of a root, with every entry of the one before and
/// one more, numbered one higher, signed by the root (RFC 5280, so openssl and any verifier read it).
/// </summary>
internal static class RevocationListIssuer
{
    /// <summary>How long a CRL is current: a verifier holding an older one than this knows to ask for the next.</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(30);

    /// <summary>How far in the future an effective time may lie: clocks of the root's machine and the node differ a little.</summary>
    public static readonly TimeSpan FutureMargin = TimeSpan.FromMinutes(5);

    /// <summary>A serial as certificates carry it (at most 20 bytes, RFC 5280 §4.1.2.2), in hex; the message says what is wrong.</summary>
    public static byte[] ParseSerial(string text)
    {
        var hex = new string([.. text.Trim().Where(c => c is not (':' or ' '))]);
        if (hex.Length == 0 || hex.Length > 42 || !hex.All(char.IsAsciiHexDigit))
            throw new RevocationListException(
                $"--serial: '{Domain.Printable.Of(text, 60)}' is not a certificate serial in hex (up to 40 hex digits, colons allowed); "
                + "read it with 'openssl x509 -in CERT -noout -serial', or from 'kpnode pki sign' or 'kpnode status'.");
        var bytes = Convert.FromHexString(hex.Length % 2 == 0 ? hex : "0" + hex);
        var start = 0;
        while (start < bytes.Length - 1 && bytes[start] == 0)
            start++;
        bytes = bytes[start..];
        // A positive INTEGER in DER, as certificates encode their serials, so the CRL entry matches the certificate byte for byte.
        return bytes[0] >= 0x80 ? [0, .. bytes] : bytes;
    }

    public static X509RevocationReason? ParseReason(string? text) => text switch
    {
        "keyCompromise" => X509RevocationReason.KeyCompromise,
        "superseded" => X509RevocationReason.Superseded,
        "cessationOfOperation" => X509RevocationReason.CessationOfOperation,
        _ => null,
    };

    /// <summary>
    /// The next CRL: <paramref name="current"/>'s entries (it must be this root's) plus <paramref name="serial"/> revoked
    /// from <paramref name="effective"/>. Only a compromised key is revoked back-dated: for the other reasons what it
    /// signed until now was the participant's.
    /// </summary>
    public static RevocationList Revoke(X509Certificate2 rootWithKey, byte[]? current, string currentPath, byte[] serial,
        X509RevocationReason reason, DateTimeOffset effective, DateTimeOffset now)
    {
        if (effective > now + FutureMargin)
            throw new RevocationListException(
                $"--effective: {TrustChain.Format(effective)} is in the future (now {TrustChain.Format(now)}); a revocation takes effect when it is published: leave --effective out, or give a time up to now.");
        if (effective < now - FutureMargin && reason != X509RevocationReason.KeyCompromise)
            throw new RevocationListException(
                $"--effective: {TrustChain.Format(effective)} is in the past, and only --reason keyCompromise is back-dated (what a superseded key signed until now stays valid); leave --effective out.");

        var participant = ParticipantIdentity.FromCertificate(rootWithKey) ?? "this participant";
        CertificateRevocationListBuilder builder;
        BigInteger number;
        if (current is null)
        {
            builder = new CertificateRevocationListBuilder();
            number = BigInteger.Zero;
        }
        else
        {
            RevocationList previous;
            try
            {
                previous = RevocationList.Verified(current, rootWithKey, participant);
            }
            catch (RevocationListException e)
            {
                throw new RevocationListException($"{currentPath} {e.Message} Give this root's own CRL with --out, or move that file away to start a new list.");
            }

            var serialText = RevocationList.CanonicalSerial(Convert.ToHexString(serial));
            if (previous.Find(serialText) is { } already)
                throw new RevocationListException(
                    $"--serial: certificate {serialText} is already revoked in {currentPath} (effective {TrustChain.Format(already.EffectiveAt)}, {already.ReasonName}); nothing to do: publish that list with 'kpnode pki publish {currentPath}'.");
            builder = CertificateRevocationListBuilder.Load(previous.Der, out number);
        }

        // CRL times are whole seconds: rounded up, so that nothing signed before the moment given ends up after it.
        var fraction = effective.UtcTicks % TimeSpan.TicksPerSecond;
        var effectiveSecond = fraction == 0 ? effective : effective.AddTicks(TimeSpan.TicksPerSecond - fraction);
        builder.AddEntry(serial, effectiveSecond, reason);
        // Whole seconds: CRL times are encoded to the second, and the entry must say the time given.
        var thisUpdate = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var der = builder.Build(rootWithKey, number + 1, thisUpdate + DefaultValidity, HashAlgorithmName.SHA256, thisUpdate: thisUpdate);
        return RevocationList.Parse(der);
    }

    /// <summary>An effective time as the operator writes it: ISO 8601, UTC when no offset is given.</summary>
    public static DateTimeOffset? ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}
