using KpNode.Domain;
using KpNode.Storage;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

internal sealed partial class CertificateWorkflow
{
    private const int MaxVoidReasonLength = 1000;

    /// <summary>
    /// Issues a certificate from a draft: all rules checked at once, then numbered, signed, stored with its outbox
    /// message. Returns both as stored, so the caller can show the signed envelope without reading it back.
    /// </summary>
    public async Task<(CertificateDocument Certificate, MessageDocument Message)> IssueAsync(Wire.V1.Certificate draftProto, string actor, CancellationToken ct)
    {
        var draft = WithDefaults(draftProto);
        var result = CertificateRules.Validate(CertificateMapping.ToDraft(draft), new CertificateRulesContext(
            Today: Today,
            AllowedNumberPrefixes: config.Options.IssuingPrefixes,
            MaxValidityDays: config.Options.MaxValidityDays,
            FutureIssueToleranceDays: 0,
            NumberRequired: false));
        var violations = result.Violations.ToList();
        if (draft.ExportingParticipant != Us)
        {
            violations.Add(new Violation("exporting_participant",
                $"this node issues certificates for {Us} only, not for {draft.ExportingParticipant}"));
        }

        var partner = partners.Find(draft.ImportingParticipant);
        if (partner is null && draft.ImportingParticipant.Length > 0 && draft.ImportingParticipant != Us)
        {
            violations.Add(new Violation("importing_participant",
                $"{draft.ImportingParticipant} is not a configured trading partner of this node (add it under Node:Partners with its root certificate)"));
        }

        if (violations.Count > 0 || result.Certificate is null || partner is null)
        {
            throw WorkflowException.Invalid(violations.Count > 0 ? violations
                : [new Violation("importing_participant", "name the importing participant")]);
        }

        var validated = result.Certificate;
        if (_policy.RefusalToIssue(validated, partner.Policy) is { } refusal)
        {
            throw new WorkflowException(FailureKind.FailedPrecondition, refusal);
        }

        var issued = await store.WriteDurableAsync(w =>
        {
            var now = time.GetUtcNow();
            var number = validated.Number;
            if (string.IsNullOrEmpty(number))
            {
                // A national system may choose some numbers itself; the sequence steps over those rather than
                // refuse a certificate that asked for any number.
                var prefix = config.Options.IssuingPrefixes[0];
                var year = validated.DateOfIssue.Year;
                do
                {
                    number = CertificateNumber.Format(prefix, year, w.NextSequence($"{prefix}-{year}"));
                }
                while (w.FindCertificate(number) is not null);
            }
            else if (w.FindCertificate(number) is not null)
            {
                throw new WorkflowException(FailureKind.Conflict,
                    $"number: certificate {number} already exists; a number is never reused (leave number empty to have one assigned)");
            }

            var replaced = Replaced(w, validated, partner.Code);
            var certificate = validated with { Number = number };
            var messageId = ids.Next();
            var utcNow = now.UtcDateTime;
            var message = QueueOutbound(w, partner.Code, PayloadTypes.CertificateIssued, messageId, new CertificateIssued
            {
                Header = Header(messageId, partner.Code, now),
                Certificate = CertificateMapping.ToProto(certificate),
            }, number, utcNow, EndOfDay(certificate.DateOfExpiry));
            var certDoc = CertificateDocuments.Create(certificate, Domain.CertificateDirection.Outbound, partner.Code, messageId,
                Domain.CertificateStatus.Issued, utcNow,
                $"Issued by {actor}; delivery to {partner.Code} queued" + (replaced is null ? "" : $"; replaces {replaced.Id}"));
            w.InsertCertificate(certDoc);
            if (replaced is not null)
            {
                replaced.ReplacedBy = number;
                CertificateDocuments.Note(replaced, utcNow, $"Replaced by {number}");
                w.UpdateCertificate(replaced);
            }

            w.Audit(actor, "certificate.issued", number, $"to {partner.Code}; message {messageId}; {certificate.Carats}; {certificate.Value}");
            return (certDoc, message);
        }, ct);
        delivery.MessageQueued(partner.Code);
        return issued;
    }

