using Google.Protobuf;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Evidence;

/// <summary>The readable JSON of a signed payload, the same bytes on export and when a verifier re-derives it.</summary>
internal static class PayloadJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    /// <summary>The decoded payload, or null for a payload type the bundle does not carry.</summary>
    public static IMessage? Decode(string payloadType, ReadOnlySpan<byte> payload) => payloadType switch
    {
        PayloadTypes.CertificateIssued => CertificateIssued.Parser.ParseFrom(payload),
        PayloadTypes.CertificateVoided => CertificateVoided.Parser.ParseFrom(payload),
        PayloadTypes.ImportConfirmation => ImportConfirmation.Parser.ParseFrom(payload),
        PayloadTypes.Receipt => Receipt.Parser.ParseFrom(payload),
        PayloadTypes.AuthenticityStatement => AuthenticityStatement.Parser.ParseFrom(payload),
        _ => null,
    };

    public static byte[] Write(IMessage message) => System.Text.Encoding.UTF8.GetBytes(Formatter.Format(message) + "\n");

    /// <summary>When the signer says it signed: the header's created_at, a receipt's received_at, a statement's answered_at.</summary>
    public static DateTimeOffset? SignedAt(IMessage message) => message switch
    {
        CertificateIssued m => m.Header?.CreatedAt?.ToDateTimeOffset(),
        CertificateVoided m => m.Header?.CreatedAt?.ToDateTimeOffset(),
        ImportConfirmation m => m.Header?.CreatedAt?.ToDateTimeOffset(),
        Receipt m => m.ReceivedAt?.ToDateTimeOffset(),
        AuthenticityStatement m => m.AnsweredAt?.ToDateTimeOffset(),
        _ => null,
    };

    public static string? Sender(IMessage message) => message switch
    {
        CertificateIssued m => m.Header?.Sender,
        CertificateVoided m => m.Header?.Sender,
        ImportConfirmation m => m.Header?.Sender,
        Receipt m => m.Receiver,
        AuthenticityStatement m => m.Issuer,
        _ => null,
    };
}
