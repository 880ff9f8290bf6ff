using System.Globalization;
using System.Text;

namespace KpNode.Trust;

/// <summary>DSSE pre-authentication encoding: the exact bytes an envelope signature covers.</summary>
internal static class Pae
{
    private static readonly byte[] Prefix = "DSSEv1 "u8.ToArray();

    /// <summary>
    /// <c>"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body</c>, LEN being the ASCII decimal byte
    /// count. Binding the type into the signed bytes stops a signature being replayed under another type.
    /// </summary>
    public static byte[] Encode(string payloadType, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        var type = Encoding.UTF8.GetBytes(payloadType);
        var typeLength = Encoding.ASCII.GetBytes(type.Length.ToString(CultureInfo.InvariantCulture));
        var bodyLength = Encoding.ASCII.GetBytes(payload.Length.ToString(CultureInfo.InvariantCulture));

        var result = new byte[Prefix.Length + typeLength.Length + 1 + type.Length + 1 + bodyLength.Length + 1 + payload.Length];
        var span = result.AsSpan();
        Append(ref span, Prefix);
        Append(ref span, typeLength);
        Append(ref span, " "u8);
        Append(ref span, type);
        Append(ref span, " "u8);
        Append(ref span, bodyLength);
        Append(ref span, " "u8);
        Append(ref span, payload);
        return result;
    }

    private static void Append(ref Span<byte> destination, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination);
        destination = destination[bytes.Length..];
    }
}
