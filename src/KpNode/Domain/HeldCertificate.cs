namespace KpNode.Domain;

/// <summary>
/// A certificate this node holds, issued here or received from a partner: its status, why, its history and the
/// messages that carry its evidence. Every change of status is one of its methods, each with its guard; a refusal
/// comes back as the violation that names the rule, and nothing else assigns a status.
/// </summary>
internal sealed class HeldCertificate
{
    private readonly List<HistoryEntry> _history;

    private HeldCertificate(CertificateSummary summary, CertificateDirection direction, string partner, string messageId,
        DateTime createdAt, CertificateStatus status, List<HistoryEntry> history)
    {
        Summary = summary;
        Direction = direction;
        Partner = partner;
        MessageId = messageId;
        CreatedAt = createdAt;
        UpdatedAt = createdAt;
        Status = status;
        _history = history;
    }

    public CertificateSummary Summary { get; }

    public string Number => Summary.Number;

    public CertificateDirection Direction { get; }

    /// <summary>The other participant: the importer for an outbound certificate, the exporter for an inbound one.</summary>
    public string Partner { get; }

    /// <summary>Id of the CertificateIssued message that carried it; that message holds the signed envelope, the evidence.</summary>
    public string MessageId { get; }

    public DateTime CreatedAt { get; }

    public CertificateStatus Status { get; private set; }

    public string? StatusReason { get; private set; }

    public string? ReplacedBy { get; private set; }

    /// <summary>Id of the import confirmation message (ours or the importer's).</summary>
    public string? ConfirmationMessageId { get; private set; }

    /// <summary>Id of the exporter's void message.</summary>
    public string? VoidMessageId { get; private set; }

    public DateTime UpdatedAt { get; private set; }

    public IReadOnlyList<HistoryEntry> History => _history;

    /// <summary>Confirmed or Discrepancy: the importer's last word. A detention is not: the goods may still be released, or the certificate voided.</summary>
    public bool IsSettled => Status is CertificateStatus.Confirmed or CertificateStatus.Discrepancy;

    /// <summary>A certificate as the store kept it: no rule is checked, the store holds only what these methods made.</summary>
    public static HeldCertificate Rehydrate(CertificateSummary summary, CertificateDirection direction, string partner, string messageId,
        DateTime createdAt, CertificateStatus status, string? statusReason, string? replacedBy, string? confirmationMessageId,
        string? voidMessageId, DateTime updatedAt, IEnumerable<HistoryEntry> history) =>
        new(summary, direction, partner, messageId, createdAt, status, history.ToList())
        {
            StatusReason = statusReason,
            ReplacedBy = replacedBy,
            ConfirmationMessageId = confirmationMessageId,
            VoidMessageId = voidMessageId,
            UpdatedAt = updatedAt,
        };

    /// <summary>Exporter: signed, stored, its delivery to the importer queued as <paramref name="messageId"/>.</summary>
    public static HeldCertificate Issue(Certificate certificate, string importer, string messageId, string actor, DateTime now) =>
        Start(certificate, CertificateDirection.Outbound, importer, messageId, CertificateStatus.Issued, now,
            $"Issued by {actor}; delivery to {importer} queued" + (string.IsNullOrEmpty(certificate.Replaces) ? "" : $"; replaces {certificate.Replaces}"));

    /// <summary>Importer: a partner's certificate, verified and answered with our receipt.</summary>
    public static HeldCertificate Receive(Certificate certificate, string exporter, string messageId, DateTime now) =>
        Start(certificate, CertificateDirection.Inbound, exporter, messageId, CertificateStatus.Received, now,
            $"Received from {exporter}; signature verified; receipt sent");

    private static HeldCertificate Start(Certificate certificate, CertificateDirection direction, string partner, string messageId,
        CertificateStatus status, DateTime now, string text) =>
        new(CertificateSummary.Of(certificate), direction, partner, messageId, now, status, [new HistoryEntry(now, status, text)]);

