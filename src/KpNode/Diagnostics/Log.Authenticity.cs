using KpNode.Domain;

namespace KpNode.Diagnostics;

/// <summary>Authenticity statements kept as evidence (events 1790-1794).</summary>
internal static partial class Log
{
    public static void AuthenticityStatementKept(ILogger logger, string number, string issuer, int bytes) =>
        AuthenticityStatementKeptPrintable(logger, Printable.Of(number), issuer, bytes);

    [LoggerMessage(1790, LogLevel.Debug, "Kept {Issuer}'s signed authenticity statement on {Number} as evidence ({Bytes} bytes)", EventName = "AuthenticityStatementKept")]
    private static partial void AuthenticityStatementKeptPrintable(ILogger logger, string number, string issuer, int bytes);
}
