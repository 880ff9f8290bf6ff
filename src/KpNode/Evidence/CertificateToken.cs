using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KpNode.Trust;

namespace KpNode.Evidence;

/// <summary>
/// The signed token a printed certificate's QR code carries: the figures to compare with the paper, signed by the exporter's
/// document-signing key, with that key's certificate inside, so it verifies offline against the exporter's root alone.
/// </summary>
/// <remarks>
/// Format, version 1 (everything a verifier needs; big-endian lengths):
/// <code>
/// text   = "KP1:" Base45(binary)                       ; RFC 9285, the QR alphanumeric alphabet
/// binary = 0x01                                        ; format version
///          u16 claims_length  claims                   ; UTF-8, see below
///          u16 leaf_length    leaf                     ; DER X.509 certificate of the signer (issued by the root)
///          signature[64]                               ; ECDSA P-256, IEEE P1363 r||s (32+32 bytes)
/// signed = "KPNODE-TOKEN-v1\n" || claims               ; the signature is over SHA-256(signed)
/// claims = exactly these lines, this order, joined by "\n", no trailing newline:
///          number=ZA-2026-000001
///          exporter=ZA                                 ; exporting participant
///          importer=BE                                 ; importing participant
///          parcels=3
///          carats=1204.50                              ; two decimals, no separators
///          value=481800.00                             ; US$, two decimals, no separators
///          issued=2026-12-03                           ; date of issue
///          expires=2027-01-31                          ; date of expiry
///          payload-sha256=&lt;64 lowercase hex&gt;           ; SHA-256 of the signed CertificateIssued payload bytes
///          signed-at=2026-12-03T15:55:00Z              ; when the token was signed, UTC, seconds
/// </code>
/// A token verifies when: the leaf chains to the given root at signed-at, has the document-signing EKU
/// (1.3.6.1.5.5.7.3.36) and exactly one <c>kp:participant:</c> URI SAN equal to the exporter, and the signature verifies with the leaf's key.
/// </remarks>
internal static class CertificateToken
{
    public const string Prefix = "KP1:";
    public const string Domain = "KPNODE-TOKEN-v1\n";
    private const byte Version = 1;
    private const int SignatureLength = 64;

    private static readonly string[] Keys = ["number", "exporter", "importer", "parcels", "carats", "value", "issued", "expires", "payload-sha256", "signed-at"];

