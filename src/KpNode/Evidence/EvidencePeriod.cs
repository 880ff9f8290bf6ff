using System.Globalization;
using System.Text.RegularExpressions;

namespace KpNode.Evidence;

/// <summary>A calendar period an export covers: a quarter (2026Q4), a month (2026-11) or a year (2026), in UTC.</summary>
internal sealed record EvidencePeriod(string Label, DateTime From, DateTime Until)
{
    public static EvidencePeriod? Parse(string? text)
    {
        text = text?.Trim() ?? "";
        var quarter = Regex.Match(text, @"^(\d{4})Q([1-4])$");
        if (quarter.Success)
        {
            var from = new DateTime(Year(quarter), (int.Parse(quarter.Groups[2].Value, CultureInfo.InvariantCulture) - 1) * 3 + 1, 1, 0, 0, 0, DateTimeKind.Utc);
            return new EvidencePeriod(text, from, from.AddMonths(3));
        }

        var month = Regex.Match(text, @"^(\d{4})-(0[1-9]|1[0-2])$");
        if (month.Success)
        {
            var from = new DateTime(Year(month), int.Parse(month.Groups[2].Value, CultureInfo.InvariantCulture), 1, 0, 0, 0, DateTimeKind.Utc);
            return new EvidencePeriod(text, from, from.AddMonths(1));
        }

        var year = Regex.Match(text, @"^(\d{4})$");
        if (year.Success)
        {
            var from = new DateTime(Year(year), 1, 1, 0, 0, 0, DateTimeKind.Utc);
            return new EvidencePeriod(text, from, from.AddYears(1));
        }

        return null;
    }

    private static int Year(Match match) => Math.Max(1, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));

    public bool Contains(DateTime at) => at >= From && at < Until;
}
