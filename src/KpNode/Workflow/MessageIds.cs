namespace KpNode.Workflow;

/// <summary>
/// The one place message ids come from: UUIDv7, strictly increasing within the process, so ids sort by creation.
/// </summary>
/// <remarks>
/// Guid.CreateVersion7 fills everything after the millisecond with random bits, so two ids made in the same
/// millisecond sort at random. Ids are made inside the store's serialized writes, and an outbox lane reads its
/// backlog onwards from the last id it has seen: an id sorting before that one would be missed until the lane's
/// next pass (seconds under load). So within a millisecond (or if the clock steps back) the next id is the last
/// one plus one in its random bits, as RFC 9562 (6.2) allows for monotonic UUIDv7.
/// </remarks>
internal sealed class MessageIds(TimeProvider time)
{
    private readonly Lock _gate = new();
    private UInt128 _last;

    public string Next()
    {
        var candidate = ToNumber(Guid.CreateVersion7(time.GetUtcNow()));
        lock (_gate)
        {
            if (candidate <= _last)
            {
                candidate = Increment(_last);
            }

            _last = candidate;
        }

        return ToGuid(candidate).ToString("D");
    }

    /// <summary>A message id as a partner may send it: a UUID in canonical form.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: 36 } && Guid.TryParseExact(id, "D", out var g) && g.ToString("D") == id;

    // The 62 random bits after the variant are the low bits of the number; the version and variant bits stay put.
    private const int RandomBits = 62;
    private static readonly UInt128 RandomMask = (UInt128.One << RandomBits) - 1;

    private static UInt128 Increment(UInt128 last)
    {
        if ((last & RandomMask) == RandomMask)
        {
            // 2^62 ids in one millisecond: cannot happen, and carrying into the variant bits would break the UUID.
            throw new InvalidOperationException("The message id counter ran out within one millisecond.");
        }

        return last + 1;
    }

    private static UInt128 ToNumber(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static Guid ToGuid(UInt128 number)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, number);
        return new Guid(bytes, bigEndian: true);
    }
}