    /// <summary>Signs a token for <paramref name="certificate"/>, the content of the signed <paramref name="payload"/> (CertificateIssued bytes).</summary>
    public static string Sign(Wire.V1.Certificate certificate, ReadOnlySpan<byte> payload, DateTimeOffset signedAt, X509Certificate2 signer)
    {
        var claims = new TokenClaims(
            certificate.Number, certificate.ExportingParticipant, certificate.ImportingParticipant, certificate.Parcels,
            Amount(certificate.CaratsHundredths), Amount(certificate.ValueUsdCents), certificate.DateOfIssue, certificate.DateOfExpiry,
            Convert.ToHexStringLower(SHA256.HashData(payload)), TruncateToSeconds(signedAt));
        var claimBytes = Encoding.UTF8.GetBytes(claims.Text);
        using var key = signer.GetECDsaPrivateKey()
            ?? throw new ArgumentException($"the signing certificate '{signer.Subject}' has no ECDSA private key loaded.", nameof(signer));
        // P1363 rather than DER: fixed length, and what WebCrypto verifies as is.
        var signature = key.SignData(Signed(claimBytes), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var leaf = signer.RawData;
        var binary = new byte[1 + 2 + claimBytes.Length + 2 + leaf.Length + SignatureLength];
        var at = 0;
        binary[at++] = Version;
        BinaryPrimitives.WriteUInt16BigEndian(binary.AsSpan(at), checked((ushort)claimBytes.Length));
        claimBytes.CopyTo(binary, at += 2);
        at += claimBytes.Length;
        BinaryPrimitives.WriteUInt16BigEndian(binary.AsSpan(at), checked((ushort)leaf.Length));
        leaf.CopyTo(binary, at += 2);
        at += leaf.Length;
        signature.CopyTo(binary, at);
        return Prefix + Base45.Encode(binary);
    }

    /// <summary>Checks <paramref name="text"/> against <paramref name="roots"/> (only these are trusted); the verdict says why when it fails.</summary>
    public static TokenVerdict Verify(string text, IReadOnlyCollection<X509Certificate2> roots)
    {
        var parsed = Parse(text);
        if (parsed.Problem is { } problem)
            return TokenVerdict.Refused(problem, parsed.Claims);
        var (claims, claimBytes, leafDer, signature) = (parsed.Claims!, parsed.ClaimBytes!, parsed.Leaf!, parsed.Signature!);

        X509Certificate2 leaf;
        try
        {
            leaf = X509CertificateLoader.LoadCertificate(leafDer);
        }
        catch (CryptographicException e)
        {
            return TokenVerdict.Refused($"the signer certificate in the token cannot be read: {e.Message}", claims);
        }

        using (leaf)
        {
            var chain = new TrustChain().Validate(leaf, [], KeyPurpose.DocumentSigning, claims.SignedAt, roots, "the token's signer certificate");
            if (!chain.IsTrusted)
                return TokenVerdict.Refused(chain.Message, claims, leaf.Subject);
            if (chain.Participant != claims.Exporter)
                return TokenVerdict.Refused($"the token was signed for participant {chain.Participant}, but names exporter {claims.Exporter}.", claims, leaf.Subject);
            using var key = leaf.GetECDsaPublicKey();
            if (key is null || key.KeySize != 256)
                return TokenVerdict.Refused("the token's signer certificate has no ECDSA P-256 key.", claims, leaf.Subject);
            if (!key.VerifyData(Signed(claimBytes), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                return TokenVerdict.Refused("the token's signature does not match its figures: the token was altered or is forged.", claims, leaf.Subject);
            return TokenVerdict.Verified(claims, leaf.Subject, RootFingerprint.Of(chain.Anchor));
        }
    }

    /// <summary>The token's parts without any check of trust, for verification and for showing what a refused token claims.</summary>
    public static ParsedToken Parse(string text)
    {
        text = text.Trim();
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
            return ParsedToken.Bad($"not a KP certificate token: it must start with '{Prefix}'.");
        if (Base45.Decode(text[Prefix.Length..]) is not { } binary)
            return ParsedToken.Bad("the token is damaged: its text is not Base45 (was it copied completely?).");
        var span = binary.AsSpan();
        if (span.Length < 1 || span[0] != Version)
            return ParsedToken.Bad($"the token has format version {(span.Length > 0 ? span[0] : 0)}; this verifier reads version {Version}.");
        span = span[1..];
        if (!TakeBlock(ref span, out var claimBytes) || !TakeBlock(ref span, out var leaf) || span.Length != SignatureLength)
            return ParsedToken.Bad("the token is damaged: its parts do not add up (truncated or extra bytes).");
        string claimText;
        try
        {
            claimText = new UTF8Encoding(false, true).GetString(claimBytes);
        }
        catch (DecoderFallbackException)
        {
            return ParsedToken.Bad("the token is damaged: its figures are not UTF-8 text.");
        }

        var claims = TokenClaims.TryParse(claimText, out var problem);
        return claims is null
            ? ParsedToken.Bad($"the token's figures cannot be read: {problem}.")
            : new ParsedToken(claims, claimBytes, leaf, span.ToArray(), null);
    }

    private static bool TakeBlock(ref Span<byte> span, out byte[] block)
    {
        block = [];
        if (span.Length < 2)
            return false;
        var length = BinaryPrimitives.ReadUInt16BigEndian(span);
        if (span.Length < 2 + length)
            return false;
        block = span.Slice(2, length).ToArray();
        span = span[(2 + length)..];
        return true;
    }

    private static byte[] Signed(byte[] claims) => [.. Encoding.ASCII.GetBytes(Domain), .. claims];

    private static string Amount(long hundredths) => (hundredths / 100m).ToString("0.00", CultureInfo.InvariantCulture);

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    internal static IReadOnlyList<string> ClaimKeys => Keys;
}

/// <summary>The figures a token carries, exactly as signed.</summary>
internal sealed record TokenClaims(
    string Number, string Exporter, string Importer, int Parcels, string Carats, string Value,
    string Issued, string Expires, string PayloadSha256, DateTimeOffset SignedAt)
{
    public string Text => string.Join('\n',
        $"number={Number}", $"exporter={Exporter}", $"importer={Importer}", $"parcels={Parcels.ToString(CultureInfo.InvariantCulture)}",
        $"carats={Carats}", $"value={Value}", $"issued={Issued}", $"expires={Expires}", $"payload-sha256={PayloadSha256}",
        $"signed-at={SignedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}");

    /// <summary>One line of the figures, as printed under the QR code and shown by the verifiers.</summary>
    public string Summary =>
        $"{Number} {Exporter}->{Importer} parcels {Parcels.ToString(CultureInfo.InvariantCulture)} carats {Carats} US$ {Value} issued {Issued} expires {Expires}";

    public static TokenClaims? TryParse(string text, out string problem)
    {
        var lines = text.Split('\n');
        var keys = CertificateToken.ClaimKeys;
        if (lines.Length != keys.Count)
        {
            problem = $"{lines.Length} lines where {keys.Count} are expected";
            return null;
        }

        var values = new string[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            if (!lines[i].StartsWith(keys[i] + "=", StringComparison.Ordinal))
            {
                problem = $"line {i + 1} should be '{keys[i]}=...'";
                return null;
            }

            values[i] = lines[i][(keys[i].Length + 1)..];
        }

        if (!int.TryParse(values[3], NumberStyles.None, CultureInfo.InvariantCulture, out var parcels))
        {
            problem = $"parcels '{values[3]}' is not a whole number";
            return null;
        }

        if (!DateTimeOffset.TryParseExact(values[9], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var signedAt))
        {
            problem = $"signed-at '{values[9]}' is not a UTC time like 2026-12-03T15:55:00Z";
            return null;
        }

        problem = "";
        return new TokenClaims(values[0], values[1], values[2], parcels, values[4], values[5], values[6], values[7], values[8], signedAt);
    }
}

/// <summary>A token split into its parts; <see cref="Problem"/> says why it could not be.</summary>
internal sealed record ParsedToken(TokenClaims? Claims, byte[]? ClaimBytes, byte[]? Leaf, byte[]? Signature, string? Problem)
{
    public static ParsedToken Bad(string problem) => new(null, null, null, null, problem);
}

/// <summary>Whether a token verified, against which root, and if not why.</summary>
internal sealed record TokenVerdict(bool IsValid, string Reason, TokenClaims? Claims, string? Signer, string? Root)
{
    public static TokenVerdict Verified(TokenClaims claims, string signer, string root) => new(true, "", claims, signer, root);

    public static TokenVerdict Refused(string reason, TokenClaims? claims, string? signer = null) => new(false, reason, claims, signer, null);
}
