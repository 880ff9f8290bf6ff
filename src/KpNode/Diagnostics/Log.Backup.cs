namespace KpNode.Diagnostics;

/// <summary>Backups of the store (events 1770-1779).</summary>
internal static partial class Log
{
    [LoggerMessage(1770, LogLevel.Information,
        "Backup taken for {Operator}: as of {TakenAt:O}, audit head {HeadId}, {Bytes} bytes; writes paused {PausedMs:F1} ms for the cut",
        EventName = "BackupTaken")]
    public static partial void BackupTaken(ILogger logger, string @operator, DateTimeOffset takenAt, long headId, long bytes, double pausedMs);

    [LoggerMessage(1771, LogLevel.Warning, "A backup for {Operator} failed and nothing was kept: {Reason}", EventName = "BackupFailed")]
    public static partial void BackupFailed(ILogger logger, string @operator, string reason);
}
