namespace KpNode.Diagnostics;

/// <summary><c>kpnode simulate</c>: the run itself, its faults and its verdict (events 1820-1839).</summary>
internal static partial class Log
{
    [LoggerMessage(1820, LogLevel.Information, "Simulating {Days} days of KP trade: {Participants} nodes, {Certificates} certificates, seed {Seed}, in {Root}")]
    public static partial void SimulationStarted(ILogger logger, int days, int participants, int certificates, int seed, string root);

    [LoggerMessage(1821, LogLevel.Information, "Simulated outage: stopped {Participant}'s node on day {Day}")]
    public static partial void SimulatedNodeStopped(ILogger logger, string participant, int day);

    [LoggerMessage(1822, LogLevel.Information, "Simulated outage over: restarted {Participant}'s node on day {Day}, after {DaysDown} days down")]
    public static partial void SimulatedNodeRestarted(ILogger logger, string participant, int day, int daysDown);

    [LoggerMessage(1823, LogLevel.Warning, "Simulation check failed: {Problem}")]
    public static partial void SimulationCheckFailed(ILogger logger, string problem);

    [LoggerMessage(1824, LogLevel.Information, "Simulation finished in {Seconds:F1} s: {Issued} certificates, {Lost} lost, {Duplicated} held twice, {PairsDiffering} pairs differing, {StatisticsDiffering} statistics differing")]
    public static partial void SimulationFinished(ILogger logger, double seconds, int issued, int lost, int duplicated, int pairsDiffering, int statisticsDiffering);

    [LoggerMessage(1825, LogLevel.Information, "Simulated restore: backed up {Participant}'s node on day {Day} to {File}")]
    public static partial void SimulatedBackupTaken(ILogger logger, string participant, int day, string file);

    [LoggerMessage(1826, LogLevel.Information, "Simulated restore: {Participant}'s node restored on day {Day} from its backup of day {BackupDay}; reconciliation brought back {Restored} messages")]
    public static partial void SimulatedNodeRestored(ILogger logger, string participant, int day, int backupDay, int restored);
}
