using Google.Protobuf;
using KpNode.Domain;
using KpNode.Storage;
using CertificateEvent = KpNode.Wire.V1.CertificateEvent;
using CertificateIssued = KpNode.Wire.V1.CertificateIssued;
using CertificateRecord = KpNode.Wire.V1.CertificateRecord;
using Envelope = KpNode.Wire.V1.Envelope;

namespace KpNode.Workflow;

/// <summary>Maps between validated certificates, stored documents and the Local API's records.</summary>
internal static class CertificateDocuments
{
    public static CertificateDocument Create(
        Domain.Certificate c, CertificateDirection direction, string partner, string messageId,
        Domain.CertificateStatus status, DateTime now, string historyText) => new()
        {
            Id = c.Number,
            Direction = direction,
            Partner = partner,
            ExportingParticipant = c.ExportingParticipant,
            ImportingParticipant = c.ImportingParticipant,
            Status = status,
            DateOfIssue = c.DateOfIssue.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            DateOfExpiry = c.DateOfExpiry.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            Parcels = c.Parcels,
            CaratsHundredths = c.Carats.Hundredths,
            ValueUsdCents = c.Value.Cents,
            HsLines = c.HsLines.Select(l => new HsLineDocument
            {
                HsCode = l.HsCode,
                CaratsHundredths = l.Carats.Hundredths,
                ValueUsdCents = l.Value.Cents,
            }).ToList(),
            OriginCountries = c.OriginCountries.ToList(),
            MessageId = messageId,
            Replaces = string.IsNullOrEmpty(c.Replaces) ? null : c.Replaces,
            History = [new CertificateEventDocument { At = now, Status = status, Text = historyText }],
            CreatedAt = now,
            UpdatedAt = now,
        };

    /// <summary>Moves a document to a new status and records why in its history.</summary>
    public static void Transition(CertificateDocument doc, Domain.CertificateStatus status, DateTime now, string text)
    {
        doc.Status = status;
        doc.UpdatedAt = now;
        doc.History.Add(new CertificateEventDocument { At = now, Status = status, Text = text });
    }

    /// <summary>Records an event in the history without changing the status.</summary>
    public static void Note(CertificateDocument doc, DateTime now, string text)
    {
        doc.UpdatedAt = now;
        doc.History.Add(new CertificateEventDocument { At = now, Status = doc.Status, Text = text });
    }

    /// <summary>The certificate inside the envelope its message carried: the signed bytes are the only source of its content.</summary>
    public static Wire.V1.Certificate ReadCertificate(MessageDocument issued) =>
        CertificateIssued.Parser.ParseFrom(Envelope.Parser.ParseFrom(issued.Envelope).Payload).Certificate;

    /// <summary>
    /// The Local API's view of a stored certificate, its content read from the message that carried it (found with
    /// <paramref name="findMessage"/>); <paramref name="withEvidence"/> adds the signed envelopes, each from its message.
    /// </summary>
    public static CertificateRecord ToRecord(CertificateDocument doc, Func<string, MessageDocument?> findMessage, bool withEvidence)
    {
        var issued = findMessage(doc.MessageId)
            ?? throw new InvalidOperationException($"The store holds certificate {doc.Id} without its message {doc.MessageId}.");
        var record = new CertificateRecord
        {
            Certificate = ReadCertificate(issued),
            Status = (Wire.V1.CertificateStatus)(int)doc.Status,
            Direction = (Wire.V1.CertificateDirection)(int)doc.Direction,
            Partner = doc.Partner,
            StatusReason = doc.StatusReason ?? "",
            ReplacedBy = doc.ReplacedBy ?? "",
        };
        if (withEvidence)
        {
            record.CertificateEnvelope = ByteString.CopyFrom(issued.Envelope);
            if (issued.ReceiptEnvelope is { } receipt)
            {
                record.ReceiptEnvelope = ByteString.CopyFrom(receipt);
            }

            if (doc.ConfirmationMessageId is { } confirmation && findMessage(confirmation) is { } confirmationMessage)
            {
                record.ConfirmationEnvelope = ByteString.CopyFrom(confirmationMessage.Envelope);
            }

            if (doc.VoidMessageId is { } voided && findMessage(voided) is { } voidMessage)
            {
                record.VoidEnvelope = ByteString.CopyFrom(voidMessage.Envelope);
            }
        }

        foreach (var e in doc.History)
        {
            record.History.Add(new CertificateEvent
            {
                At = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.SpecifyKind(e.At, DateTimeKind.Utc)),
                Status = (Wire.V1.CertificateStatus)(int)e.Status,
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
                record.NextAttemptAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(
                    DateTime.SpecifyKind(issued.NextAttemptAt, DateTimeKind.Utc));
            }
        }

        return record;
    }
}
