using KpNode.Domain;
using KpNode.Storage;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

internal sealed partial class CertificateWorkflow
{
    private const int MaxVoidReasonLength = 1000;
    // Earlier certificates read for one seal: a seal reused more often than this is noted by the first ones only.
    private const int MaxSealMatches = 20;

    /// <summary>The rule of a void's reason, the same for the exporter who writes it and the importer who receives it.</summary>
    private static Violation? VoidReasonProblem(string reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return new Violation("reason", "say why the certificate is voided (e.g. shipment not sent)");
        }

        var problems = new List<Violation>();
        FreeText.Check("reason", reason, "the reason", MaxVoidReasonLength, allowLineBreaks: true, problems);
        return problems.FirstOrDefault();
    }

    /// <summary>
    /// Issues a certificate from a draft: all rules checked at once, then numbered, signed, stored with its outbox
    /// message. Returns both as stored, so the caller can show the signed envelope without reading it back.
    /// <paramref name="alongside"/> writes in the same transaction, after the certificate (a four-eyes approval closing).
    /// </summary>
    public async Task<(HeldCertificate Certificate, PartnerMessage Message)> IssueAsync(CertificateDraft submitted, Actor actor, CancellationToken ct,
        Action<IStoreWriter, HeldCertificate>? alongside = null)
    {
        var draft = WithDefaults(submitted);
        var result = CertificateRules.Validate(draft,
            CertificateRulesContext.ForIssuing(Today, config.Options.IssuingPrefixes, config.Options.MaxValidityDays, config.Options.BackdatingDays) with { AdmittedParticipants = config.AdmittedParticipants });
        var violations = result.Violations.ToList();
        if (draft.ExportingAuthority != config.Options.ExportingAuthority)
        {
            violations.RemoveAll(v => v.Field == "exportingAuthority");
            violations.Add(new Violation("exportingAuthority",
                $"must be {config.Options.ExportingAuthority} (this node's competent authority) or left empty"));
        }

        if (draft.ExportingParticipant != Us)
        {
            violations.Add(new Violation("exportingParticipant",
                $"this node issues certificates for {Us} only, not for {draft.ExportingParticipant}"));
        }

        var importing = draft.ImportingParticipant ?? "";
        var partner = partners.Find(importing);
        if (partner is null && importing.Length > 0 && importing != Us)
        {
            violations.Add(new Violation("importingParticipant",
                $"{importing} is not a configured trading partner of this node (add it under Node:Partners with its root certificate)"));
        }

        if (violations.Count > 0 || result.Certificate is null || partner is null)
        {
            throw WorkflowException.Invalid(violations.Count > 0 ? violations
                : [new Violation("importingParticipant", "name the importing participant")]);
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

            var utcNow = now.UtcDateTime;
            var sealReusedFrom = SealReusedFrom(w, validated, number);
            var replaced = Replaced(w, validated, number, partner.Code, utcNow);
            var certificate = validated with { Number = number };
            var messageId = ids.Next();
            var message = QueueOutbound(w, partner.Code, PayloadTypes.CertificateIssued, messageId, new CertificateIssued
            {
                Header = Header(messageId, partner.Code, now),
                Certificate = CertificateMapping.ToProto(certificate),
            }, number, utcNow, EndOfDay(certificate.DateOfExpiry));
            var held = HeldCertificate.Issue(certificate, partner.Code, messageId, actor.DisplayName, utcNow);
            if (sealReusedFrom.Count > 0)
            {
                held.NoteSealReused(certificate.SealNumber!, sealReusedFrom, utcNow);
            }

            w.InsertCertificate(held);
            if (replaced is not null)
            {
                w.UpdateCertificate(replaced);
            }

            w.Audit(actor.AuditName, "certificate.issued", number, $"to {partner.Code}; message {messageId}; {certificate.Carats}; {certificate.Value}");
            alongside?.Invoke(w, held);
            return (held, message);
        }, ct);
        delivery.MessageQueued(partner.Code);
        if (validated.SealNumber is { } seal && issued.Item1.History.Count > 1)
        {
            Diagnostics.Log.SealNumberReused(logger, seal, issued.Item1.Number, issued.Item1.History[^1].Text);
        }

        return issued;
    }

    /// <summary>
    /// A seal closes one shipment: a seal on one of our certificates still valid (not expired, voided, rejected or given
    /// up) is refused; our earlier certificates that carried it and are no longer valid are returned, to be noted.
    /// Looked up inside the issuing transaction, so two concurrent issues cannot both take the seal.
    /// </summary>
    private List<HeldCertificate> SealReusedFrom(IStoreWriter w, Domain.Certificate certificate, string number)
    {
        if (certificate.SealNumber is not { } seal)
        {
            return [];
        }

        var earlier = w.SealedWith(seal, MaxSealMatches)
            .Where(c => c.Direction == Domain.CertificateDirection.Outbound && c.Number != number).ToList();
        if (earlier.FirstOrDefault(c => c.HoldsItsSeal(Today)) is { } inUse)
        {
            throw WorkflowException.Invalid([new Violation("sealNumber",
                $"seal {seal} is already on {inUse.Number} ({inUse.Status}, valid until {KpDate.Text(inUse.Summary.DateOfExpiry)}); a seal closes one shipment: give this one its own seal number, or void {inUse.Number} first")]);
        }

        return earlier;
    }

    private CertificateDraft WithDefaults(CertificateDraft draft)
    {
        if (string.IsNullOrEmpty(draft.ExportingParticipant))
        {
            draft = draft with { ExportingParticipant = Us };
        }

        if (string.IsNullOrEmpty(draft.ExportingAuthority))
        {
            draft = draft with { ExportingAuthority = config.Options.ExportingAuthority };
        }

        if (string.IsNullOrEmpty(draft.DateOfIssue))
        {
            draft = draft with { DateOfIssue = KpDate.Text(Today) };
        }

        if (string.IsNullOrEmpty(draft.DateOfExpiry) && KpDate.Parse(draft.DateOfIssue) is { } issued && KpDate.InRange(issued))
        {
            draft = draft with { DateOfExpiry = KpDate.Text(issued.AddDays(config.Options.DefaultValidityDays)) };
        }

        return draft;
    }

    /// <summary>The voided certificate a replacement names, linked to its replacement; it must be ours, to the same importer, voided, not yet replaced.</summary>
    private static HeldCertificate? Replaced(IStoreWriter w, Domain.Certificate certificate, string number, string partner, DateTime now)
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

        return replaced.Replace(number, partner, now) is { } refusal ? throw WorkflowException.Invalid([refusal]) : replaced;
    }

    /// <summary>Invalidates a certificate we issued and tells the importer, unless it never received it.</summary>
    public async Task<HeldCertificate> VoidAsync(string number, string reason, Actor actor, CancellationToken ct,
        Action<IStoreWriter, HeldCertificate>? alongside = null)
    {
        if (string.IsNullOrWhiteSpace(number))
        {
            throw WorkflowException.Invalid("certificateNumber", "required");
        }

        reason = reason.Trim();
        if (VoidReasonProblem(reason) is { } problem)
        {
            throw WorkflowException.Invalid([problem], "The void");
        }

        var (held, partner) = await store.WriteDurableAsync(w =>
        {
            var cert = w.FindCertificate(number)
                ?? throw new WorkflowException(FailureKind.NotFound, $"certificateNumber: no certificate {number} is held by this node");
            evidence.Certificate(cert, w.FindMessage);
            var now = time.GetUtcNow();
            var utcNow = now.UtcDateTime;
            var importerMayHoldIt = cert.Direction == Domain.CertificateDirection.Outbound
                && w.FindMessage(cert.MessageId) is { Status: MessageStatus.Pending or MessageStatus.Delivered };
            var messageId = ids.Next();
            if (cert.Void(actor.DisplayName, reason, messageId, importerMayHoldIt, utcNow) is { } refusal)
            {
                throw Refused(refusal);
            }

            // Signed either way, as evidence of who voided it and when; sent only to an importer that may hold it.
            QueueOutbound(w, cert.Partner, PayloadTypes.CertificateVoided, messageId, new CertificateVoided
            {
                Header = Header(messageId, cert.Partner, now),
                CertificateNumber = number,
                Reason = reason,
                DateVoided = KpDate.Text(utcNow),
            }, number, utcNow, utcNow + FollowUpDeliveryWindow, send: importerMayHoldIt);
            w.UpdateCertificate(cert);
            w.Audit(actor.AuditName, "certificate.voided", number, reason);
            alongside?.Invoke(w, cert);
            return (Held: cert, Partner: importerMayHoldIt ? cert.Partner : (string?)null);
        }, ct);
        if (partner is not null)
        {
            delivery.MessageQueued(partner);
        }

        return held;
    }
}
