using System.Security.Cryptography;

namespace KpNode.Domain;

/// <summary>How the node names an X.509 certificate: the lowercase hex SHA-256 of its DER bytes (key ids, the signer store, pins).</summary>
internal static class DerFingerprint
{
    public static string Of(ReadOnlySpan<byte> der) => OfDigest(SHA256.HashData(der));

    /// <summary>The name of a certificate whose SHA-256 digest is already at hand (as a stored envelope keeps it).</summary>
    public static string OfDigest(ReadOnlySpan<byte> sha256) => Convert.ToHexStringLower(sha256);
}
