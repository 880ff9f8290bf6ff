namespace KpNode.Domain;

/// <summary>What the importing authority found when the shipment arrived.</summary>
internal enum ImportOutcome
{
    Confirmed = 1,
    /// <summary>Arrived with figures that differ from the certificate.</summary>
    Discrepancy = 2,
    Detained = 3,
}

/// <summary>
/// An import confirmation as the importing authority types it or the exporter's node receives it, before any rule is
/// checked (see <see cref="ImportReportRules"/>); <see cref="Outcome"/> is null when none was given.
/// </summary>
internal sealed record ImportReport(
    string CertificateNumber,
    ImportOutcome? Outcome,
    int ParcelsReceived,
    long CaratsReceivedHundredths,
    long ValueReceivedUsdCents,
    string DateOfReceipt,
    string Remarks)
{
    /// <summary>The status a confirmed certificate takes for this outcome.</summary>
    public CertificateStatus Status => Outcome switch
    {
        ImportOutcome.Confirmed => CertificateStatus.Confirmed,
        ImportOutcome.Discrepancy => CertificateStatus.Discrepancy,
        _ => CertificateStatus.Detained,
    };
}

/// <summary>The rules of an import confirmation's own fields, the same for the importer who sends it and the exporter who receives it.</summary>
internal static class ImportReportRules
{
    public static List<Violation> Check(ImportReport report, DateOnly today)
    {
        var violations = new List<Violation>();
        var detained = report.Outcome == ImportOutcome.Detained;
        if (report.Outcome is not (ImportOutcome.Confirmed or ImportOutcome.Discrepancy or ImportOutcome.Detained))
        {
            violations.Add(new Violation("outcome", "say confirmed, discrepancy or detained"));
        }

        if (report.ParcelsReceived < (detained ? 0 : 1) || report.ParcelsReceived > CertificateRules.MaxParcels)
        {
            violations.Add(new Violation("parcelsReceived", detained
                ? $"must be 0 to {CertificateRules.MaxParcels:N0}"
                : $"must be 1 to {CertificateRules.MaxParcels:N0} (the number of parcels that arrived)"));
        }

        if (report.CaratsReceivedHundredths < (detained ? 0 : 1))
        {
            violations.Add(new Violation("caratsReceivedHundredths", "must be more than 0 (the carat weight that arrived)"));
        }

        if (report.ValueReceivedUsdCents < 0)
        {
            violations.Add(new Violation("valueReceivedUsdCents", "cannot be negative (0 when not recorded)"));
        }

        if (KpDate.Parse(report.DateOfReceipt) is not { } received)
        {
            violations.Add(new Violation("dateOfReceipt", $"'{report.DateOfReceipt}' is not a date written YYYY-MM-DD"));
        }
        else if (!KpDate.InRange(received))
        {
            violations.Add(new Violation("dateOfReceipt", $"{report.DateOfReceipt} is out of range: a shipment is received {KpDate.RangeText}"));
        }
        else if (received > today.AddDays(1))
        {
            violations.Add(new Violation("dateOfReceipt", $"{report.DateOfReceipt} is in the future"));
        }

        FreeText.CheckOptional("remarks", report.Remarks, "the remarks", CertificateRules.MaxRemarksLength, allowLineBreaks: true, violations);
        if (detained && string.IsNullOrWhiteSpace(report.Remarks))
        {
            violations.Add(new Violation("remarks", "say why the shipment is detained"));
        }

        return violations;
    }
}
