using System.Globalization;
using KpNode.Domain;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

/// <summary>
/// A participant's quarterly KP trade statistics from its own records: certificates, carats and US$ by flow,
/// partner and HS code, with exact integer totals, and the exports never confirmed by their importers.
/// Certificates count in the quarter of their date of issue; voided, rejected and undeliverable ones are not trade.
/// </summary>
internal static class TradeStatistics
{
    /// <summary>Parses "2026Q3" into its first and last day; null when it is not a quarter.</summary>
    public static (DateOnly First, DateOnly Last)? ParsePeriod(string period)
    {
        if (period.Length != 6 || period[4] != 'Q' || !int.TryParse(period.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            || year < 2000 || period[5] is < '1' or > '4')
        {
            return null;
        }

        var first = new DateOnly(year, (period[5] - '1') * 3 + 1, 1);
        return (first, first.AddMonths(3).AddDays(-1));
    }

    public static GetStatisticsResponse Compute(string participant, string period, DateOnly first, DateOnly last,
        IEnumerable<HeldCertificate> certificates)
    {
        var response = new GetStatisticsResponse
        {
            Participant = participant,
            Period = period,
            FirstDay = KpDate.Text(first),
            LastDay = KpDate.Text(last),
        };
        var counted = certificates.Where(Counts).ToList();
        foreach (var byFlow in counted.GroupBy(Flow).OrderBy(g => g.Key))
        {
            foreach (var byPartner in byFlow.GroupBy(c => c.Partner).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                foreach (var byCode in byPartner.SelectMany(c => c.Summary.HsLines).GroupBy(l => l.HsCode).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    response.Rows.Add(new TradeRow
                    {
                        Flow = byFlow.Key,
                        Partner = byPartner.Key,
                        HsCode = byCode.Key,
                        Certificates = byPartner.Count(c => c.Summary.HsLines.Any(l => l.HsCode == byCode.Key)),
                        CaratsHundredths = byCode.Sum(l => l.Carats.Hundredths),
                        ValueUsdCents = byCode.Sum(l => l.Value.Cents),
                    });
                }

                response.PartnerTotals.Add(Total(byFlow.Key, byPartner.Key, byPartner));
            }

            response.FlowTotals.Add(Total(byFlow.Key, "", byFlow));
        }

        foreach (var c in counted.Where(c => c.Direction == Domain.CertificateDirection.Outbound
                     && c.Status is Domain.CertificateStatus.Issued or Domain.CertificateStatus.Delivered or Domain.CertificateStatus.Expired))
        {
            response.Unconfirmed.Add(new UnconfirmedCertificate
            {
                Number = c.Number,
                Partner = c.Partner,
                DateOfIssue = KpDate.Text(c.Summary.DateOfIssue),
                DateOfExpiry = KpDate.Text(c.Summary.DateOfExpiry),
                Status = StatusMapping.ToWire(c.Status),
            });
        }

        return response;
    }

    private static bool Counts(HeldCertificate c) => c.Status is not
        (Domain.CertificateStatus.Voided or Domain.CertificateStatus.Rejected or Domain.CertificateStatus.Undeliverable);

    private static TradeFlow Flow(HeldCertificate c) =>
        c.Direction == Domain.CertificateDirection.Outbound ? TradeFlow.Export : TradeFlow.Import;

    private static TradeRow Total(TradeFlow flow, string partner, IEnumerable<HeldCertificate> certificates)
    {
        var list = certificates.ToList();
        return new TradeRow
        {
            Flow = flow,
            Partner = partner,
            Certificates = list.Count,
            CaratsHundredths = list.Sum(c => c.Summary.Carats.Hundredths),
            ValueUsdCents = list.Sum(c => c.Summary.Value.Cents),
        };
    }

    /// <summary>The statistics as CSV in the layout of a KP statistics submission: one line per flow, partner and HS code.</summary>
    public static string ToCsv(GetStatisticsResponse s)
    {
        var csv = new System.Text.StringBuilder();
        csv.AppendLine("participant,period,flow,partner,hs_code,certificates,carats,value_usd");
        void Line(TradeRow r, string partner, string code) => csv.AppendLine(string.Join(",",
            s.Participant, s.Period, r.Flow == TradeFlow.Export ? "export" : "import", partner, code,
            r.Certificates.ToString(CultureInfo.InvariantCulture), Decimal2(r.CaratsHundredths), Decimal2(r.ValueUsdCents)));
        foreach (var r in s.Rows) Line(r, r.Partner, r.HsCode);
        foreach (var r in s.PartnerTotals) Line(r, r.Partner, "all");
        foreach (var r in s.FlowTotals) Line(r, "all", "all");
        return csv.ToString();
    }

    /// <summary>An exact amount in hundredths written with two decimals, no thousands separator (for CSV).</summary>
    public static string Decimal2(long hundredths) =>
        (hundredths < 0 ? "-" : "") + (Math.Abs(hundredths) / 100).ToString(CultureInfo.InvariantCulture) + "."
        + (Math.Abs(hundredths) % 100).ToString("00", CultureInfo.InvariantCulture);
}
