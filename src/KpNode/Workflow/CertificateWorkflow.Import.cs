using KpNode.Domain;
using KpNode.Wire;

namespace KpNode.Workflow;

internal sealed partial class CertificateWorkflow
{
    /// <summary>
    /// The importing authority records what arrived: the certificate moves to Confirmed, Discrepancy or Detained (and
    /// from Detained, once released, to Confirmed or Discrepancy), and a signed import confirmation goes to the exporter's node.
    /// </summary>
    public async Task<HeldCertificate> ConfirmImportAsync(ImportReport report, Actor actor, CancellationToken ct)
    {
        var violations = ImportReportRules.Check(report, Today);
        if (string.IsNullOrWhiteSpace(report.CertificateNumber))
        {
            violations.Insert(0, new Violation("certificateNumber", "required"));
        }

        if (violations.Count > 0)
        {
            throw WorkflowException.Invalid(violations, "The import confirmation");
        }

        var (held, partner) = await store.WriteDurableAsync(w =>
        {
            var number = report.CertificateNumber;
            var cert = w.FindCertificate(number)
                ?? throw new WorkflowException(FailureKind.NotFound, $"certificateNumber: no certificate {number} is held by this node");
            // The figures received are compared with the signed certificate's, never with fields the store derived.
            evidence.Certificate(cert, w.FindMessage);
            var now = time.GetUtcNow();
            var utcNow = now.UtcDateTime;
            var messageId = ids.Next();
            var wasDetained = cert.Status == Domain.CertificateStatus.Detained;
            if (cert.ConfirmImport(report, actor.HistoryName, messageId, utcNow) is { } refusal)
            {
                // An outcome that contradicts the figures is bad input; any other refusal is the certificate's state.
                throw refusal.Field == "outcome" ? WorkflowException.Invalid([refusal], "The import confirmation") : Refused(refusal);
            }

            QueueOutbound(w, cert.Partner, PayloadTypes.ImportConfirmation, messageId,
                ImportReportMapping.ToPayload(report, Header(messageId, cert.Partner, now)), number, utcNow, utcNow + FollowUpDeliveryWindow,
                office: actor.Office);
            w.UpdateCertificate(cert);
            w.Audit(actor.AuditName, "import." + cert.Status.ToString().ToLowerInvariant(), number,
                (wasDetained ? "released from detention; " : "") + (cert.StatusReason ?? "figures match"));
            return (cert, cert.Partner);
        }, ct);
        delivery.MessageQueued(partner);
        return held;
    }
}
