namespace KpNode.Diagnostics;

/// <summary>Printable certificates and their QR tokens (events 1760-1769).</summary>
internal static partial class Log
{
    [LoggerMessage(1760, LogLevel.Information, "Signed a QR token for certificate {Number} for {Actor}")]
    public static partial void CertificateTokenSigned(ILogger logger, string number, string actor);

    [LoggerMessage(1761, LogLevel.Warning, "Refused to sign a QR token for certificate {Number}: {Reason}")]
    public static partial void CertificateTokenRefused(ILogger logger, string number, string reason);
}
