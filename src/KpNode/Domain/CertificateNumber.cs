using System.Globalization;
using System.Text.RegularExpressions;

namespace KpNode.Domain;

/// <summary>Certificate numbers of the form PREFIX-YYYY-NNNNNN, e.g. ZA-2026-000123.</summary>
internal static partial class CertificateNumber
{
    /// <summary>"ZA-2026-000001": the sequence zero-padded to at least six digits.</summary>
    public static string Format(string prefix, int year, long sequence)
    {
        if (!IsWellFormedPrefix(prefix))
            throw new ArgumentException($"'{prefix}' is not a certificate number prefix: two capital letters, then up to six capitals or digits", nameof(prefix));
        ArgumentOutOfRangeException.ThrowIfLessThan(year, 1000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(year, 9999);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        return string.Create(CultureInfo.InvariantCulture, $"{prefix}-{year:D4}-{sequence:D6}");
    }

    /// <summary>True for PREFIX-YYYY-NNNNNN, PREFIX being an ISO code or a configured prefix such as "BEANR".</summary>
    public static bool IsWellFormed(string? number) => number is not null && Pattern().IsMatch(number);

    /// <summary>True for a prefix a number may begin with: two capital letters, then up to six capitals or digits.</summary>
    public static bool IsWellFormedPrefix(string? prefix) => prefix is not null && PrefixPattern().IsMatch(prefix);

    /// <summary>The prefix of a well-formed number ("ZA" for ZA-2026-000123), or null.</summary>
    public static string? Prefix(string? number) =>
        IsWellFormed(number) ? number![..number!.IndexOf('-')] : null;

    // The sequence may outgrow six digits but never a long, so Format's output always matches.
    [GeneratedRegex(@"^[A-Z]{2}[A-Z0-9]{0,6}-[0-9]{4}-[0-9]{6,19}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^[A-Z]{2}[A-Z0-9]{0,6}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PrefixPattern();
}
