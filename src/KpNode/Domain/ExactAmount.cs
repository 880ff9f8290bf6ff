using System.Globalization;

namespace KpNode.Domain;

/// <summary>Reads and writes amounts kept as whole hundredths (carats, US cents) without ever passing through floating point.</summary>
internal static class ExactAmount
{
    private static readonly NumberFormatInfo Invariant = NumberFormatInfo.InvariantInfo;

    /// <summary>"1,204.50" for 120450: invariant culture, thousands separators, always two decimals.</summary>
    public static string Format(long hundredths) =>
        // decimal holds every long exactly, so long.MinValue needs no special case.
        (hundredths / 100m).ToString("#,##0.00", Invariant);

    /// <summary>
    /// Parses "1204.5", "1,204.50" or "-3" into hundredths. At most two decimals: a third would be
    /// silently rounded by anything else, and a certificate figure must be what the officer typed.
    /// </summary>
    public static bool TryParse(string? text, out long hundredths, out string error)
    {
        hundredths = 0;
        error = "";
        var s = text?.Trim() ?? "";
        if (s.Length == 0)
        {
            error = "the amount is empty";
            return false;
        }

        var negative = s[0] == '-';
        if (negative)
            s = s[1..];

        var point = s.IndexOf('.');
        var whole = point < 0 ? s : s[..point];
        var fraction = point < 0 ? "" : s[(point + 1)..];

        if (whole.Length == 0 || !whole.All(ch => char.IsAsciiDigit(ch) || ch == ','))
        {
            error = $"'{text}' is not a number; write it like 1204.50";
            return false;
        }
        if (whole.Contains(','))
        {
            // Only proper groups of three: "1,5" is a European decimal comma, not 15.
            var groups = whole.Split(',');
            if (groups[0].Length is 0 or > 3 || groups.Skip(1).Any(g => g.Length != 3))
            {
                error = $"'{text}' is not a number; use a point for decimals and no separators, like 1204.50";
                return false;
            }
            whole = string.Concat(groups);
        }
        if (point >= 0 && (fraction.Length == 0 || !fraction.All(char.IsAsciiDigit)))
        {
            error = $"'{text}' is not a number; write it like 1204.50";
            return false;
        }
        if (fraction.Length > 2)
        {
            error = $"'{text}' has more than 2 decimals; amounts are exact to the hundredth";
            return false;
        }

        var digits = whole + fraction.PadRight(2, '0');
        if (!long.TryParse(digits, NumberStyles.None, Invariant, out var magnitude))
        {
            error = $"'{text}' is too large";
            return false;
        }
        hundredths = negative ? -magnitude : magnitude;
        return true;
    }
}
