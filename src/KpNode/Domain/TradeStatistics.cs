namespace KpNode.Domain;

/// <summary>Whether trade left this participant or came in.</summary>
internal enum TradeFlow
{
    Export = 1,
    Import = 2,
}

/// <summary>One line of trade statistics: certificates, carats and US$ of one flow, partner and HS code (empty when a total).</summary>
internal sealed record TradeLine(TradeFlow Flow, string Partner, string HsCode, int Certificates, long CaratsHundredths, long ValueUsdCents)
{
    /// <summary>The issuing office, in the office totals only.</summary>
    public string Office { get; init; } = "";
}

/// <summary>A participant's trade statistics for one quarter, and the exports its importers never confirmed.</summary>
internal sealed record TradeReport(
    string Participant,
    string Period,
    DateOnly FirstDay,
    DateOnly LastDay,
    IReadOnlyList<TradeLine> Rows,
    IReadOnlyList<TradeLine> PartnerTotals,
    IReadOnlyList<TradeLine> FlowTotals,
    IReadOnlyList<HeldCertificate> Unconfirmed)
{
    /// <summary>Exports by issuing office and partner (all HS codes); empty for a participant without offices.</summary>
    public IReadOnlyList<TradeLine> OfficeTotals { get; init; } = [];

    /// <summary>The office whose view this is (its exports, every import); null for the whole participant.</summary>
    public string? Office { get; init; }
}

/// <summary>
/// A participant's quarterly KP trade statistics from its own records: certificates, carats and US$ by flow,
/// partner and HS code, with exact integer totals, and the exports never confirmed by their importers.
/// Certificates count in the quarter of their date of issue; voided, rejected and undeliverable ones are not trade.
/// </summary>
internal static class TradeStatistics
{
    /// <summary>Parses "2026Q3" into its first and last day; null when it is not a quarter a certificate can fall in.</summary>
    public static (DateOnly First, DateOnly Last)? ParsePeriod(string period) =>
        ReportingPeriod.Parse(period) is { IsQuarter: true } quarter && quarter.Last <= KpDate.Latest ? (quarter.First, quarter.Last) : null;

    public static TradeReport Compute(string participant, string period, DateOnly first, DateOnly last, IEnumerable<HeldCertificate> certificates,
        string? office = null)
    {
        var rows = new List<TradeLine>();
        var partnerTotals = new List<TradeLine>();
        var flowTotals = new List<TradeLine>();
        var counted = certificates.Where(Counts)
            .Where(c => office is null || c.Direction == CertificateDirection.Inbound || c.Summary.IssuingOffice == office).ToList();
        foreach (var byFlow in counted.GroupBy(Flow).OrderBy(g => g.Key))
        {
            foreach (var byPartner in byFlow.GroupBy(c => c.Partner).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                foreach (var byCode in byPartner.SelectMany(c => c.Summary.HsLines).GroupBy(l => l.HsCode).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    rows.Add(new TradeLine(byFlow.Key, byPartner.Key, byCode.Key,
                        byPartner.Count(c => c.Summary.HsLines.Any(l => l.HsCode == byCode.Key)),
                        byCode.Sum(l => l.Carats.Hundredths), byCode.Sum(l => l.Value.Cents)));
                }

                partnerTotals.Add(Total(byFlow.Key, byPartner.Key, byPartner));
            }

            flowTotals.Add(Total(byFlow.Key, "", byFlow));
        }

        var unconfirmed = counted.Where(c => c.Direction == CertificateDirection.Outbound
            && c.Status is CertificateStatus.Issued or CertificateStatus.Delivered or CertificateStatus.Expired).ToList();
        var officeTotals = counted.Where(c => c.Direction == CertificateDirection.Outbound && c.Summary.IssuingOffice is not null)
            .GroupBy(c => (Office: c.Summary.IssuingOffice!, c.Partner)).OrderBy(g => g.Key.Office, StringComparer.Ordinal).ThenBy(g => g.Key.Partner, StringComparer.Ordinal)
            .Select(g => Total(TradeFlow.Export, g.Key.Partner, g) with { Office = g.Key.Office }).ToList();
        return new TradeReport(participant, period, first, last, rows, partnerTotals, flowTotals, unconfirmed) { OfficeTotals = officeTotals, Office = office };
    }

    private static bool Counts(HeldCertificate c) => c.Status is not
        (CertificateStatus.Voided or CertificateStatus.Rejected or CertificateStatus.Undeliverable);

    private static TradeFlow Flow(HeldCertificate c) =>
        c.Direction == CertificateDirection.Outbound ? TradeFlow.Export : TradeFlow.Import;

    private static TradeLine Total(TradeFlow flow, string partner, IEnumerable<HeldCertificate> certificates)
    {
        var list = certificates.ToList();
        return new TradeLine(flow, partner, "", list.Count, list.Sum(c => c.Summary.Carats.Hundredths), list.Sum(c => c.Summary.Value.Cents));
    }
}
