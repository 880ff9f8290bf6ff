using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KpNode.Domain;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Trust;

/// <summary>
/// Whether a message we hold was signed by a key its root revoked at the time it was signed (the receipt's time of
/// receipt, or without a receipt the message's own time). Such a message stays stored as it is: it is not damage,
/// only no longer proof.
/// </summary>
internal static class RevokedSignature
{
    public static Revocation? Of(RevokedKeys keys, PartnerMessage message, string us)
    {
        var signer = message.Direction == MessageDirection.Outbound ? us : message.Partner;
        // A notice's authority is the root's signature on its CRL, whoever signed the envelope.
        if (message.PayloadType == PayloadTypes.RevocationNotice || keys.ListOf(signer) is not { Entries.Count: > 0 })
            return null;
        try
        {
            var envelope = Envelope.Parser.ParseFrom(message.Envelope);
            if (envelope.Signatures.Count == 0 || envelope.Signatures[0].X5C.Count == 0)
                return null;
            using var certificate = X509CertificateLoader.LoadCertificate(envelope.Signatures[0].X5C[0].Span);
            return keys.At(signer, certificate, SignedAt(message));
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or CryptographicException)
        {
            return null; // not readable evidence: the store check names it
        }
    }

    private static DateTimeOffset SignedAt(PartnerMessage message)
    {
        if (message.ReceiptEnvelope is { } bytes)
        {
            var receipt = Envelope.Parser.ParseFrom(bytes);
            if (receipt.PayloadType == PayloadTypes.Receipt && Receipt.Parser.ParseFrom(receipt.Payload).ReceivedAt is { } at)
                return at.ToDateTimeOffset();
        }

        return new DateTimeOffset(DateTime.SpecifyKind(message.CreatedAt, DateTimeKind.Utc));
    }
}
