namespace KpNode.Domain;

/// <summary>A carat weight, exact to the hundredth of a carat as KP certificates state it.</summary>
internal readonly record struct Carats(long Hundredths)
{
    /// <summary>Reads "1204.5", "1,204.50" or "1,204.50 ct"; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static Carats Parse(string text) =>
        TryParse(text, out var carats, out var error) ? carats : throw new FormatException(error);

    /// <summary>Reads a carat weight as typed by an officer; false for anything not exact to two decimals.</summary>
    public static bool TryParse(string? text, out Carats carats) => TryParse(text, out carats, out _);

    /// <summary>As <see cref="TryParse(string?, out Carats)"/>, with the reason for refusing, for the CLI to show.</summary>
    public static bool TryParse(string? text, out Carats carats, out string error)
    {
        var s = text?.Trim() ?? "";
        if (s.EndsWith("ct", StringComparison.Ordinal))
            s = s[..^2];
        var ok = ExactAmount.TryParse(s, out var hundredths, out error);
        carats = new Carats(hundredths);
        return ok;
    }

    /// <summary>"1,204.50 ct".</summary>
    public override string ToString() => $"{ExactAmount.Format(Hundredths)} ct";
}
