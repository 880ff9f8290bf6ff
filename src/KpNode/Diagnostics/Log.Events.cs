namespace KpNode.Diagnostics;

/// <summary>The event stream's watchers on the Local API (events 1791-1799).</summary>
internal static partial class Log
{
    [LoggerMessage(1791, LogLevel.Information, "Operator {Operator} watches the node's events after cursor {Cursor}", EventName = "WatchStarted")]
    public static partial void WatchStarted(ILogger logger, string @operator, long cursor);

    [LoggerMessage(1792, LogLevel.Information, "Operator {Operator} stopped watching after cursor {Cursor} ({Sent} events sent)", EventName = "WatchEnded")]
    public static partial void WatchEnded(ILogger logger, string @operator, long cursor, long sent);

    [LoggerMessage(1793, LogLevel.Information, "The watch of operator {Operator} ends with the node after cursor {Cursor} ({Sent} events sent); it may reconnect with that cursor", EventName = "WatchEndedByStop")]
    public static partial void WatchEndedByStop(ILogger logger, string @operator, long cursor, long sent);

    [LoggerMessage(1794, LogLevel.Warning, "Refused a watch of operator {Operator}: {Reason}", EventName = "WatchRefused")]
    public static partial void WatchRefused(ILogger logger, string @operator, string reason);
}
