using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KpNode.Domain;
using KpNode.Exchange;
using KpNode.Hosting;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

/// <summary>
/// The certificate workflow: validate, number, sign and store what we issue; verify, authorize and
/// store what partners deliver; record their receipts. Every state change is one durable transaction.
/// </summary>
public sealed class CertificateWorkflow(
    NodeConfig config,
    INodeStore store,
    EnvelopeSigner signer,
    EnvelopeVerifier verifier,
    Partners partners,
    MessageIds ids,
    IDeliverySignal delivery,
    TimeProvider time)
{
    private string Us => config.Participant;

    private DateOnly Today => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    /// <summary>Issues a certificate from a draft: all rules checked at once, then numbered, signed, stored with its outbox message.</summary>
    public async Task<CertificateDocument> IssueAsync(Wire.V1.Certificate draftProto, string actor, CancellationToken ct)
    {
        var draftMessage = draftProto.Clone();
        if (draftMessage.ExportingParticipant.Length == 0)
        {
            draftMessage.ExportingParticipant = Us;
        }

        if (draftMessage.ExportingAuthority.Length == 0)
        {
            draftMessage.ExportingAuthority = config.Options.ExportingAuthority;
        }

        if (draftMessage.DateOfIssue.Length == 0)
        {
            draftMessage.DateOfIssue = Today.ToString("yyyy-MM-dd");
        }

        if (draftMessage.DateOfExpiry.Length == 0 && DateOnly.TryParseExact(draftMessage.DateOfIssue, "yyyy-MM-dd", out var issued))
        {
            draftMessage.DateOfExpiry = issued.AddDays(config.Options.DefaultValidityDays).ToString("yyyy-MM-dd");
        }

        var result = CertificateRules.Validate(CertificateMapping.ToDraft(draftMessage), new CertificateRulesContext(
            Today: Today,
            AllowedNumberPrefixes: config.Options.IssuingPrefixes,
            MaxValidityDays: config.Options.MaxValidityDays,
            FutureIssueToleranceDays: 0,
            NumberRequired: false));
        var violations = result.Violations.ToList();
        if (draftMessage.ExportingParticipant != Us)
        {
            violations.Add(new Violation("exporting_participant",
                $"this node issues certificates for {Us} only, not for {draftMessage.ExportingParticipant}"));
        }

        var partner = partners.Find(draftMessage.ImportingParticipant);
        if (partner is null && draftMessage.ImportingParticipant.Length > 0 && draftMessage.ImportingParticipant != Us)
        {
            violations.Add(new Violation("importing_participant",
                $"{draftMessage.ImportingParticipant} is not a configured trading partner of this node (add it under Node:Partners with its root certificate)"));
        }

        if (violations.Count > 0 || result.Certificate is null || partner is null)
        {
            throw WorkflowException.Invalid(violations.Count > 0 ? violations
                : [new Violation("importing_participant", "name the importing participant")]);
        }

        var validated = result.Certificate;
        var doc = await store.WriteDurableAsync(w =>
        {
            var now = time.GetUtcNow();
            var number = validated.Number;
            if (string.IsNullOrEmpty(number))
            {
                var prefix = config.Options.IssuingPrefixes[0];
                var year = validated.DateOfIssue.Year;
                number = CertificateNumber.Format(prefix, year, w.NextSequence($"{prefix}-{year}"));
            }

            if (w.FindCertificate(number) is not null)
            {
                throw new WorkflowException(FailureKind.Conflict,
                    $"number: certificate {number} already exists; a number is never reused (leave number empty to have one assigned)");
            }

            CheckReplaces(w, validated, partner.Code);
            var certificate = validated with { Number = number };
            var messageId = ids.Next();
            var payload = new CertificateIssued
            {
                Header = Header(messageId, partner.Code, now),
                Certificate = CertificateMapping.ToProto(certificate),
            }.ToByteArray();
            var envelope = signer.Sign(PayloadTypes.CertificateIssued, payload).ToByteArray();
            var utcNow = now.UtcDateTime;
            var certDoc = CertificateDocuments.Create(certificate, Domain.CertificateDirection.Outbound, partner.Code, messageId,
                envelope, Domain.CertificateStatus.Issued, utcNow, $"Issued by {actor}; delivery to {partner.Code} queued");
            w.InsertCertificate(certDoc);
            w.InsertMessage(new MessageDocument
            {
                Id = messageId,
                Direction = MessageDirection.Outbound,
                Partner = partner.Code,
                PayloadType = PayloadTypes.CertificateIssued,
                CertificateNumber = number,
                Envelope = envelope,
                PayloadSha256 = SHA256.HashData(payload),
                Status = MessageStatus.Pending,
                NextAttemptAt = utcNow,
                DeliverBy = EndOfDay(certificate.DateOfExpiry),
                CreatedAt = utcNow,
            });
            w.Audit(actor, "certificate.issued", number, $"to {partner.Code}; message {messageId}; {certificate.Carats}; {certificate.Value}");
            return certDoc;
        }, ct);
        delivery.MessageQueued(partner.Code);
        return doc;
    }

    private static void CheckReplaces(IStoreWriter w, Domain.Certificate certificate, string partner)
    {
        if (string.IsNullOrEmpty(certificate.Replaces))
        {
            return;
        }

        var replaced = w.FindCertificate(certificate.Replaces);
        if (replaced is null || replaced.Direction != Domain.CertificateDirection.Outbound)
        {
            throw WorkflowException.Invalid([new Violation("replaces", $"{certificate.Replaces} is not a certificate this node issued")]);
        }

        if (replaced.Status != Domain.CertificateStatus.Voided || replaced.Partner != partner)
        {
            throw WorkflowException.Invalid([new Violation("replaces",
                $"{certificate.Replaces} can be replaced only once it is voided and only by a certificate to the same importer ({replaced.Partner}); it is {replaced.Status}")]);
        }
    }

    /// <summary>
    /// Takes a message a partner delivered: verify, authorize, validate, store durably, answer with our signed receipt.
    /// Security failures throw (no receipt, nothing stored); business refusals are signed rejections.
    /// </summary>
    public async Task<Envelope> AcceptDeliveryAsync(Partner partner, Envelope envelope, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        VerifiedEnvelope verified;
        try
        {
            verified = verifier.Verify(envelope, partner.Anchors, now);
        }
        catch (EnvelopeVerificationException e)
        {
            throw new WorkflowException(FailureKind.Unauthenticated, $"envelope: {e.Message}");
        }

        if (verified.SignerParticipant != partner.Code)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"envelope: signed by {verified.SignerParticipant} but delivered by {partner.Code}; a partner may deliver only messages it signed itself");
        }

        if (verified.PayloadType != PayloadTypes.CertificateIssued)
        {
            throw WorkflowException.Invalid("payload_type", $"'{verified.PayloadType}' is not a message this node accepts by Deliver");
        }

        CertificateIssued issued;
        try
        {
            issued = CertificateIssued.Parser.ParseFrom(verified.Payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw WorkflowException.Invalid("payload", $"is not a kp.v1.CertificateIssued message ({e.Message})");
        }

        var header = issued.Header ?? new MessageHeader();
        CheckHeader(header, partner);
        var digest = verified.PayloadSha256;
        if (Redelivery(header.MessageId, digest) is { } stored)
        {
            return stored;
        }

        var certificate = issued.Certificate ?? new Wire.V1.Certificate();
        if (certificate.ExportingParticipant != partner.Code)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"certificate.exporting_participant: the certificate names {Show(certificate.ExportingParticipant)} as exporter but was delivered and signed by {partner.Code}");
        }

        if (certificate.ImportingParticipant != Us)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"certificate.importing_participant: the certificate is for {Show(certificate.ImportingParticipant)}, not for {Us}");
        }

        var result = CertificateRules.Validate(CertificateMapping.ToDraft(certificate), new CertificateRulesContext(
            Today: Today,
            AllowedNumberPrefixes: partner.NumberPrefixes,
            MaxValidityDays: 3650,
            FutureIssueToleranceDays: 1,
            NumberRequired: true));

        try
        {
            return await store.WriteDurableAsync(w =>
            {
                var (outcome, reason, text) = Judge(w, result, certificate);
                var receipt = SignReceipt(header.MessageId, digest, partner.Code, now, outcome, reason, text);
                var utcNow = now.UtcDateTime;
                if (outcome == ReceiptOutcome.Accepted)
                {
                    w.InsertCertificate(CertificateDocuments.Create(result.Certificate!, Domain.CertificateDirection.Inbound, partner.Code,
                        header.MessageId, envelope.ToByteArray(), Domain.CertificateStatus.Received, utcNow,
                        $"Received from {partner.Code}; signature verified; receipt sent")
                    .WithReceipt(receipt));
                }

                w.InsertMessage(new MessageDocument
                {
                    Id = header.MessageId,
                    Direction = MessageDirection.Inbound,
                    Partner = partner.Code,
                    PayloadType = verified.PayloadType,
                    CertificateNumber = certificate.Number,
                    Envelope = envelope.ToByteArray(),
                    PayloadSha256 = digest,
                    Status = outcome == ReceiptOutcome.Accepted ? MessageStatus.Received : MessageStatus.Rejected,
                    NextAttemptAt = utcNow,
                    DeliverBy = utcNow,
                    CreatedAt = utcNow,
                    CompletedAt = utcNow,
                    ReceiptEnvelope = receipt,
                    LastError = outcome == ReceiptOutcome.Accepted ? null : text,
                });
                w.Audit(partner.Code, outcome == ReceiptOutcome.Accepted ? "certificate.received" : "certificate.refused",
                    certificate.Number, $"message {header.MessageId}" + (text.Length > 0 ? $"; {reason}: {text}" : ""));
                return Envelope.Parser.ParseFrom(receipt);
            }, ct);
        }
        catch (DuplicateKeyException)
        {
            // A concurrent delivery of the same message won the race: answer with what it stored.
            return Redelivery(header.MessageId, digest)
                ?? throw new WorkflowException(FailureKind.Conflict, $"certificate.number: {certificate.Number} is already held");
        }
    }

    private (ReceiptOutcome, ReceiptReason, string) Judge(IStoreWriter w, ValidationResult result, Wire.V1.Certificate certificate)
    {
        if (!result.IsValid)
        {
            return (ReceiptOutcome.Rejected, ReceiptReason.InvalidCertificate,
                string.Join("; ", result.Violations.Select(v => $"{v.Field}: {v.Rule}")));
        }

        if (result.Certificate!.DateOfExpiry < Today)
        {
            return (ReceiptOutcome.Rejected, ReceiptReason.Expired,
                $"date_of_expiry: the certificate expired on {result.Certificate.DateOfExpiry:yyyy-MM-dd}");
        }

        if (w.FindCertificate(certificate.Number) is not null)
        {
            return (ReceiptOutcome.Rejected, ReceiptReason.DuplicateNumber,
                $"number: a certificate {certificate.Number} is already held here from another message");
        }

        return (ReceiptOutcome.Accepted, ReceiptReason.Unspecified, "");
    }

    private void CheckHeader(MessageHeader header, Partner partner)
    {
        if (!MessageIds.IsWellFormed(header.MessageId))
        {
            throw WorkflowException.Invalid("header.message_id", $"'{header.MessageId}' is not a UUID in canonical form");
        }

        if (header.Sender != partner.Code)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"header.sender: the message says it is from {Show(header.Sender)} but was delivered by {partner.Code}");
        }

        if (header.Receiver != Us)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"header.receiver: the message is addressed to {Show(header.Receiver)}, this node is {Us}");
        }
    }

    /// <summary>The stored receipt for a message id already taken, or a refusal when its content differs.</summary>
    private Envelope? Redelivery(string messageId, byte[] digest)
    {
        var existing = store.FindMessage(messageId);
        if (existing is null)
        {
            return null;
        }

        if (existing.Direction != MessageDirection.Inbound || !CryptographicOperations.FixedTimeEquals(existing.PayloadSha256, digest))
        {
            throw new WorkflowException(FailureKind.Conflict,
                $"header.message_id: message {messageId} was already delivered with different content; a message id is never reused");
        }

        return Envelope.Parser.ParseFrom(existing.ReceiptEnvelope);
    }

    private byte[] SignReceipt(string messageId, byte[] digest, string sender, DateTimeOffset now,
        ReceiptOutcome outcome, ReceiptReason reason, string text)
    {
        var receipt = new Receipt
        {
            MessageId = messageId,
            PayloadSha256 = ByteString.CopyFrom(digest),
            Sender = sender,
            Receiver = Us,
            ReceivedAt = Timestamp.FromDateTimeOffset(now),
            Outcome = outcome,
            Reason = reason,
            ReasonText = text,
        };
        return signer.Sign(PayloadTypes.Receipt, receipt.ToByteArray()).ToByteArray();
    }

    /// <summary>
    /// Checks a partner's receipt for one of our messages (signature, signer, digest) and records it:
    /// the message is done and the certificate Delivered or Rejected. Throws when the receipt is not proof.
    /// </summary>
    public async Task<Receipt> RecordReceiptAsync(string messageId, Partner partner, Envelope receiptEnvelope, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var message = store.FindMessage(messageId) ?? throw new InvalidOperationException($"message {messageId} is not in the outbox");
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
            if (w.FindCertificate(current.CertificateNumber) is { } cert && cert.MessageId == messageId)
            {
                cert.ReceiptEnvelope = current.ReceiptEnvelope;
                if (cert.Status == Domain.CertificateStatus.Issued)
                {
                    if (accepted)
                    {
                        CertificateDocuments.Transition(cert, Domain.CertificateStatus.Delivered, utcNow,
                            $"Delivered: {partner.Code} signed a receipt");
                    }
                    else
                    {
                        cert.StatusReason = $"{receipt.Reason}: {receipt.ReasonText}";
                        CertificateDocuments.Transition(cert, Domain.CertificateStatus.Rejected, utcNow,
                            $"Rejected by {partner.Code}: {receipt.ReasonText}");
                    }
                }

                w.UpdateCertificate(cert);
            }

            w.Audit(partner.Code, accepted ? "receipt.accepted" : "receipt.rejected", current.CertificateNumber,
                $"message {messageId}" + (accepted ? "" : $"; {receipt.Reason}: {receipt.ReasonText}"));
            return 0;
        }, ct);
        return receipt;
    }

    private Receipt VerifyReceipt(MessageDocument message, Partner partner, Envelope receiptEnvelope, DateTimeOffset now)
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

        return receipt;
    }

    private MessageHeader Header(string messageId, string receiver, DateTimeOffset now) => new()
    {
        MessageId = messageId,
        Sender = Us,
        Receiver = receiver,
        CreatedAt = Timestamp.FromDateTimeOffset(now),
    };

    /// <summary>A certificate is valid through its date of expiry (UTC).</summary>
    public static DateTime EndOfDay(DateOnly date) => date.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc);

    private static string Show(string code) => code.Length == 0 ? "nobody" : code;
}

/// <summary>A partner's answer that is not valid proof of receipt; the delivery is retried.</summary>
public sealed class InvalidReceiptException(string message) : Exception(message);

/// <summary>Lets the workflow wake the outbox dispatcher instead of having it poll.</summary>
public interface IDeliverySignal
{
    /// <summary>A new message for this partner is durable in the outbox.</summary>
    void MessageQueued(string partner);

    /// <summary>The partner just contacted us: it is up, so try its backlog now.</summary>
    void PartnerSeen(string partner);
}

internal static class CertificateDocumentExtensions
{
    public static CertificateDocument WithReceipt(this CertificateDocument doc, byte[] receipt)
    {
        doc.ReceiptEnvelope = receipt;
        return doc;
    }
}