    private Wire.V1.Certificate WithDefaults(Wire.V1.Certificate draftProto)
    {
        var draft = draftProto.Clone();
        if (draft.ExportingParticipant.Length == 0)
        {
            draft.ExportingParticipant = Us;
        }

        if (draft.ExportingAuthority.Length == 0)
        {
            draft.ExportingAuthority = config.Options.ExportingAuthority;
        }

        if (draft.DateOfIssue.Length == 0)
        {
            draft.DateOfIssue = Today.ToString("yyyy-MM-dd");
        }

        if (draft.DateOfExpiry.Length == 0 && ParseDate(draft.DateOfIssue) is { } issued)
        {
            draft.DateOfExpiry = issued.AddDays(config.Options.DefaultValidityDays).ToString("yyyy-MM-dd");
        }

        return draft;
    }

    /// <summary>The voided certificate a replacement names; it must be ours, to the same importer, voided, not yet replaced.</summary>
    private static CertificateDocument? Replaced(IStoreWriter w, Domain.Certificate certificate, string partner)
    {
        if (string.IsNullOrEmpty(certificate.Replaces))
        {
            return null;
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

        if (replaced.ReplacedBy is not null)
        {
            throw WorkflowException.Invalid([new Violation("replaces", $"{certificate.Replaces} was already replaced by {replaced.ReplacedBy}")]);
        }

        return replaced;
    }

    /// <summary>Invalidates a certificate we issued and tells the importer, unless it never received it.</summary>
    public async Task<CertificateDocument> VoidAsync(string number, string reason, string actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(number))
        {
            throw WorkflowException.Invalid("certificate_number", "required");
        }

        reason = reason.Trim();
        if (reason.Length == 0 || reason.Length > MaxVoidReasonLength)
        {
            throw WorkflowException.Invalid("reason", $"say why the certificate is voided (e.g. shipment not sent), at most {MaxVoidReasonLength} characters");
        }

        var (doc, partner) = await store.WriteDurableAsync(w =>
        {
            var cert = w.FindCertificate(number)
                ?? throw new WorkflowException(FailureKind.NotFound, $"certificate_number: no certificate {number} is held by this node");
            if (cert.Direction != Domain.CertificateDirection.Outbound)
            {
                throw new WorkflowException(FailureKind.FailedPrecondition,
                    $"certificate_number: {number} was issued by {cert.Partner}; only the exporting authority can void it");
            }

            if (IsConfirmed(cert.Status))
            {
                throw new WorkflowException(FailureKind.FailedPrecondition,
                    $"certificate_number: {number} is {cert.Status} by {cert.Partner}; a confirmed certificate cannot be voided");
            }

            if (cert.Status == Domain.CertificateStatus.Voided)
            {
                throw new WorkflowException(FailureKind.FailedPrecondition, $"certificate_number: {number} is already voided ({cert.StatusReason})");
            }

            var now = time.GetUtcNow();
            var utcNow = now.UtcDateTime;
            var issued = w.FindMessage(cert.MessageId);
            var importerMayHoldIt = issued is { Status: MessageStatus.Pending or MessageStatus.Delivered };
            var messageId = ids.Next();
            var voided = new CertificateVoided
            {
                Header = Header(messageId, cert.Partner, now),
                CertificateNumber = number,
                Reason = reason,
                DateVoided = DateOf(utcNow).ToString("yyyy-MM-dd"),
            };
            // Signed either way, as evidence of who voided it and when; sent only to an importer that may hold it.
            QueueOutbound(w, cert.Partner, PayloadTypes.CertificateVoided, messageId, voided, number, utcNow,
                utcNow + FollowUpDeliveryWindow, send: importerMayHoldIt);
            cert.VoidMessageId = messageId;

            cert.StatusReason = reason;
            CertificateDocuments.Transition(cert, Domain.CertificateStatus.Voided, utcNow,
                $"Voided by {actor}: {reason}" + (importerMayHoldIt ? $"; {cert.Partner} is being told" : $"; {cert.Partner} never held it, nothing to send"));
            w.UpdateCertificate(cert);
            w.Audit(actor, "certificate.voided", number, reason);
            return (Doc: cert, Partner: importerMayHoldIt ? cert.Partner : (string?)null);
        }, ct);
        if (partner is not null)
        {
            delivery.MessageQueued(partner);
        }

        return doc;
    }
}
