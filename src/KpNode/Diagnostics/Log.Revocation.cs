namespace KpNode.Diagnostics;

/// <summary>Revocation lists published, received and enforced (events 1710-1719, 1810-1819).</summary>
internal static partial class Log
{
    [LoggerMessage(1710, LogLevel.Information, "Published revocation list {Number} of {Participant} ({Entries} revoked); notice queued for {Partners}")]
    public static partial void RevocationListPublished(ILogger logger, string participant, long number, int entries, string partners);

    [LoggerMessage(1711, LogLevel.Warning, "Holding revocation list {Number} of partner {Partner}: {Entries} of its certificates revoked")]
    public static partial void RevocationListReceived(ILogger logger, string partner, long number, int entries);

    [LoggerMessage(1712, LogLevel.Warning, "Refused: {Revocation}")]
    public static partial void RevokedCertificateRefused(ILogger logger, string revocation);

    [LoggerMessage(1713, LogLevel.Error, "The revocation list of {Participant} held in the store does not verify and is not enforced: {Reason}")]
    public static partial void StoredRevocationListInvalid(ILogger logger, string participant, string reason);

    [LoggerMessage(1714, LogLevel.Error, "Our signing certificate is revoked: {Revocation}; install a new one with 'kpnode pki request --purpose signing'")]
    public static partial void OwnSigningCertificateRevoked(ILogger logger, string revocation);

    [LoggerMessage(1810, LogLevel.Information, "Revocation list {Number} of {Participant} had not been sent to {Partners}: notice queued")]
    public static partial void RevocationNoticeQueuedForNewPartners(ILogger logger, string participant, long number, string partners);
}