    /// <summary>
    /// Links this certificate to the one that replaces it. An exporter replaces only its own voided certificate, once,
    /// by one to the same importer; an importer links a replacement its exporter sent.
    /// </summary>
    public Violation? Replace(string replacement, string partner, DateTime now)
    {
        if (Direction == CertificateDirection.Inbound)
        {
            if (Partner != partner)
            {
                return new Violation("replaces", $"{Number} was not received from {partner}");
            }
        }
        else if (Status != CertificateStatus.Voided || Partner != partner)
        {
            return new Violation("replaces",
                $"{Number} can be replaced only once it is voided and only by a certificate to the same importer ({Partner}); it is {Status}");
        }
        else if (ReplacedBy is not null)
        {
            return new Violation("replaces", $"{Number} was already replaced by {ReplacedBy}");
        }

        ReplacedBy = replacement;
        Note(now, $"Replaced by {replacement}");
        return null;
    }

    /// <summary>Whether this certificate still closes a shipment with its seal on <paramref name="today"/>: neither past its expiry nor cancelled.</summary>
    public bool HoldsItsSeal(DateOnly today) =>
        Summary.DateOfExpiry >= today
        && Status is not (CertificateStatus.Voided or CertificateStatus.Expired or CertificateStatus.Undeliverable or CertificateStatus.Rejected);

    /// <summary>Exporter, at issue: its seal was on <paramref name="earlier"/> certificates, none of them valid any more.</summary>
    public void NoteSealReused(string seal, IReadOnlyList<HeldCertificate> earlier, DateTime now) =>
        Note(now, $"Seal {seal} was also on " + string.Join(", ", earlier.Select(c => $"{c.Number} ({c.Status}, expiry {KpDate.Text(c.Summary.DateOfExpiry)})")));

    /// <summary>Exporter: the importer's node signed an accepting receipt for the certificate.</summary>
    public CertificateStatus Deliver(string importer, DateTime now)
    {
        if (Status != CertificateStatus.Issued)
        {
            // Already moved on (e.g. voided or expired meanwhile): keep the proof, not the transition.
            Note(now, $"{importer} signed a receipt");
        }
        else
        {
            MoveTo(CertificateStatus.Delivered, now, $"Delivered: {importer} signed a receipt");
        }

        return Status;
    }

    /// <summary>Exporter: the importer's node refused the certificate with a signed receipt.</summary>
    public CertificateStatus Reject(string importer, string reasonCode, string reasonText, DateTime now)
    {
        if (Status != CertificateStatus.Issued)
        {
            Note(now, $"{importer} refused it: {reasonText}");
        }
        else
        {
            StatusReason = $"{reasonCode}: {reasonText}";
            MoveTo(CertificateStatus.Rejected, now, $"Rejected by {importer}: {reasonText}");
        }

        return Status;
    }

    /// <summary>The partner's receipt for a follow-up message (<paramref name="what"/>: a void, an import confirmation): proof, no transition.</summary>
    public void AcknowledgeFollowUp(string what, string partner, bool accepted, string reasonText, DateTime now) =>
        Note(now, accepted ? $"{partner} acknowledged the {what} with a signed receipt" : $"{partner} refused the {what}: {reasonText}");

    /// <summary>
    /// Exporter: the certificate is cancelled by <paramref name="actor"/>, as message <paramref name="messageId"/>;
    /// <paramref name="importerTold"/> says whether that message goes to an importer that may hold it.
    /// </summary>
    public Violation? Void(string actor, string reason, string messageId, bool importerTold, DateTime now)
    {
        if (Direction != CertificateDirection.Outbound)
        {
            return new Violation("certificateNumber", $"{Number} was issued by {Partner}; only the exporting authority can void it");
        }

        if (IsSettled)
        {
            return new Violation("certificateNumber", $"{Number} is {Status} by {Partner}; a confirmed certificate cannot be voided");
        }

        if (Status == CertificateStatus.Voided)
        {
            return new Violation("certificateNumber", $"{Number} is already voided ({StatusReason})");
        }

        VoidMessageId = messageId;
        StatusReason = reason;
        MoveTo(CertificateStatus.Voided, now, $"Voided by {actor}: {reason}"
            + (importerTold ? $"; {Partner} is being told" : $"; {Partner} never held it, nothing to send"));
        return null;
    }

