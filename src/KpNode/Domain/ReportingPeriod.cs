using System.Globalization;
using System.Text.RegularExpressions;

namespace KpNode.Domain;

/// <summary>
/// A calendar period as a KP authority names one: a quarter (2026Q4, the statistics' period), a month (2026-11) or a
/// year (2026), in UTC; one parser for statistics, evidence exports and reconciliation.
/// </summary>
internal sealed record ReportingPeriod(string Label, DateTime From, DateTime Until)
{
    /// <summary>Its first day.</summary>
    public DateOnly First => DateOnly.FromDateTime(From);

    /// <summary>Its last day.</summary>
    public DateOnly Last => DateOnly.FromDateTime(Until).AddDays(-1);

    public bool IsQuarter => Label.Length == 6 && Label[4] == 'Q';

    /// <summary>The quarter <paramref name="day"/> falls in, e.g. 2026Q4.</summary>
    public static ReportingPeriod QuarterOf(DateOnly day) => Parse($"{day.Year:D4}Q{(day.Month - 1) / 3 + 1}")!;

    public static ReportingPeriod? Parse(string? text)
    {
        text = text?.Trim() ?? "";
        if (text.Length >= 4 && int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var y) && y is < 2000 or > 9998)
            return null;
        var quarter = Regex.Match(text, @"^(\d{4})Q([1-4])$");
        if (quarter.Success)
        {
            var from = new DateTime(Year(quarter), (int.Parse(quarter.Groups[2].Value, CultureInfo.InvariantCulture) - 1) * 3 + 1, 1, 0, 0, 0, DateTimeKind.Utc);
            return new ReportingPeriod(text, from, from.AddMonths(3));
        }

        var month = Regex.Match(text, @"^(\d{4})-(0[1-9]|1[0-2])$");
        if (month.Success)
        {
            var from = new DateTime(Year(month), int.Parse(month.Groups[2].Value, CultureInfo.InvariantCulture), 1, 0, 0, 0, DateTimeKind.Utc);
            return new ReportingPeriod(text, from, from.AddMonths(1));
        }

        var year = Regex.Match(text, @"^(\d{4})$");
        if (year.Success)
        {
            var from = new DateTime(Year(year), 1, 1, 0, 0, 0, DateTimeKind.Utc);
            return new ReportingPeriod(text, from, from.AddYears(1));
        }

        return null;
    }

    // A KP record is from this century; a year past 9998 has no end of period DateTime can hold.
    private static int Year(Match match) => Math.Clamp(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), 2000, 9998);

    public bool Contains(DateTime at) => at >= From && at < Until;
}
