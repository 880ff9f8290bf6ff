using System.Globalization;

namespace KpNode.Domain;

/// <summary>How the KP writes a date on a certificate, a confirmation or a message: "YYYY-MM-DD", the one spelling of that format.</summary>
internal static class KpDate
{
    public const string Format = "yyyy-MM-dd";

    /// <summary>The KPCS took effect on 2003-01-01: no KP document is dated earlier.</summary>
    public static readonly DateOnly Earliest = new(2003, 1, 1);

    /// <summary>Far enough from DateOnly's end (9999-12-31) that adding any validity period or quarter cannot overflow.</summary>
    public static readonly DateOnly Latest = new(2999, 12, 31);

    /// <summary>Whether a KP document can carry <paramref name="date"/>; refuse others before any date arithmetic.</summary>
    public static bool InRange(DateOnly date) => date >= Earliest && date <= Latest;

    /// <summary>The range a refusal names, e.g. "between 2003-01-01 and 2999-12-31".</summary>
    public static string RangeText => $"between {Text(Earliest)} (when the KPCS began) and {Text(Latest)}";

    /// <summary>The date written exactly YYYY-MM-DD, or null for anything else.</summary>
    public static DateOnly? Parse(string? text) =>
        DateOnly.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    public static string Text(DateOnly date) => date.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>The calendar date of a UTC time, written YYYY-MM-DD.</summary>
    public static string Text(DateTime utc) => Text(DateOnly.FromDateTime(utc));
}
