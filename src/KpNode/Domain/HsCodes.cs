namespace KpNode.Domain;

/// <summary>The HS subheadings a KP certificate may carry, and why others may not.</summary>
internal static class HsCodes
{
    /// <summary>Unsorted rough diamonds.</summary>
    public const string Unsorted = "7102.10";

    /// <summary>Industrial rough diamonds.</summary>
    public const string Industrial = "7102.21";

    /// <summary>Non-industrial (gem) rough diamonds.</summary>
    public const string NonIndustrial = "7102.31";

    /// <summary>The three subheadings in KP scope, in HS order.</summary>
    public static IReadOnlyList<string> Valid { get; } = [Unsorted, Industrial, NonIndustrial];

    /// <summary>True for 7102.10, 7102.21 and 7102.31, written exactly so.</summary>
    public static bool IsValid(string? code) => code is Unsorted or Industrial or NonIndustrial;

    /// <summary>
    /// What a code means: the rough-diamond subheadings, and the neighbours an officer is likely to
    /// type by mistake (worked and synthetic stones); null for anything else.
    /// </summary>
    public static string? Describe(string? code) => Canonical(code) switch
    {
        Unsorted => "unsorted rough diamonds (not yet graded into industrial and non-industrial)",
        Industrial => "industrial rough diamonds, unworked or simply sawn, cleaved or bruted",
        NonIndustrial => "non-industrial (gem) rough diamonds, unworked or simply sawn, cleaved or bruted",
        "7102.29" => "industrial diamonds, worked",
        "7102.39" => "non-industrial diamonds, worked (polished)",
        "7102" => "diamonds (heading only, without a subheading)",
        var c when IsSynthetic(c) => "synthetic or reconstructed precious or semi-precious stones",
        _ => null,
    };

    /// <summary>True for heading 7104 and its subheadings (synthetic or reconstructed stones), however written.</summary>
    public static bool IsSynthetic(string? code) => Canonical(code) is { } c && c.StartsWith("7104", StringComparison.Ordinal);

    /// <summary>
    /// Why a code cannot stand on a KP certificate, in words an officer can act on; null when it can.
    /// </summary>
    public static string? RefusalReason(string? code)
    {
        if (IsValid(code))
            return null;
        if (string.IsNullOrWhiteSpace(code))
            return $"the HS code is missing; use {ValidList}";

        var canonical = Canonical(code);
        if (IsValid(canonical))
            return $"write the HS code as {canonical}";
        if (IsSynthetic(canonical))
            return $"{code} is synthetic or reconstructed stones: synthetic diamonds need no Kimberley Process certificate, so none is issued";
        if (canonical is "7102.29" or "7102.39")
            return $"{code} is {Describe(canonical)}, which is outside the Kimberley Process; only rough diamonds ({ValidList}) take a certificate";
        if (canonical == "7102")
            return $"name the subheading: {ValidList}";
        return $"{code} is not a rough-diamond HS code in Kimberley Process scope; use {ValidList}";
    }

    private const string ValidList = "7102.10, 7102.21 or 7102.31";

    // Officers type "710231", "7102.31.00" (national tariff lines) or "7102 31": bring those to
    // the dotted six-digit form so the explanation can name what they meant.
    private static string? Canonical(string? code)
    {
        if (code is null)
            return null;
        var digits = new string(code.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length != code.Count(ch => ch is not ('.' or ' ')) || digits.Length < 4)
            return code;
        if (digits.Length == 4)
            return digits;
        if (digits.Length > 6 && digits[6..].Any(d => d != '0'))
            return code;
        return digits.Length >= 6 ? $"{digits[..4]}.{digits[4..6]}" : code;
    }
}
