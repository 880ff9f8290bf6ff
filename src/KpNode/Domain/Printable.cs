using System.Globalization;
using System.Text;

namespace KpNode.Domain;

/// <summary>
/// Text from outside (a partner's message, its TLS certificate, a stored record) made safe to print on a terminal,
/// a status page or a log line: control, bidi and broken characters become visible escapes such as \u001B, so a
/// partner cannot clear an operator's screen, hide text or reorder it, and the text is cut to a bound.
/// </summary>
internal static class Printable
{
    /// <summary>Enough for any rule, reason or name a person reads; a log line stays short.</summary>
    public const int DefaultMaxLength = 1000;

    /// <summary>
    /// <paramref name="text"/> with every control (line breaks too, unless <paramref name="keepLineBreaks"/>), bidi and
    /// lone surrogate character written as \uXXXX, cut after <paramref name="maxLength"/> characters with "…".
    /// The escape is also valid inside a JSON string.
    /// </summary>
    public static string Of(string? text, int maxLength = DefaultMaxLength, bool keepLineBreaks = false)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        if (text.Length <= maxLength && IsClean(text, keepLineBreaks))
            return text; // the common case allocates nothing

        var shown = new StringBuilder(Math.Min(text.Length, maxLength) + 16);
        for (var i = 0; i < text.Length && i < maxLength; i++)
        {
            var ch = text[i];
            if (char.IsHighSurrogate(ch) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                shown.Append(ch).Append(text[++i]);
                continue;
            }

            if (NeedsEscape(ch, keepLineBreaks))
                shown.Append(CultureInfo.InvariantCulture, $"\\u{(int)ch:X4}");
            else
                shown.Append(ch);
        }

        if (text.Length > maxLength)
            shown.Append(CultureInfo.InvariantCulture, $"… ({text.Length:N0} characters)");
        return shown.ToString();
    }

    private static bool IsClean(string text, bool keepLineBreaks)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (char.IsHighSurrogate(ch) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (NeedsEscape(ch, keepLineBreaks))
                return false;
        }

        return true;
    }

    private static bool NeedsEscape(char ch, bool keepLineBreaks) =>
        !(keepLineBreaks && ch == '\n') && (char.IsControl(ch) || char.IsSurrogate(ch) || FreeText.IsBidiControl(ch));
}
