using System.Security.Cryptography;
using Google.Protobuf;
using KpNode.Domain;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

internal sealed partial class CertificateWorkflow
{
    /// <summary>The most of a partner's receipt reason we record: more than any rule's explanation needs.</summary>
    public const int MaxReceiptReasonLength = 1000;

    /// <summary>
    /// Checks a partner's receipt for one of our messages (signature, signer, digest) and records it: the message is
    /// done, and the certificate moves on (Delivered or Rejected for a new certificate; a note for a void or confirmation).
    /// Throws <see cref="InvalidReceiptException"/> when the receipt is not proof. <paramref name="message"/> is the
    /// outbox row as the caller read it (its id and payload digest never change); the write reads it again.
    /// Returns whether the partner accepted the message.
    /// </summary>
    public async Task<bool> RecordReceiptAsync(PartnerMessage message, Partner partner, Envelope receiptEnvelope, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var messageId = message.Id;
        var receipt = VerifyReceipt(message, partner, receiptEnvelope, now);
        await store.WriteDurableAsync(w =>
        {
            var current = w.FindMessage(messageId)!;
            if (current.Status != MessageStatus.Pending)
            {
                return 0; // a concurrent attempt already recorded the receipt
            }

            var accepted = receipt.Outcome == ReceiptOutcome.Accepted;
            var utcNow = now.UtcDateTime;
            current.Status = accepted ? MessageStatus.Delivered : MessageStatus.Rejected;
            current.ReceiptEnvelope = receiptEnvelope.ToByteArray();
            current.CompletedAt = utcNow;
            current.LastAttemptAt = utcNow;
            current.LastError = accepted ? null : $"{receipt.Reason}: {receipt.ReasonText}";
            w.UpdateMessage(current);
            if (w.FindCertificate(current.CertificateNumber) is { } cert)
            {
                ApplyReceipt(cert, current, receipt, partner.Code, utcNow);
                w.UpdateCertificate(cert);
            }

            w.Audit(partner.Code, accepted ? "receipt.accepted" : "receipt.rejected", current.CertificateNumber,
                $"message {messageId} ({KindOf(current.PayloadType).Word})" + (accepted ? "" : $"; {receipt.Reason}: {receipt.ReasonText}"));
            return 0;
        }, ct);
        return receipt.Outcome == ReceiptOutcome.Accepted;
    }

    private static void ApplyReceipt(HeldCertificate cert, PartnerMessage message, Receipt receipt, string partner, DateTime now)
    {
        var accepted = receipt.Outcome == ReceiptOutcome.Accepted;
        if (message.PayloadType != PayloadTypes.CertificateIssued)
        {
            cert.AcknowledgeFollowUp(KindOf(message.PayloadType).Noun, partner, accepted, receipt.ReasonText, now);
        }
        else if (accepted)
        {
            cert.Deliver(partner, now);
        }
        else
        {
            cert.Reject(partner, receipt.Reason.ToString(), receipt.ReasonText, now);
        }
    }

    private Receipt VerifyReceipt(PartnerMessage message, Partner partner, Envelope receiptEnvelope, DateTimeOffset now)
    {
        VerifiedEnvelope verified;
        try
        {
            verified = verifier.Verify(receiptEnvelope, partner.Anchors, now);
        }
        catch (EnvelopeVerificationException e)
        {
            throw new InvalidReceiptException($"the receipt's signature does not verify: {e.Message}");
        }

        if (verified.SignerParticipant != partner.Code || verified.PayloadType != PayloadTypes.Receipt)
        {
            throw new InvalidReceiptException($"the receipt is a {verified.PayloadType} signed by {verified.SignerParticipant}, expected a receipt signed by {partner.Code}");
        }

        if (PartnerRevocation(partner, verified.SignerCertificate, now) is { } revocation)
        {
            throw new InvalidReceiptException($"the receipt is signed by a revoked key: {revocation.Describe()}");
        }

        Receipt receipt;
        try
        {
            receipt = Receipt.Parser.ParseFrom(verified.Payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidReceiptException($"the receipt payload is not a kp.v1.Receipt ({e.Message})");
        }

        if (receipt.MessageId != message.Id || receipt.Sender != Us || receipt.Receiver != partner.Code)
        {
            throw new InvalidReceiptException($"the receipt acknowledges message {receipt.MessageId} from {receipt.Sender} to {receipt.Receiver}, not {message.Id} from {Us} to {partner.Code}");
        }

        if (!CryptographicOperations.FixedTimeEquals(receipt.PayloadSha256.Span, message.PayloadSha256))
        {
            throw new InvalidReceiptException("the receipt's SHA-256 differs from the payload we sent");
        }

        if (receipt.Outcome is not (ReceiptOutcome.Accepted or ReceiptOutcome.Rejected))
        {
            throw new InvalidReceiptException($"the receipt has no outcome ({receipt.Outcome})");
        }

        // Kept, not refused: a refused receipt would be asked for again for ever. The signed envelope stays the
        // evidence as sent; the reason we copy into history, audit, status and logs is escaped and bounded.
        receipt.ReasonText = Printable.Of(receipt.ReasonText, MaxReceiptReasonLength);
        return receipt;
    }
}
