using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using KpNode.Domain;
using Envelope = KpNode.Wire.V1.Envelope;

namespace KpNode.Storage;

/// <summary>
/// Stores signed envelopes without repeating their signers' certificates. Every envelope carries its signer's
/// certificate (x5c, about 550 bytes), and a node sees the same few signers in every message: half of an
/// envelope and its receipt is the same two certificates again. The store keeps each certificate once, in the
/// signers collection under its SHA-256, and an envelope as its bytes with the certificates cut out plus where
/// they go. Unpacking puts them back, so a read returns the envelope byte for byte as it was sent or received:
/// <see cref="Pack"/> checks that before it stores anything packed, and stores the envelope whole otherwise.
/// </summary>
/// <remarks>
/// Stored form: byte 0 is <see cref="Whole"/> (the envelope follows as it is) or <see cref="Packed"/>, then a
/// count, then for each certificate the offset (in the envelope) where its DER starts and its SHA-256 (32 bytes),
/// then the envelope's remaining bytes; counts and offsets are 7-bit encoded integers. Any other first byte is an
/// envelope stored whole by an earlier version (a protobuf message never starts with byte 0 or 1).
/// </remarks>
internal sealed class EnvelopePacking
{
    public const byte Whole = 0;
    public const byte Packed = 1;
    private const int HashLength = 32;

    // Certificates known to be committed in the signers collection, by SHA-256 (hex). Entries are never removed:
    // a certificate stays as long as any envelope that refers to it.
    private readonly ConcurrentDictionary<string, byte[]> _committed = new(StringComparer.Ordinal);

    /// <summary>Learns certificates that are committed in the signers collection.</summary>
    public void Committed(IEnumerable<SignerDocument> signers)
    {
        foreach (var signer in signers)
            _committed[signer.Id] = signer.Der;
    }

    /// <summary>
    /// The stored form of <paramref name="envelope"/>. <paramref name="store"/> is called for each certificate
    /// the packed form refers to that is not known committed, and must store it in the same transaction.
    /// </summary>
    public byte[] Pack(byte[] envelope, Action<SignerDocument> store)
    {
        var cut = Certificates(envelope);
        if (cut.Count == 0)
            return Prefixed(Whole, envelope);

        using var packed = new MemoryStream(envelope.Length);
        using (var output = new BinaryWriter(packed, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            output.Write(Packed);
            output.Write7BitEncodedInt(cut.Count);
            foreach (var (offset, der) in cut)
            {
                output.Write7BitEncodedInt(offset);
                output.Write(SHA256.HashData(der));
            }

            var at = 0;
            foreach (var (offset, der) in cut)
            {
                output.Write(envelope, at, offset - at);
                at = offset + der.Length;
            }

            output.Write(envelope, at, envelope.Length - at);
        }

        var result = packed.ToArray();

        // Only a form that gives back the very same bytes may replace the envelope.
        // By content: the same certificate may appear more than once in an envelope (two signatures by one signer).
        var signers = cut.Select(c => c.Der).DistinctBy(Id).ToDictionary(Id, der => der);
        if (!Unpack(result, id => signers.GetValueOrDefault(id)).AsSpan().SequenceEqual(envelope))
            return Prefixed(Whole, envelope);

        foreach (var (id, der) in signers)
        {
            if (!_committed.ContainsKey(id))
                store(new SignerDocument { Id = id, Der = der });
        }

        return result;
    }

    /// <summary>
    /// The envelope bytes of a stored form. <paramref name="find"/> reads a certificate this instance does not
    /// know committed from the signers collection (inside a write, that includes the write's own).
    /// </summary>
    public byte[] Unpack(byte[] stored, Func<string, byte[]?> find)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Length == 0)
            return stored;
        if (stored[0] == Whole)
            return stored[1..];
        if (stored[0] != Packed)
            return stored; // stored whole by a version before packing: an envelope never starts with byte 0 or 1

        using var input = new BinaryReader(new MemoryStream(stored, 1, stored.Length - 1, writable: false));
        var count = input.Read7BitEncodedInt();
        var parts = new List<(int Offset, byte[] Der)>(count);
        for (var i = 0; i < count; i++)
        {
            var offset = input.Read7BitEncodedInt();
            var id = DerFingerprint.OfDigest(input.ReadBytes(HashLength));
            var der = _committed.GetValueOrDefault(id) ?? find(id)
                ?? throw new InvalidDataException($"A stored envelope refers to signer certificate {id}, which the store does not hold.");
            parts.Add((offset, der));
        }

        var rest = stored.AsSpan(1 + (int)input.BaseStream.Position);
        var envelope = new byte[rest.Length + parts.Sum(p => p.Der.Length)];
        int from = 0, to = 0;
        foreach (var (offset, der) in parts)
        {
            var literal = offset - to;
            rest.Slice(from, literal).CopyTo(envelope.AsSpan(to));
            from += literal;
            to += literal;
            der.CopyTo(envelope.AsSpan(to));
            to += der.Length;
        }

        rest[from..].CopyTo(envelope.AsSpan(to));
        return envelope;
    }

    public static string Id(byte[] der) => DerFingerprint.Of(der);

    // Where each signer certificate lies in the envelope bytes, in order; none when the bytes are no envelope.
    private static List<(int Offset, byte[] Der)> Certificates(byte[] envelope)
    {
        var found = new List<(int, byte[])>();
        Envelope parsed;
        try
        {
            parsed = Envelope.Parser.ParseFrom(envelope);
        }
        catch (InvalidProtocolBufferException)
        {
            return found;
        }

        var from = 0;
        foreach (var der in parsed.Signatures.SelectMany(s => s.X5C).Select(c => c.ToByteArray()))
        {
            var at = der.Length == 0 ? -1 : envelope.AsSpan(from).IndexOf(der);
            if (at < 0)
                return [];
            found.Add((from + at, der));
            from += at + der.Length;
        }

        return found;
    }

    private static byte[] Prefixed(byte format, byte[] bytes)
    {
        var result = new byte[bytes.Length + 1];
        result[0] = format;
        bytes.CopyTo(result, 1);
        return result;
    }
}

/// <summary>A certificate that signed envelopes this node stores, kept once (see <see cref="EnvelopePacking"/>).</summary>
internal sealed class SignerDocument
{
    /// <summary>SHA-256 of <see cref="Der"/>, lowercase hex.</summary>
    public string Id { get; set; } = "";
    public byte[] Der { get; set; } = [];
}
