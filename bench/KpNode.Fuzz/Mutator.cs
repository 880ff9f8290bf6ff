namespace KpNode.Fuzz;

/// <summary>
/// Blind mutations of the seeds for the mode without instrumentation: byte and bit changes, protobuf-minded values
/// (varint edges, lengths), inserts, deletions, duplicated ranges, truncation and splices of two seeds. The mode
/// byte is mutated too, so an input of one kind is also tried as another.
/// </summary>
internal sealed class Mutator(Random random, IReadOnlyList<byte[]> seeds)
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x02, 0x07, 0x08, 0x0A, 0x0F, 0x10, 0x12, 0x1A, 0x22, 0x7F, 0x80, 0xFF, 0xFE, 0xC0, 0xE0, 0xF0];

    public byte[] Next()
    {
        var bytes = new List<byte>(seeds[random.Next(seeds.Count)]);
        var count = 1 + (int)Math.Min(7, -Math.Log2(random.NextDouble() + 1e-9));
        for (var i = 0; i < count; i++)
            Mutate(bytes);
        return [.. bytes];
    }

    private void Mutate(List<byte> bytes)
    {
        if (bytes.Count == 0)
        {
            bytes.Add((byte)random.Next(256));
            return;
        }
        var at = random.Next(bytes.Count);
        switch (random.Next(10))
        {
            case 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                bytes[at] = (byte)random.Next(256);
                break;
            case 2:
                bytes[at] = Interesting[random.Next(Interesting.Length)];
                break;
            case 3:
                bytes.InsertRange(at, Enumerable.Range(0, 1 + random.Next(8)).Select(_ => Interesting[random.Next(Interesting.Length)]));
                break;
            case 4:
                bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(16)));
                break;
            case 5:
                var length = Math.Min(bytes.Count - at, 1 + random.Next(64));
                bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                break;
            case 6:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 7:
                var other = seeds[random.Next(seeds.Count)];
                var from = random.Next(other.Length);
                bytes.RemoveRange(at, bytes.Count - at);
                bytes.AddRange(other.AsSpan(from).ToArray());
                break;
            case 8:
                // A varint that claims far more than follows, or the most a 32-bit length can say.
                bytes.InsertRange(at, random.Next(2) == 0 ? [0xFF, 0xFF, 0xFF, 0xFF, 0x0F] : [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
                break;
            default:
                bytes[0] = (byte)random.Next(4);
                break;
        }
    }
}
