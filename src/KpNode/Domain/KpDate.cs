using System.Globalization;

namespace KpNode.Domain;

/// <summary>How the KP writes a date on a certificate, a confirmation or a message: "YYYY-MM-DD", the one spelling of that format.</summary>
internal static class KpDate
{
    public const string Format = "yyyy-MM-dd";

    /// <summary>The date written exactly YYYY-MM-DD, or null for anything else.</summary>
    public static DateOnly? Parse(string? text) =>
        DateOnly.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    public static string Text(DateOnly date) => date.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>The calendar date of a UTC time, written YYYY-MM-DD.</summary>
    public static string Text(DateTime utc) => Text(DateOnly.FromDateTime(utc));
}
