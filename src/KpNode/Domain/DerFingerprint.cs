using System.Security.Cryptography;

namespace KpNode.Domain;

/// <summary>How the node names an X.509 certificate: the lowercase hex SHA-256 of its DER bytes (key ids, the signer store, pins).</summary>
internal static class DerFingerprint
{
    public static string Of(ReadOnlySpan<byte> der) => Convert.ToHexStringLower(SHA256.HashData(der));
}
