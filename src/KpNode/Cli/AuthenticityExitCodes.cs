using KpNode.Wire.V1;

namespace KpNode.Cli;

/// <summary>
/// The exit codes of <c>kpnode cert check</c>, one per verdict, so a script can tell them apart. 1 stays every
/// command's code for an error (bad option, node unreachable, issuer not answering); 2 is left unused.
/// </summary>
internal static class AuthenticityExitCodes
{
    public const int Genuine = 0;
    public const int Mismatch = 3;
    public const int Voided = 4;
    public const int Expired = 5;
    public const int NotDelivered = 6;
    public const int Unknown = 7;

    /// <summary>The exit code for an issuer's verdict; a verdict this version does not know counts as unknown.</summary>
    public static int Of(AuthenticityVerdict verdict) => verdict switch
    {
        AuthenticityVerdict.Genuine => Genuine,
        AuthenticityVerdict.Mismatch => Mismatch,
        AuthenticityVerdict.Voided => Voided,
        AuthenticityVerdict.Expired => Expired,
        AuthenticityVerdict.NotDelivered => NotDelivered,
        _ => Unknown,
    };

    /// <summary>The table printed in <c>--help</c>.</summary>
    public const string Help =
        "Exit codes: 0 GENUINE (valid today, figures match), 3 MISMATCH (figures differ), 4 VOIDED, 5 EXPIRED, "
        + "6 NOT DELIVERED (refused by or never delivered to the importer's node), 7 UNKNOWN (no such certificate issued to us), "
        + "1 error (bad option, node or issuer unreachable).";
}
