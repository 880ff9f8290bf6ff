namespace KpNode.Diagnostics;

/// <summary>Reconciliation of the history shared with partners (events 1780-1789).</summary>
internal static partial class Log
{
    [LoggerMessage(1780, LogLevel.Information, "History with {Partner} matches through {Through} ({Messages} messages compared)", EventName = "HistoryMatches")]
    public static partial void HistoryMatches(ILogger logger, string partner, string through, int messages);

    [LoggerMessage(1781, LogLevel.Warning, "History with {Partner} differs on {Count} message(s) through {Through}: {Differences}", EventName = "HistoryDiffers")]
    public static partial void HistoryDiffers(ILogger logger, string partner, int count, string through, string differences);

    [LoggerMessage(1782, LogLevel.Information, "Restored message {MessageId} (certificate {Certificate}) from {Partner}'s copy", EventName = "HistoryRestored")]
    public static partial void HistoryRestored(ILogger logger, string messageId, string certificate, string partner);

    [LoggerMessage(1783, LogLevel.Warning, "Could not reconcile the history with {Partner}: {Reason}; the next try is in {Retry}", EventName = "HistoryReconcileFailed")]
    public static partial void HistoryReconcileFailed(ILogger logger, string partner, string reason, TimeSpan retry);
}
