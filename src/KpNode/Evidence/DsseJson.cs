using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;
using KpNode.Wire.V1;

namespace KpNode.Evidence;

/// <summary>
/// An envelope in the DSSE JSON envelope format: payloadType, payload and signatures (keyid, sig) as the DSSE
/// specification defines them, with the signer's chain in <c>x5c</c> (std base64 DER, signer first, root left out,
/// as in JWS), our documented extension field inside each signature object.
/// </summary>
internal static class DsseJson
{
    public static byte[] Write(Envelope envelope)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: the default writes '+' as \u002B, in payloadType and in the base64, which text tools then misread.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("payloadType", envelope.PayloadType);
            json.WriteString("payload", Convert.ToBase64String(envelope.Payload.Span));
            json.WriteStartArray("signatures");
            foreach (var signature in envelope.Signatures)
            {
                json.WriteStartObject();
                json.WriteString("keyid", signature.Keyid);
                json.WriteString("sig", Convert.ToBase64String(signature.Sig.Span));
                json.WriteStartArray("x5c");
                foreach (var certificate in signature.X5C)
                    json.WriteStringValue(Convert.ToBase64String(certificate.Span));
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>The envelope back from DSSE JSON; a <see cref="FormatException"/> names what is wrong.</summary>
    public static Envelope Read(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON ({e.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new FormatException("not a DSSE envelope object");
            var envelope = new Envelope
            {
                PayloadType = Text(root, "payloadType"),
                Payload = ByteString.CopyFrom(Base64(root, "payload")),
            };
            if (!root.TryGetProperty("signatures", out var signatures) || signatures.ValueKind != JsonValueKind.Array)
                throw new FormatException("'signatures' is missing or not an array");
            foreach (var item in signatures.EnumerateArray())
            {
                var signature = new Signature { Keyid = Text(item, "keyid"), Sig = ByteString.CopyFrom(Base64(item, "sig")) };
                if (item.TryGetProperty("x5c", out var x5c) && x5c.ValueKind == JsonValueKind.Array)
                {
                    foreach (var certificate in x5c.EnumerateArray())
                        signature.X5C.Add(ByteString.CopyFrom(Decode(certificate.GetString(), "x5c")));
                }

                envelope.Signatures.Add(signature);
            }

            return envelope;
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"'{name}' is missing or not a string");

    private static byte[] Base64(JsonElement element, string name) => Decode(Text(element, name), name);

    private static byte[] Decode(string? text, string name)
    {
        try
        {
            return Convert.FromBase64String(text ?? "");
        }
        catch (FormatException)
        {
            throw new FormatException($"'{name}' is not standard base64");
        }
    }
}
