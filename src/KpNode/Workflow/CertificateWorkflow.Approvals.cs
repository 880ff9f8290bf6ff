using System.Globalization;
using Google.Protobuf;
using KpNode.Domain;
using KpNode.Storage;
using KpNode.Wire;

namespace KpNode.Workflow;

/// <summary>
/// Four-eyes issuing and voiding (Node:FourEyes): one officer submits, a second one approves, and only then is the
/// certificate numbered, signed and sent (or voided), in the transaction that closes the approval.
/// </summary>
internal sealed partial class CertificateWorkflow
{
    private const string ApprovalSequence = "approvals";
    private const int MaxRejectionReasonLength = 1000;

    /// <summary>"AP-000012".</summary>
    public static string ApprovalId(long sequence) => "AP-" + sequence.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>
    /// Checks the draft exactly as issuing does (<see cref="PrepareIssue"/>), every rule, and keeps it as a pending approval: nothing numbered, signed or
    /// sent. The approval keeps the draft exactly as submitted (its wire bytes) and issues from it.
    /// </summary>
    public async Task<StoredApproval> SubmitIssueAsync(Wire.V1.Certificate draft, Actor actor, CancellationToken ct)
    {
        var (certificate, partner, _) = PrepareIssue(CertificateMapping.ToDraft(draft), actor);
        var summary = $"to {partner.Code}: {certificate.Parcels} parcel{(certificate.Parcels == 1 ? "" : "s")}, {certificate.Carats}, {certificate.Value}";
        return await SubmitAsync(ApprovalKind.Issue, actor, partner.Code, summary, draft.ToByteArray(), number: null, reason: null, ct);
    }

    /// <summary>Checks that the certificate may be voided now and keeps the void as a pending approval; nothing is voided or sent.</summary>
    public async Task<StoredApproval> SubmitVoidAsync(string number, string reason, Actor actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(number))
            throw WorkflowException.Invalid("certificateNumber", "required");
        reason = reason.Trim();
        if (VoidReasonProblem(reason) is { } problem)
            throw WorkflowException.Invalid([problem], "The void");