    /// <summary>Importer: the exporter voided a certificate it issued to us, by message <paramref name="messageId"/>.</summary>
    public Violation? VoidByExporter(string exporter, string reason, string messageId, DateTime now)
    {
        if (IsSettled || Status == CertificateStatus.Voided)
        {
            return new Violation("certificateNumber", $"{Number} is already {Status} here and cannot be voided");
        }

        VoidMessageId = messageId;
        StatusReason = reason;
        MoveTo(CertificateStatus.Voided, now, $"Voided by {exporter}: {reason}");
        return null;
    }

    /// <summary>
    /// Why this certificate cannot take a confirmation with <paramref name="outcome"/> of goods received on
    /// <paramref name="received"/>, or null. A detained certificate takes one more: its release, confirmed or discrepancy.
    /// </summary>
    public Violation? ConfirmationRefusal(DateOnly received, ImportOutcome? outcome)
    {
        string? rule = null;
        if (Status == CertificateStatus.Voided)
        {
            rule = $"{Number} was voided by its exporter ({StatusReason}); a voided certificate cannot be confirmed";
        }
        else if (Status == CertificateStatus.Detained && outcome == ImportOutcome.Detained)
        {
            rule = $"{Number} is already Detained ({StatusReason}); record its release with outcome confirmed or discrepancy";
        }
        else if (IsSettled)
        {
            rule = $"{Number} is already {Status}";
        }
        else if (Status is not (CertificateStatus.Received or CertificateStatus.Issued or CertificateStatus.Delivered or CertificateStatus.Expired
            or CertificateStatus.Detained))
        {
            rule = $"{Number} is {Status} and cannot be confirmed";
        }
        else if (received < Summary.DateOfIssue)
        {
            rule = $"the goods cannot have been received on {KpDate.Text(received)}, before the date of issue {KpDate.Text(Summary.DateOfIssue)}";
        }
        else if (received > Summary.DateOfExpiry)
        {
            rule = $"{Number} expired on {KpDate.Text(Summary.DateOfExpiry)}, before the goods were received on {KpDate.Text(received)}";
        }

        return rule is null ? null : new Violation("certificateNumber", rule);
    }

    /// <summary>
    /// Importer: our own authority records what arrived (a report that passed <see cref="ImportReportRules"/>), sent to
    /// the exporter as message <paramref name="messageId"/>. The outcome must agree with the figures.
    /// </summary>
    public Violation? ConfirmImport(ImportReport report, string actor, string messageId, DateTime now)
    {
        if (Direction != CertificateDirection.Inbound)
        {
            return new Violation("certificateNumber", $"{Number} was issued by this node; only the importing authority ({Partner}) confirms it");
        }

        if (ConfirmationRefusal(KpDate.Parse(report.DateOfReceipt)!.Value, report.Outcome) is { } refusal)
        {
            return refusal;
        }

        var differences = Differences(report);
        var problem = report.Outcome switch
        {
            ImportOutcome.Confirmed when differences.Count > 0 =>
                $"the figures received differ from the certificate ({string.Join("; ", differences)}); confirm with outcome discrepancy",
            ImportOutcome.Discrepancy when differences.Count == 0 =>
                "the figures received match the certificate; use outcome confirmed",
            _ => null,
        };
        if (problem is not null)
        {
            return new Violation("outcome", problem);
        }

        Confirm(report, differences, actor, messageId, now, $"; confirmation to {Partner} queued");
        return null;
    }

    /// <summary>Exporter: the importer's signed confirmation of what arrived, as message <paramref name="messageId"/>.</summary>
    public Violation? RecordConfirmation(ImportReport report, string importer, string messageId, DateTime now)
    {
        if (ConfirmationRefusal(KpDate.Parse(report.DateOfReceipt)!.Value, report.Outcome) is { } refusal)
        {
            return refusal;
        }

        Confirm(report, Differences(report), importer, messageId, now, "");
        return null;
    }

    private void Confirm(ImportReport report, List<string> differences, string by, string messageId, DateTime now, string suffix)
    {
        var status = report.Status;
        var released = Status != CertificateStatus.Detained ? ""
            : string.IsNullOrEmpty(StatusReason) ? "Released from detention: " : $"Released from detention ({StatusReason}): ";
        ConfirmationMessageId = messageId;
        StatusReason = status switch
        {
            CertificateStatus.Discrepancy => string.Join("; ", differences) + (report.Remarks.Length > 0 ? $"; remarks: {report.Remarks}" : ""),
            CertificateStatus.Detained => report.Remarks,
            _ => report.Remarks.Length > 0 ? report.Remarks : null,
        };
        MoveTo(status, now, released + $"{status} by {by} (received {report.DateOfReceipt})" + (StatusReason is null ? "" : $": {StatusReason}") + suffix);
    }

