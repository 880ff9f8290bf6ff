namespace KpNode.Diagnostics;

/// <summary>The partner set reloaded while the node runs (events 1740-1749).</summary>
internal static partial class Log
{
    [LoggerMessage(1740, LogLevel.Information, "Operator {Operator} reloaded the partners from {Config}: {Changes}", EventName = "PartnersReloaded")]
    public static partial void PartnersReloaded(ILogger logger, string @operator, string config, string changes);

    [LoggerMessage(1741, LogLevel.Warning, "Operator {Operator} asked to reload the partners; the node keeps the partners it has: {Problem}", EventName = "PartnersReloadRefused")]
    public static partial void PartnersReloadRefused(ILogger logger, string @operator, string problem);
}
