using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KpNode.Domain;

namespace KpNode.Wire;

/// <summary>A held certificate as the Local API shows it: its content read from the signed envelope that carried it.</summary>
internal static class CertificateRecordMapping
{
    /// <summary>The certificate inside the envelope its message carried: the signed bytes are the only source of its content.</summary>
    public static V1.Certificate ReadCertificate(PartnerMessage issued) =>
        V1.CertificateIssued.Parser.ParseFrom(V1.Envelope.Parser.ParseFrom(issued.Envelope).Payload).Certificate;

    /// <summary>
    /// The record of <paramref name="held"/> with <paramref name="certificate"/>, the content read from the message that
    /// carried it (found with <paramref name="findMessage"/>, and verified by the caller); <paramref name="withEvidence"/>
    /// adds the signed envelopes, each from its message.
    /// </summary>
    public static V1.CertificateRecord ToRecord(HeldCertificate held, V1.Certificate certificate, Func<string, PartnerMessage?> findMessage, bool withEvidence)
    {
        var issued = findMessage(held.MessageId)
            ?? throw new InvalidOperationException($"The store holds certificate {held.Number} without its message {held.MessageId}.");
        var record = new V1.CertificateRecord
        {
            Certificate = certificate,
            Status = StatusMapping.ToWire(held.Status),
            Direction = StatusMapping.ToWire(held.Direction),
            Partner = held.Partner,
            StatusReason = held.StatusReason ?? "",
            ReplacedBy = held.ReplacedBy ?? "",
        };
        if (withEvidence)
        {
            record.CertificateEnvelope = ByteString.CopyFrom(issued.Envelope);
            if (issued.ReceiptEnvelope is { } receipt)
            {
                record.ReceiptEnvelope = ByteString.CopyFrom(receipt);
            }

            if (held.ConfirmationMessageId is { } confirmation && findMessage(confirmation) is { } confirmationMessage)
            {
                record.ConfirmationEnvelope = ByteString.CopyFrom(confirmationMessage.Envelope);
            }

            if (held.VoidMessageId is { } voided && findMessage(voided) is { } voidMessage)
            {
                record.VoidEnvelope = ByteString.CopyFrom(voidMessage.Envelope);
            }
        }

        foreach (var e in held.History)
        {
            record.History.Add(new V1.CertificateEvent
            {
                At = Timestamp.FromDateTime(DateTime.SpecifyKind(e.At, DateTimeKind.Utc)),
                Status = StatusMapping.ToWire(e.Status),
                Text = e.Text,
            });
        }

        if (issued.Direction == MessageDirection.Outbound)
        {
            record.DeliveryState = issued.Status.ToString();
            record.Attempts = issued.Attempts;
            record.LastError = issued.LastError ?? "";
            if (issued.Status == MessageStatus.Pending)
            {
                record.NextAttemptAt = Timestamp.FromDateTime(DateTime.SpecifyKind(issued.NextAttemptAt, DateTimeKind.Utc));
            }
        }

        return record;
    }
}
