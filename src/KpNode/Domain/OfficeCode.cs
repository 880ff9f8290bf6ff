namespace KpNode.Domain;

/// <summary>The code of one issuing office of a participant (the EU's Union authorities), e.g. BE-ANTWERP.</summary>
internal static class OfficeCode
{
    /// <summary>The member state's ISO code, '-', then capital letters, digits or '-' (at most 32 in all).</summary>
    public static bool IsWellFormed(string? office) =>
        office is { Length: >= 4 and <= 32 }
        && office[0] is >= 'A' and <= 'Z' && office[1] is >= 'A' and <= 'Z' && office[2] == '-' && office[^1] != '-'
        && office[3..].All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-');
}
