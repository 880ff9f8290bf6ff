using System.Globalization;
using System.Text;

namespace KpNode.Trust;

/// <summary>
/// An operator is a named person: the display name ("N. Dlamini") is the certificate's CN, read by people; the id
/// ("n.dlamini") is its <c>kp:operator:</c> URI, read by the node and its audit log, so it keeps to URI-safe characters.
/// </summary>
internal static class OperatorNames
{
    public const int MaxDisplayLength = 64;

    /// <summary>
    /// The id for a display name: letters without their accents, lower case, digits, '-' and '_' kept, and every run of
    /// anything else (spaces, dots, apostrophes) one '.', e.g. "N. Dlamini" → "n.dlamini", "Zoë O'Brien" → "zoe.o.brien".
    /// Null when nothing URI-safe is left (a name in another script): then the id is given explicitly.
    /// </summary>
    public static string? IdFor(string displayName)
    {
        var id = new StringBuilder();
        var gap = false;
        foreach (var ch in displayName.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark)
                continue;
            var c = char.ToLowerInvariant(ch);
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_')
            {
                if (gap && id.Length > 0)
                    id.Append('.');
                gap = false;
                id.Append(c);
            }
            else
            {
                gap = true;
            }
        }

        var result = id.Length > 64 ? id.ToString(0, 64).TrimEnd('.') : id.ToString();
        return ParticipantIdentity.IsValidOperatorName(result) ? result : null;
    }

    /// <summary>Why a display name cannot go into a certificate, or null: printable text of 1-64 characters, no control or bidi characters.</summary>
    public static string? DisplayNameProblem(string displayName)
    {
        if (displayName.Trim().Length == 0)
            return "an operator's name cannot be empty";
        if (displayName.Length > MaxDisplayLength)
            return $"'{Domain.Printable.Of(displayName, MaxDisplayLength)}' is longer than {MaxDisplayLength} characters";
        if (displayName != displayName.Trim())
            return $"'{displayName}' starts or ends with a space";
        if (Domain.Printable.Of(displayName) != displayName)
            return $"'{Domain.Printable.Of(displayName)}' holds control or bidi characters, which a certificate's name must not";
        return null;
    }
}
