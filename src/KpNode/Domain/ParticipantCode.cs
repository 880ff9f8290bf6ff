namespace KpNode.Domain;

/// <summary>The shape of a participant code as configuration, certificates and identities carry it: 2 to 8 capitals or digits, a capital first.</summary>
internal static class ParticipantCode
{
    public static bool IsWellFormed(string? code) =>
        code is { Length: >= 2 and <= 8 } && char.IsAsciiLetterUpper(code[0]) && code.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9'));
}
