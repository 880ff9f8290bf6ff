namespace KpNode.Domain;

/// <summary>A value in US dollars, exact to the cent; the KP fixes the currency of certificate values.</summary>
internal readonly record struct UsDollars(long Cents)
{
    /// <summary>Reads "1234567.89", "1,234,567.89" or "US$ 1,234,567.89"; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static UsDollars Parse(string text) =>
        TryParse(text, out var dollars, out var error) ? dollars : throw new FormatException(error);

    /// <summary>Reads a value as typed by an officer; false for anything not exact to the cent.</summary>
    public static bool TryParse(string? text, out UsDollars dollars) => TryParse(text, out dollars, out _);

    /// <summary>As <see cref="TryParse(string?, out UsDollars)"/>, with the reason for refusing, for the CLI to show.</summary>
    public static bool TryParse(string? text, out UsDollars dollars, out string error)
    {
        var s = text?.Trim() ?? "";
        if (s.StartsWith("US$", StringComparison.Ordinal))
            s = s[3..];
        var ok = ExactAmount.TryParse(s, out var cents, out error);
        dollars = new UsDollars(cents);
        return ok;
    }

    /// <summary>"US$ 1,234,567.89".</summary>
    public override string ToString() => $"US$ {ExactAmount.Format(Cents)}";
}
