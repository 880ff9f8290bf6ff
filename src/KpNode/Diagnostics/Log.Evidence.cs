namespace KpNode.Diagnostics;

/// <summary>Evidence bundles exported (events 1750-1759).</summary>
internal static partial class Log
{
    [LoggerMessage(1750, LogLevel.Information, "Exported evidence for {Subject} to {Actor}: {Files} files")]
    public static partial void EvidenceExported(ILogger logger, string subject, string actor, int files);
}
