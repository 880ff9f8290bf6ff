using KpNode.Domain;
using KpNode.Storage;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

internal sealed partial class CertificateWorkflow
{
    private const int MaxRemarksLength = 2000;

    /// <summary>
    /// The importing authority records what arrived: the certificate moves to Confirmed, Discrepancy or Detained,
    /// and a signed import confirmation goes to the exporter's node.
    /// </summary>
    public async Task<CertificateDocument> ConfirmImportAsync(ConfirmImportRequest request, string actor, CancellationToken ct)
    {
        var violations = CheckConfirmation(request.Outcome, request.ParcelsReceived, request.CaratsReceivedHundredths,
            request.ValueReceivedUsdCents, request.DateOfReceipt, request.Remarks, Today);
        if (string.IsNullOrWhiteSpace(request.CertificateNumber))
        {
            violations.Insert(0, new Violation("certificate_number", "required"));
        }

        if (violations.Count > 0)
        {
            throw WorkflowException.Invalid(violations, "The import confirmation");
        }

        var received = ParseDate(request.DateOfReceipt)!.Value;
        var (doc, partner) = await store.WriteDurableAsync(w =>
        {
            var number = request.CertificateNumber;
            var cert = w.FindCertificate(number)
                ?? throw new WorkflowException(FailureKind.NotFound, $"certificate_number: no certificate {number} is held by this node");
            if (cert.Direction != Domain.CertificateDirection.Inbound)
            {
                throw new WorkflowException(FailureKind.FailedPrecondition,
                    $"certificate_number: {number} was issued by this node; only the importing authority ({cert.Partner}) confirms it");
            }

            if (ConfirmationRefusal(cert, received) is { } refusal)
            {
                throw new WorkflowException(FailureKind.FailedPrecondition, $"certificate_number: {refusal}");
            }

            var differences = Differences(cert, request.ParcelsReceived, request.CaratsReceivedHundredths, request.ValueReceivedUsdCents);
            var outcomeProblem = OutcomeProblem(request.Outcome, differences);
            if (outcomeProblem is not null)
            {
                throw WorkflowException.Invalid([new Violation("outcome", outcomeProblem)], "The import confirmation");
            }

            var now = time.GetUtcNow();
            var utcNow = now.UtcDateTime;
            var messageId = ids.Next();
            var confirmation = new ImportConfirmation
            {
                Header = Header(messageId, cert.Partner, now),
                CertificateNumber = number,
                Outcome = request.Outcome,
                ParcelsReceived = request.ParcelsReceived,
                CaratsReceivedHundredths = request.CaratsReceivedHundredths,
                ValueReceivedUsdCents = request.ValueReceivedUsdCents,
                DateOfReceipt = request.DateOfReceipt,
                Remarks = request.Remarks,
            };
            QueueOutbound(w, cert.Partner, PayloadTypes.ImportConfirmation, messageId, confirmation,
                number, utcNow, utcNow + FollowUpDeliveryWindow);
            cert.ConfirmationMessageId = messageId;
            var status = StatusFor(request.Outcome);
            cert.StatusReason = Reason(status, differences, request.Remarks);
            CertificateDocuments.Transition(cert, status, utcNow,
                $"{status} by {actor} (received {request.DateOfReceipt})" + (cert.StatusReason is null ? "" : $": {cert.StatusReason}")
                + $"; confirmation to {cert.Partner} queued");
            w.UpdateCertificate(cert);
            w.Audit(actor, "import." + status.ToString().ToLowerInvariant(), number, cert.StatusReason ?? "figures match");
            return (cert, cert.Partner);
        }, ct);
        delivery.MessageQueued(partner);
        return doc;
    }

