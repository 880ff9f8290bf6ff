namespace KpNode.Evidence;

/// <summary>Base45 (RFC 9285): bytes in the 45 characters of the QR code's alphanumeric mode, so a token packs densely into a QR code.</summary>
internal static class Base45
{
    public const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var text = new System.Text.StringBuilder((data.Length + 1) / 2 * 3);
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            var n = data[i] * 256 + data[i + 1];
            text.Append(Alphabet[n % 45]).Append(Alphabet[n / 45 % 45]).Append(Alphabet[n / 2025]);
        }

        if (data.Length % 2 == 1)
        {
            var n = data[^1];
            text.Append(Alphabet[n % 45]).Append(Alphabet[n / 45]);
        }

        return text.ToString();
    }

    /// <summary>The bytes, or null when <paramref name="text"/> is not Base45 (a character outside the alphabet, a bad length, a group out of range).</summary>
    public static byte[]? Decode(string text)
    {
        if (text.Length % 3 == 1)
            return null;
        var bytes = new List<byte>(text.Length / 3 * 2 + 1);
        for (var i = 0; i < text.Length; i += 3)
        {
            var group = text.AsSpan(i, Math.Min(3, text.Length - i));
            var n = 0;
            for (var k = group.Length - 1; k >= 0; k--)
            {
                var digit = Alphabet.IndexOf(group[k], StringComparison.Ordinal);
                if (digit < 0)
                    return null;
                n = n * 45 + digit;
            }

            if (group.Length == 3)
            {
                if (n > 0xFFFF)
                    return null;
                bytes.Add((byte)(n >> 8));
                bytes.Add((byte)n);
            }
            else
            {
                if (n > 0xFF)
                    return null;
                bytes.Add((byte)n);
            }
        }

        return [.. bytes];
    }
}
