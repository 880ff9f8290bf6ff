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
        foreach (var ch in displayName)
        {
            var folded = Fold(ch);
            if (folded.Length > 0)
            {
                if (gap && id.Length > 0)
                    id.Append('.');
                gap = false;
                id.Append(folded);
            }
            else
            {
                gap = true;
            }
        }

        var result = id.Length > 64 ? id.ToString(0, 64).TrimEnd('.') : id.ToString();
        return ParticipantIdentity.IsValidOperatorName(result) ? result : null;
    }

    // The node runs with invariant globalization, where string.Normalize leaves non-ASCII letters as they are; so the
    // Latin letters with diacritics are folded from this table (what Unicode decomposition gives for U+00C0-U+024F).
    private static readonly Dictionary<char, string> Latin = BuildLatin();

    private static string Fold(char ch)
    {
        var c = char.ToLowerInvariant(ch);
        if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_')
            return c.ToString();
        return Latin.GetValueOrDefault(c, "");
    }

    private static Dictionary<char, string> BuildLatin()
    {
        var table = new Dictionary<char, string>
        {
            ['ß'] = "ss",
            ['æ'] = "ae",
            ['œ'] = "oe",
            ['ø'] = "o",
            ['đ'] = "d",
            ['ł'] = "l",
            ['þ'] = "th",
            ['ð'] = "d",
            ['ı'] = "i",
        };
        foreach (var (ascii, letters) in new[]
                 {
                     ("a", "àáâãäåāăąǎǟǡǻȁȃȧ"), ("c", "çćĉċč"), ("d", "ď"), ("e", "èéêëēĕėęěȅȇȩ"), ("g", "ĝğġģǧǵ"),
                     ("h", "ĥȟ"), ("i", "ìíîïĩīĭįǐȉȋ"), ("j", "ĵǰ"), ("k", "ķǩ"), ("l", "ĺļľ"), ("n", "ñńņňǹ"),
                     ("o", "òóôõöōŏőơǒǫǭȍȏȫȭȯȱ"), ("r", "ŕŗřȑȓ"), ("s", "śŝşšș"), ("t", "ţťț"),
                     ("u", "ùúûüũūŭůűųưǔǖǘǚǜȕȗ"), ("w", "ŵ"), ("y", "ýÿŷȳ"), ("z", "źżž"),
                 })
        {
            foreach (var letter in letters)
                table[letter] = ascii;
        }
        return table;
    }

    /// <summary>
    /// The display name in an operator certificate's CN ("KP ZA Operator N. Dlamini" → "N. Dlamini"), or null when the
    /// CN is not of that form or its name fails <see cref="DisplayNameProblem"/>: the certificate is ours, but its text
    /// goes into the audit log and history, so the same rule holds as at <c>pki request</c>.
    /// </summary>
    public static string? DisplayNameIn(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string participant)
    {
        var cn = certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(r => !r.HasMultipleElements && r.GetSingleElementType().Value == "2.5.4.3")
            .Select(r => r.GetSingleElementValue()).FirstOrDefault();
        var prefix = $"KP {participant} Operator ";
        if (cn is null || !cn.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        var display = cn[prefix.Length..];
        return DisplayNameProblem(display) is null ? display : null;
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