    /// <summary>Rules of an import confirmation's own fields, shared by the importer (Local API) and the exporter (Peer API).</summary>
    private static List<Violation> CheckConfirmation(ImportOutcome outcome, int parcels, long carats, long value,
        string dateOfReceipt, string remarks, DateOnly today)
    {
        var violations = new List<Violation>();
        var detained = outcome == ImportOutcome.Detained;
        if (outcome is not (ImportOutcome.Confirmed or ImportOutcome.Discrepancy or ImportOutcome.Detained))
        {
            violations.Add(new Violation("outcome", "say confirmed, discrepancy or detained"));
        }

        if (parcels < (detained ? 0 : 1) || parcels > CertificateRules.MaxParcels)
        {
            violations.Add(new Violation("parcels_received", detained
                ? $"must be 0 to {CertificateRules.MaxParcels:N0}"
                : $"must be 1 to {CertificateRules.MaxParcels:N0} (the number of parcels that arrived)"));
        }

        if (carats < (detained ? 0 : 1))
        {
            violations.Add(new Violation("carats_received_hundredths", "must be more than 0 (the carat weight that arrived)"));
        }

        if (value < 0)
        {
            violations.Add(new Violation("value_received_usd_cents", "cannot be negative (0 when not recorded)"));
        }

        if (ParseDate(dateOfReceipt) is not { } received)
        {
            violations.Add(new Violation("date_of_receipt", $"'{dateOfReceipt}' is not a date written YYYY-MM-DD"));
        }
        else if (received > today.AddDays(1))
        {
            violations.Add(new Violation("date_of_receipt", $"{dateOfReceipt} is in the future"));
        }

        if (remarks.Length > MaxRemarksLength)
        {
            violations.Add(new Violation("remarks", $"at most {MaxRemarksLength} characters"));
        }
        else if (detained && string.IsNullOrWhiteSpace(remarks))
        {
            violations.Add(new Violation("remarks", "say why the shipment is detained"));
        }

        return violations;
    }

    /// <summary>Why a certificate in this state cannot take a confirmation of goods received on <paramref name="received"/>, or null.</summary>
    private static string? ConfirmationRefusal(CertificateDocument cert, DateOnly received)
    {
        if (cert.Status == Domain.CertificateStatus.Voided)
        {
            return $"{cert.Id} was voided by its exporter ({cert.StatusReason}); a voided certificate cannot be confirmed";
        }

        if (IsConfirmed(cert.Status))
        {
            return $"{cert.Id} is already {cert.Status}";
        }

        if (cert.Status is not (Domain.CertificateStatus.Received or Domain.CertificateStatus.Issued
            or Domain.CertificateStatus.Delivered or Domain.CertificateStatus.Expired))
        {
            return $"{cert.Id} is {cert.Status} and cannot be confirmed";
        }

        if (received < DateOf(cert.DateOfIssue))
        {
            return $"the goods cannot have been received on {received:yyyy-MM-dd}, before the date of issue {cert.DateOfIssue:yyyy-MM-dd}";
        }

        if (received > DateOf(cert.DateOfExpiry))
        {
            return $"{cert.Id} expired on {cert.DateOfExpiry:yyyy-MM-dd}, before the goods were received on {received:yyyy-MM-dd}";
        }

        return null;
    }

    private static string? OutcomeProblem(ImportOutcome outcome, List<string> differences) => outcome switch
    {
        ImportOutcome.Confirmed when differences.Count > 0 =>
            $"the figures received differ from the certificate ({string.Join("; ", differences)}); confirm with outcome discrepancy",
        ImportOutcome.Discrepancy when differences.Count == 0 =>
            "the figures received match the certificate; use outcome confirmed",
        _ => null,
    };

    private static string? Reason(Domain.CertificateStatus status, List<string> differences, string remarks) => status switch
    {
        Domain.CertificateStatus.Discrepancy => string.Join("; ", differences) + (remarks.Length > 0 ? $"; remarks: {remarks}" : ""),
        Domain.CertificateStatus.Detained => remarks,
        _ => remarks.Length > 0 ? remarks : null,
    };
}
