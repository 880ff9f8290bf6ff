using System.Security.Cryptography;
using Google.Protobuf;
using KpNode.Domain;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using CertificateDirection = KpNode.Domain.CertificateDirection;
using CertificateStatus = KpNode.Domain.CertificateStatus;

namespace KpNode.Workflow;

internal sealed partial class CertificateWorkflow
{
    /// <summary>
    /// As the exporter: takes back a certificate we issued and lost (an older backup restored) from the importer's copy:
    /// our own signed envelope, which must verify against our root, and the importer's signed receipt for it. It comes
    /// back Delivered or Rejected as that receipt says, and numbering moves past it. Other messages of ours are not
    /// taken back this way: a void or a confirmation changes state that only our own store can vouch for.
    /// </summary>
    public async Task RestoreOwnFromPartnerAsync(Partner partner, Envelope envelope, Envelope receiptEnvelope, CancellationToken ct)
    {
        VerifiedEnvelope verified;
        Receipt stated;
        try
        {
            stated = Receipt.Parser.ParseFrom(receiptEnvelope.Payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw WorkflowException.Invalid("receipt", $"not a kp.v1.Receipt: {e.Message}");
        }

        // Judged as at the time the importer's receipt states: our signing leaf may have been replaced since.
        var at = stated.ReceivedAt?.ToDateTimeOffset() ?? time.GetUtcNow();
        try
        {
            verified = verifier.Verify(envelope, credentials.Anchors, at);
        }
        catch (EnvelopeVerificationException e)
        {
            throw new WorkflowException(FailureKind.Unauthenticated, $"envelope: not ours as signed: {e.Message}");
        }

        if (verified.SignerParticipant != Us || verified.PayloadType != PayloadTypes.CertificateIssued)
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"envelope: {verified.PayloadType} signed by {verified.SignerParticipant}; only a certificate we issued is taken back from a partner's copy");
        var issued = CertificateIssued.Parser.ParseFrom(verified.Payload.Span);
        var header = issued.Header;
        if (header is null || !MessageIds.IsWellFormed(header.MessageId) || header.Sender != Us || header.Receiver != partner.Code)
            throw new WorkflowException(FailureKind.PermissionDenied, $"envelope: not a message from {Us} to {partner.Code}");
        if (issued.Certificate is null || CertificateMapping.ToSummary(issued.Certificate) is not { } summary || !CertificateNumber.IsWellFormed(summary.Number)
            || summary.ExportingParticipant != Us || summary.ImportingParticipant != partner.Code)
            throw new WorkflowException(FailureKind.PermissionDenied, $"envelope: not a certificate {Us} issued to {partner.Code}");

        var sentAt = header.CreatedAt?.ToDateTime() ?? at.UtcDateTime;
        var message = new PartnerMessage
        {
            Id = header.MessageId,
            Direction = MessageDirection.Outbound,
            Partner = partner.Code,
            PayloadType = PayloadTypes.CertificateIssued,
            CertificateNumber = summary.Number,
            Envelope = envelope.ToByteArray(),
            PayloadSha256 = SHA256.HashData(envelope.Payload.Span),
            CreatedAt = sentAt,
            NextAttemptAt = sentAt,
            DeliverBy = EndOfDay(summary.DateOfExpiry),
        };
        Receipt receipt;
        try
        {
            receipt = VerifyReceipt(message, partner, receiptEnvelope, at);
        }
        catch (InvalidReceiptException e)
        {
            throw new WorkflowException(FailureKind.Unauthenticated, $"receipt: {e.Message}");
        }

        var accepted = receipt.Outcome == ReceiptOutcome.Accepted;
        var receivedAt = receipt.ReceivedAt.ToDateTime();
        message.Status = accepted ? MessageStatus.Delivered : MessageStatus.Rejected;
        message.ReceiptEnvelope = receiptEnvelope.ToByteArray();
        message.CompletedAt = receivedAt;
        message.LastAttemptAt = receivedAt;
        message.LastError = accepted ? null : $"{receipt.Reason}: {receipt.ReasonText}";

        var now = time.GetUtcNow().UtcDateTime;
        var held = HeldCertificate.Rehydrate(summary, CertificateDirection.Outbound, partner.Code, message.Id, sentAt, CertificateStatus.Issued,
            statusReason: null, replacedBy: null, confirmationMessageId: null, voidMessageId: null, now,
            [new HistoryEntry(now, CertificateStatus.Issued, $"Restored by reconciliation from {partner.Code}'s copy: our signed certificate and {partner.Code}'s signed receipt")]);
        ApplyReceipt(held, message, receipt, partner.Code, receivedAt);

        await store.WriteDurableAsync(w =>
        {
            // Taken back meanwhile (a concurrent pass), or the number held by another certificate: both left as they are.
            if (w.FindMessage(message.Id) is not null)
                return 0;
            if (w.FindCertificate(summary.Number) is not null)
                throw new WorkflowException(FailureKind.Conflict, $"certificate: {summary.Number} is held here from another message than {message.Id}");
            w.InsertMessage(message);
            w.InsertCertificate(held);
            var dash = summary.Number.LastIndexOf('-');
            if (long.TryParse(summary.Number.AsSpan(dash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence))
                w.RaiseSequence(summary.Number[..dash], sequence);
            w.Audit("reconciliation", "certificate.restored", summary.Number,
                $"from {partner.Code}'s copy: message {message.Id}, {(accepted ? "delivered" : "rejected")} at {receivedAt:O}");
            return 0;
        }, ct);
    }
}
