using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KpNode.Storage;

/// <summary>One entry of the append-only audit log; each entry's hash covers its predecessor's, so a changed or missing entry shows.</summary>
internal sealed class AuditEntry
{
    /// <summary>Hash that the first entry links to.</summary>
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    // Versions the hash encoding, so a future change of fields cannot be confused with this one.
    private static readonly byte[] EncodingTag = "kpnode.audit.v1"u8.ToArray();

    /// <summary>Position in the log: 1, 2, 3… without gaps.</summary>
    public long Id { get; set; }
    /// <summary>UTC, millisecond precision (what LiteDB keeps), so the hash recomputes from the stored value.</summary>
    public DateTime At { get; set; }
    public string Actor { get; set; } = "";
    public string Action { get; set; } = "";
    public string Subject { get; set; } = "";
    public string Detail { get; set; } = "";
    /// <summary>Hash of the previous entry, lowercase hex; <see cref="GenesisHash"/> for the first.</summary>
    public string PreviousHash { get; set; } = GenesisHash;
    /// <summary>SHA-256 of this entry's fields, lowercase hex; see <see cref="ComputeHash"/>.</summary>
    public string Hash { get; set; } = "";

    /// <summary>
    /// SHA-256 over every field but <see cref="Hash"/>, each length-prefixed so that no two
    /// different entries encode alike (moving a separator from Actor into Action changes the hash).
    /// </summary>
    public string ComputeHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];

        AppendBytes(hash, EncodingTag);
        BinaryPrimitives.WriteInt64BigEndian(number, Id);
        AppendBytes(hash, number);
        BinaryPrimitives.WriteInt64BigEndian(number, At.ToUniversalTime().Ticks);
        AppendBytes(hash, number);
        AppendBytes(hash, Encoding.UTF8.GetBytes(Actor));
        AppendBytes(hash, Encoding.UTF8.GetBytes(Action));
        AppendBytes(hash, Encoding.UTF8.GetBytes(Subject));
        AppendBytes(hash, Encoding.UTF8.GetBytes(Detail));
        AppendBytes(hash, Encoding.UTF8.GetBytes(PreviousHash));

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendBytes(IncrementalHash hash, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