    /// <summary>The differences between this certificate and what the importer received, in words; empty when they match.</summary>
    public List<string> Differences(ImportReport report)
    {
        var differences = new List<string>();
        if (report.ParcelsReceived != Summary.Parcels)
        {
            differences.Add($"parcels: certificate {Summary.Parcels}, received {report.ParcelsReceived}");
        }

        if (report.CaratsReceivedHundredths != Summary.Carats.Hundredths)
        {
            differences.Add($"carats: certificate {Summary.Carats}, received {new Carats(report.CaratsReceivedHundredths)}");
        }

        if (report.ValueReceivedUsdCents != 0 && report.ValueReceivedUsdCents != Summary.Value.Cents)
        {
            differences.Add($"value: certificate {Summary.Value}, received {new UsDollars(report.ValueReceivedUsdCents)}");
        }

        return differences;
    }

    /// <summary>Whether the calendar has passed this certificate's date of expiry while it still waits for confirmation.</summary>
    public bool IsPastExpiry(DateOnly today) =>
        Summary.DateOfExpiry < today && Status is CertificateStatus.Issued or CertificateStatus.Delivered or CertificateStatus.Received;

    /// <summary>
    /// The date of expiry passed without import confirmation: Expired, or Undeliverable when it never reached the
    /// importer (its delivery is then given up). Null when it is not past expiry.
    /// </summary>
    public CertificateStatus? Expire(DateOnly today, DateTime now)
    {
        if (!IsPastExpiry(today))
        {
            return null;
        }

        var expiredOn = $"expired on {KpDate.Text(Summary.DateOfExpiry)} without import confirmation";
        if (Status == CertificateStatus.Issued)
        {
            StatusReason = $"never delivered to {Partner}; {expiredOn}";
            MoveTo(CertificateStatus.Undeliverable, now, $"Delivery given up: the certificate {expiredOn}");
        }
        else
        {
            StatusReason = expiredOn;
            MoveTo(CertificateStatus.Expired, now, $"Expired: {expiredOn}");
        }

        return Status;
    }

    /// <summary>Why an undelivered certificate's pending delivery is stopped once it expires.</summary>
    public string UndeliveredReason => $"the certificate expired on {KpDate.Text(Summary.DateOfExpiry)} before {Partner} acknowledged it";

    /// <summary>
    /// The outbox could not deliver message <paramref name="messageId"/> before its deadline: when that message carried
    /// this certificate and it is still only issued, it becomes Undeliverable. Returns whether the certificate changed.
    /// </summary>
    public bool MissedDeliveryDeadline(string messageId, string reason, DateTime now)
    {
        if (MessageId != messageId || Status != CertificateStatus.Issued)
        {
            return false;
        }

        StatusReason = reason;
        MoveTo(CertificateStatus.Undeliverable, now, $"Delivery given up: {reason}");
        return true;
    }

    /// <summary>
    /// An operator stopped the delivery of message <paramref name="messageId"/> about this certificate: when it carried
    /// the certificate itself and the certificate is still only issued, it becomes Undeliverable; any other message is
    /// noted in the history.
    /// </summary>
    public void DeliveryCancelled(string messageId, string what, string reason, DateTime now)
    {
        if (MessageId == messageId && Status == CertificateStatus.Issued)
        {
            StatusReason = reason;
            MoveTo(CertificateStatus.Undeliverable, now, $"Delivery cancelled: {reason}");
            return;
        }

        Note(now, $"Delivery of the {what} to {Partner} cancelled: {reason}");
    }

    private void MoveTo(CertificateStatus status, DateTime now, string text)
    {
        Status = status;
        UpdatedAt = now;
        _history.Add(new HistoryEntry(now, status, text));
    }

    private void Note(DateTime now, string text)
    {
        UpdatedAt = now;
        _history.Add(new HistoryEntry(now, Status, text));
    }
}