        var cert = store.FindCertificate(number)
            ?? throw new WorkflowException(FailureKind.NotFound, $"certificateNumber: no certificate {number} is held by this node");
        evidence.Certificate(cert, store.FindMessage);
        if (actor.Office is { } own && cert.Direction == CertificateDirection.Outbound && cert.Summary.IssuingOffice != own)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"certificateNumber: {number} was issued by {cert.Summary.IssuingOffice ?? Us + " as a whole"}, and you act for office {own} only: an operator of that office, or of the whole participant, voids it");
        }

        // The same guard the void itself applies, on a copy: what it would refuse now is refused at submission.
        var probe = HeldCertificate.Rehydrate(cert.Summary, cert.Direction, cert.Partner, cert.MessageId, cert.CreatedAt, cert.Status,
            cert.StatusReason, cert.ReplacedBy, cert.ConfirmationMessageId, cert.VoidMessageId, cert.UpdatedAt, cert.History);
        if (probe.Void(actor.HistoryName, reason, "", importerTold: false, time.GetUtcNow().UtcDateTime) is { } refusal)
            throw Refused(refusal);
        if (store.ListApprovals(includeDecided: false).FirstOrDefault(a => a.Kind == ApprovalKind.Void && a.CertificateNumber == number) is { } already)
        {
            throw new WorkflowException(FailureKind.FailedPrecondition,
                $"certificateNumber: a void of {number} already awaits approval as {already.Id} (submitted by {Submitter(already).AuditName})");
        }

        return await SubmitAsync(ApprovalKind.Void, actor, cert.Partner, reason, [], number, reason, ct);
    }

    private async Task<StoredApproval> SubmitAsync(ApprovalKind kind, Actor actor, string partner, string summary,
        byte[] draft, string? number, string? reason, CancellationToken ct)
    {
        var approval = await store.WriteDurableAsync(w =>
        {
            var id = ApprovalId(w.NextSequence(ApprovalSequence));
            var approval = new StoredApproval(id, kind, ApprovalState.Pending, actor.Id, actor.DisplayName, actor.Office, time.GetUtcNow().UtcDateTime,
                partner, summary, draft, number, reason);
            w.PutApproval(approval);
            w.Audit(actor.AuditName, "approval.submitted", id, $"{KindName(kind)}{(number is null ? "" : " " + number)}: {summary}");
            return approval;
        }, ct);
        Diagnostics.Log.ApprovalSubmitted(logger, actor.AuditName, approval.Id, KindName(kind), summary);
        return approval;
    }

    /// <summary>
    /// A second officer approves: the submitted issue or void is done as it would have been without four-eyes, and the
    /// approval closed, in one durable transaction. Both officers are named in the audit log and the certificate's history.
    /// </summary>
    public async Task<(StoredApproval Approval, HeldCertificate Certificate, PartnerMessage? Message)> ApproveAsync(
        string id, Actor approver, CancellationToken ct)
    {
        var pending = PendingFor(id, approver, "approve");
        id = pending.Id;
        var submitter = Submitter(pending);
        // Issued under the submitter's office rules, with both names wherever the certificate's history names who did
        // it: "Issued by N. Dlamini, approved by T. Mokoena".
        var acting = submitter with { DisplayName = $"{submitter.DisplayName}, approved by {approver.HistoryName}" };
        StoredApproval? closed = null;
        void Close(IStoreWriter w, HeldCertificate held)
        {
            // Looked up again inside the transaction: two approvers at once cannot both act on it.
            var current = w.FindApproval(id);
            if (current is not { State: ApprovalState.Pending })
                throw new WorkflowException(FailureKind.FailedPrecondition, $"approvalId: {id} was decided meanwhile ({current?.State})");
            closed = current with
            {
                State = ApprovalState.Approved,
                CertificateNumber = held.Number,
                DecidedById = approver.Id,
                DecidedByName = approver.DisplayName,
                DecidedAt = time.GetUtcNow().UtcDateTime,
            };
            w.PutApproval(closed);
            w.Audit(approver.AuditName, "approval.approved", held.Number,
                $"{id} ({KindName(pending.Kind)}): submitted by {submitter.AuditName}; approved by {approver.AuditName}");
        }

        HeldCertificate certificate;
        PartnerMessage? message = null;
        if (pending.Kind == ApprovalKind.Issue)
        {
            var draft = CertificateMapping.ToDraft(Wire.V1.Certificate.Parser.ParseFrom(pending.Draft));
            (certificate, message) = await IssueAsync(draft, acting, ct, Close);
        }
        else
        {
            certificate = await VoidAsync(pending.CertificateNumber!, pending.Reason!, acting, ct, Close);
        }

        Diagnostics.Log.ApprovalApproved(logger, approver.AuditName, id, KindName(pending.Kind), submitter.AuditName, certificate.Number);
        return (closed!, certificate, message);
    }

    /// <summary>A second officer rejects, saying why: nothing is signed or sent, and the reason is in the audit log.</summary>
    public async Task<StoredApproval> RejectAsync(string id, string reason, Actor approver, CancellationToken ct)
    {
        reason = reason.Trim();
        if (string.IsNullOrWhiteSpace(reason))
            throw WorkflowException.Invalid("reason", "say why it is rejected (the submitter reads it)");
        var problems = new List<Violation>();
        FreeText.Check("reason", reason, "the reason", MaxRejectionReasonLength, allowLineBreaks: true, problems);
        if (problems.Count > 0)
            throw WorkflowException.Invalid(problems, "The rejection");

        var pending = PendingFor(id, approver, "reject");
        id = pending.Id;
        var rejected = await store.WriteDurableAsync(w =>
        {
            var current = w.FindApproval(id);
            if (current is not { State: ApprovalState.Pending })
                throw new WorkflowException(FailureKind.FailedPrecondition, $"approvalId: {id} was decided meanwhile ({current?.State})");
            var rejected = current with
            {
                State = ApprovalState.Rejected,
                DecidedById = approver.Id,
                DecidedByName = approver.DisplayName,
                DecidedAt = time.GetUtcNow().UtcDateTime,
                DecisionReason = reason,
            };
            w.PutApproval(rejected);
            w.Audit(approver.AuditName, "approval.rejected", current.CertificateNumber ?? id,
                $"{id} ({KindName(current.Kind)}): submitted by {Submitter(current).AuditName}; rejected by {approver.AuditName}: {reason}");
            return rejected;
        }, ct);
        Diagnostics.Log.ApprovalRejected(logger, approver.AuditName, rejected.Id, KindName(pending.Kind), Submitter(pending).AuditName, reason);
        return rejected;
    }

    /// <summary>The pending approval <paramref name="approver"/> may decide, or the refusal saying why not.</summary>
    private StoredApproval PendingFor(string id, Actor approver, string verb)
    {
        if (string.IsNullOrWhiteSpace(id))
            throw WorkflowException.Invalid("approvalId", "required (e.g. AP-000012; 'kpnode cert approvals' lists them)");
        var approval = store.FindApproval(id.Trim().ToUpperInvariant())
            ?? throw new WorkflowException(FailureKind.NotFound, $"approvalId: no approval {id} at this node ('kpnode cert approvals' lists the pending ones)");
        if (approval.State != ApprovalState.Pending)
        {
            throw new WorkflowException(FailureKind.FailedPrecondition,
                $"approvalId: {approval.Id} is already {approval.State.ToString().ToLowerInvariant()} by {approval.DecidedByName}"
                + (approval.CertificateNumber is { } n ? $" ({n})" : ""));
        }

        if (approval.SubmittedById == approver.Id)
        {
            throw new WorkflowException(FailureKind.PermissionDenied,
                $"{approval.Id} was submitted by {Submitter(approval).AuditName}: four-eyes means a second officer must {verb} it, with their own operator certificate");
        }

        if (approver.Office is { } office && approval.Office != office)
        {
            throw new WorkflowException(FailureKind.PermissionDenied, approval.Office is null
                ? $"{approval.Id} was submitted by a participant-level officer; an officer of office {office} cannot {verb} it (a participant-level approving officer can)"
                : $"{approval.Id} is for office {approval.Office}; an officer of office {office} cannot {verb} it (one of {approval.Office}, or a participant-level approving officer, can)");
        }

        return approval;
    }

    private static string KindName(ApprovalKind kind) => kind == ApprovalKind.Issue ? "issue" : "void";

    /// <summary>The officer who submitted it.</summary>
    public static Actor Submitter(StoredApproval approval) => new(approval.SubmittedById, approval.SubmittedByName, approval.Office);
}
