using System.Globalization;
using KpNode.Domain;

namespace KpNode.Wire;

/// <summary>Trade statistics on the Local API, and as the CSV of a KP statistics submission.</summary>
internal static class StatisticsMapping
{
    public static V1.GetStatisticsResponse ToResponse(TradeReport report)
    {
        var response = new V1.GetStatisticsResponse
        {
            Participant = report.Participant,
            Period = report.Period,
            FirstDay = KpDate.Text(report.FirstDay),
            LastDay = KpDate.Text(report.LastDay),
        };
        response.Rows.AddRange(report.Rows.Select(ToRow));
        response.PartnerTotals.AddRange(report.PartnerTotals.Select(ToRow));
        response.FlowTotals.AddRange(report.FlowTotals.Select(ToRow));
        response.OfficeTotals.AddRange(report.OfficeTotals.Select(ToRow));
        response.Office = report.Office ?? "";
        response.Unconfirmed.AddRange(report.Unconfirmed.Select(c => new V1.UnconfirmedCertificate
        {
            Number = c.Number,
            Partner = c.Partner,
            DateOfIssue = KpDate.Text(c.Summary.DateOfIssue),
            DateOfExpiry = KpDate.Text(c.Summary.DateOfExpiry),
            Status = StatusMapping.ToWire(c.Status),
        }));
        return response;
    }

    private static V1.TradeRow ToRow(TradeLine l) => new()
    {
        Flow = l.Flow == TradeFlow.Export ? V1.TradeFlow.Export : V1.TradeFlow.Import,
        Partner = l.Partner,
        HsCode = l.HsCode,
        Certificates = l.Certificates,
        CaratsHundredths = l.CaratsHundredths,
        ValueUsdCents = l.ValueUsdCents,
        Office = l.Office,
    };

    /// <summary>The statistics as CSV in the layout of a KP statistics submission: one line per flow, partner and HS code.</summary>
    public static string ToCsv(V1.GetStatisticsResponse s)
    {
        var csv = new System.Text.StringBuilder();
        // The last two columns name each export never confirmed (flow "never-confirmed"), one row per certificate.
        csv.AppendLine("participant,period,flow,partner,hs_code,certificates,carats,value_usd,certificate,status");
        void Line(V1.TradeRow r, string partner, string code) => csv.AppendLine(string.Join(",",
            s.Participant, s.Period, r.Flow == V1.TradeFlow.Export ? "export" : "import", partner, code,
            r.Certificates.ToString(CultureInfo.InvariantCulture), Decimal2(r.CaratsHundredths), Decimal2(r.ValueUsdCents), "", ""));
        foreach (var r in s.Rows) Line(r, r.Partner, r.HsCode);
        foreach (var r in s.PartnerTotals) Line(r, r.Partner, "all");
        foreach (var r in s.FlowTotals) Line(r, "all", "all");
        foreach (var u in s.Unconfirmed)
            csv.AppendLine(string.Join(",", s.Participant, s.Period, "never-confirmed", u.Partner, "", "1", "", "", u.Number, StatusMapping.Name(u.Status)));
        return csv.ToString();
    }

    /// <summary>An exact amount in hundredths written with two decimals, no thousands separator (for CSV).</summary>
    public static string Decimal2(long hundredths) =>
        (hundredths < 0 ? "-" : "") + (Math.Abs(hundredths) / 100).ToString(CultureInfo.InvariantCulture) + "."
        + (Math.Abs(hundredths) % 100).ToString("00", CultureInfo.InvariantCulture);
}
