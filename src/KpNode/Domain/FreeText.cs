namespace KpNode.Domain;

/// <summary>
/// The rule for every free-text field a person or a partner writes (names, addresses, remarks, reasons): bounded in
/// length and free of characters that hide or reorder text, so that what is signed and shown is what was checked.
/// </summary>
internal static class FreeText
{
    public static void CheckRequired(string field, string? text, string what, int maxLength, bool allowLineBreaks, List<Violation> violations)
    {
        if (string.IsNullOrWhiteSpace(text))
            violations.Add(new Violation(field, $"{what} is missing"));
        else
            Check(field, text, what, maxLength, allowLineBreaks, violations);
    }

    public static void CheckOptional(string field, string? text, string what, int maxLength, bool allowLineBreaks, List<Violation> violations)
    {
        if (!string.IsNullOrEmpty(text))
            Check(field, text, what, maxLength, allowLineBreaks, violations);
    }

    public static void Check(string field, string text, string what, int maxLength, bool allowLineBreaks, List<Violation> violations)
    {
        if (text.Length > maxLength)
            violations.Add(new Violation(field, $"too long: {text.Length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} characters, where at most {maxLength.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} are allowed in {what}"));
        if (FirstForbiddenCharacter(text, allowLineBreaks) is { } bad)
            violations.Add(new Violation(field, char.IsSurrogate(bad)
                ? $"there is a broken character (U+{(int)bad:X4}) in {what}, which cannot be signed faithfully; retype the text"
                : $"there is an invisible control character (U+{(int)bad:X4}) in {what}; remove it"));
    }

    // Control characters hide or reorder text on a printed or displayed certificate (bidi
    // overrides can make "7102.31" read otherwise), and a lone surrogate would be altered by
    // UTF-8 encoding, so what is signed would differ from what was checked.
    public static char? FirstForbiddenCharacter(string text, bool allowLineBreaks)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (char.IsHighSurrogate(ch) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (ch == '\n' && allowLineBreaks)
                continue;
            if (char.IsSurrogate(ch) || char.IsControl(ch) || IsBidiControl(ch))
                return ch;
        }
        return null;
    }

    public static bool IsBidiControl(char ch) =>
        ch is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
