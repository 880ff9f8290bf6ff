using KpNode.Configuration;
using KpNode.Domain;
using KpNode.Storage;
using KpNode.Trust;
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

    /// <summary>A draft that passed every rule of issuing: the certificate (not yet numbered), its importer, and the issuing office (null without offices).</summary>
    internal sealed record PreparedIssue(Domain.Certificate Certificate, Partner Partner, OfficeOptions? Office);

    /// <summary>
    /// Checks a draft exactly as issuing does, every rule at once, for <paramref name="actor"/> (an office's operator
    /// issues for that office only); throws <see cref="WorkflowException"/> with every violation. Nothing is written.
    /// </summary>
    public PreparedIssue PrepareIssue(CertificateDraft submitted, Actor actor)
    {
        var (office, officeProblem) = IssuingOffice(submitted.IssuingOffice, actor);
        var draft = WithDefaults(submitted, office);
        var authority = office?.ExportingAuthority ?? config.Options.ExportingAuthority;
        var prefixes = office is null ? config.Options.IssuingPrefixes : [office.NumberPrefix];
        var result = CertificateRules.Validate(draft,
            CertificateRulesContext.ForIssuing(Today, prefixes, config.Options.MaxValidityDays, config.Options.BackdatingDays) with { AdmittedParticipants = config.AdmittedParticipants });
        var violations = result.Violations.ToList();
        if (officeProblem is not null)
        {
            violations.RemoveAll(v => v.Field == "issuingOffice");
            violations.Add(officeProblem);
        }

        if (draft.ExportingAuthority != authority)
        {
            violations.RemoveAll(v => v.Field == "exportingAuthority");
            violations.Add(new Violation("exportingAuthority", office is null
                ? $"must be {authority} (this node's competent authority) or left empty"
                : $"must be {authority} (office {office.Code}'s competent authority) or left empty"));
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

        return new PreparedIssue(validated, partner, office);
    }

    /// <summary>
    /// The office a certificate is issued by: the one the draft names, or the operator's own; with offices configured
    /// one must be named, and an office's operator may name only their own.
    /// </summary>
    private (OfficeOptions? Office, Violation? Problem) IssuingOffice(string? named, Actor actor)
    {
        const string field = "issuingOffice";
        var offices = config.Options.Offices;
        named = string.IsNullOrWhiteSpace(named) ? null : named.Trim();
        if (offices.Count == 0)
        {
            return named is null ? (null, null)
                : (null, new Violation(field, $"this node issues as one authority ({config.Options.ExportingAuthority}) and has no offices (Node:Offices): leave it empty"));
        }

        var code = named ?? actor.Office;
        var listed = string.Join(", ", offices.Select(o => o.Code));
        if (code is null)
        {
            return (null, new Violation(field, $"name the issuing office: one of {listed}"));
        }

        if (actor.Office is { } own && code != own)
        {
            return (null, new Violation(field, $"you act for office {own} only, not {code}: leave it empty or name {own}"));
        }

        return offices.FirstOrDefault(o => o.Code == code) is { } office
            ? (office, null)
            : (null, new Violation(field, $"'{code}' is not one of this node's offices ({listed})"));
    }

    /// <summary>
    /// Issues a certificate from a draft: all rules checked at once, then numbered, signed, stored with its outbox
    /// message. Returns both as stored, so the caller can show the signed envelope without reading it back.
    /// <paramref name="alongside"/> writes in the same transaction, after the certificate (a four-eyes approval closing).
    /// </summary>
    public async Task<(HeldCertificate Certificate, PartnerMessage Message)> IssueAsync(CertificateDraft submitted, Actor actor, CancellationToken ct,
        Action<IStoreWriter, HeldCertificate>? alongside = null)
    {
        var (validated, partner, office) = PrepareIssue(submitted, actor);
        var issued = await store.WriteDurableAsync(w =>
        {
            var now = time.GetUtcNow();
            var number = validated.Number;
            if (string.IsNullOrEmpty(number))
            {
                // A national system may choose some numbers itself; the sequence steps over those rather than
                // refuse a certificate that asked for any number.
                var prefix = office?.NumberPrefix ?? config.Options.IssuingPrefixes[0];
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
            }, number, utcNow, EndOfDay(certificate.DateOfExpiry), office: office?.Code);
            var held = HeldCertificate.Issue(certificate, partner.Code, messageId, actor.HistoryName, utcNow);
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

    private CertificateDraft WithDefaults(CertificateDraft draft, OfficeOptions? office)
    {
        if (office is not null)
        {
            draft = draft with { IssuingOffice = office.Code };
        }

        if (string.IsNullOrEmpty(draft.ExportingParticipant))
        {
            draft = draft with { ExportingParticipant = Us };
        }

        if (string.IsNullOrEmpty(draft.ExportingAuthority))
        {
            draft = draft with { ExportingAuthority = office?.ExportingAuthority ?? config.Options.ExportingAuthority };
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
            if (actor.Office is { } own && cert.Direction == Domain.CertificateDirection.Outbound && cert.Summary.IssuingOffice != own)
            {
                throw new WorkflowException(FailureKind.PermissionDenied,
                    $"certificateNumber: {number} was issued by {cert.Summary.IssuingOffice ?? Us + " as a whole"}, and you act for office {own} only: an operator of that office, or of the whole participant, voids it");
            }

            var now = time.GetUtcNow();
            var utcNow = now.UtcDateTime;
            var importerMayHoldIt = cert.Direction == Domain.CertificateDirection.Outbound
                && w.FindMessage(cert.MessageId) is { Status: MessageStatus.Pending or MessageStatus.Delivered };
            var messageId = ids.Next();
            if (cert.Void(actor.HistoryName, reason, messageId, importerMayHoldIt, utcNow) is { } refusal)
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
            }, number, utcNow, utcNow + FollowUpDeliveryWindow, send: importerMayHoldIt,
                office: cert.Summary.IssuingOffice is { } o && signer.OfficeCertificate(o) is not null ? o : null);
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
