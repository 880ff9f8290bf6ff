using KpNode.Cli;
using KpNode.Diagnostics;
using KpNode.Wire.V1;

namespace KpNode.Simulation;

/// <summary>
/// The restore fault: a node backed up (<c>kpnode backup</c>, the node running), later stopped and its store replaced
/// by that backup (<c>kpnode restore</c>), then reconciled with every partner (<c>kpnode reconcile</c>), which brings
/// back from the partners' copies what it received and issued since the backup.
/// </summary>
internal sealed partial class FaultSchedule
{
    private string? _backupFile;
    private TimeSpan _backupReal;

    /// <summary>
    /// True while <paramref name="code"/>'s office must not record a confirmation or a void: between its backup and its
    /// restore. Those are the node's own messages, which reconciliation reports but cannot restore from a partner.
    /// </summary>
    public bool Holds(string code) => restore is { } r && r.Code == code && clock.Day >= r.BackupDay && clock.Day < r.RestoreDay;

    public static PlannedRestore? PlanRestore(TradePlan plan, IReadOnlyList<PlannedOutage> outages, int seed)
    {
        var random = new Random(seed * 104_729 + 3);
        var candidates = plan.Participants.Select(p => p.Code).Where(c => outages.All(o => o.Code != c)).Order(StringComparer.Ordinal).ToList();
        if (candidates.Count == 0 || plan.Days < 60)
            return null;
        var backupDay = plan.Days * 2 / 5 + random.Next(plan.Days / 10);
        return new PlannedRestore(candidates[random.Next(candidates.Count)], backupDay, backupDay + 10);
    }

    private async Task BackupAsync(PlannedRestore r, CancellationToken ct)
    {
        var node = network[r.Code];
        _backupFile = Path.Combine(network.Root, "backups", $"{r.Code.ToLowerInvariant()}-day{r.BackupDay}.db");
        Directory.CreateDirectory(Path.GetDirectoryName(_backupFile)!);
        await CliAsync(["backup", "--config", node.Config.FilePath, "--out", _backupFile, "--json"], "backup of " + r.Code);
        _backupReal = clock.Elapsed;
        Log.SimulatedBackupTaken(logger, r.Code, r.BackupDay, _backupFile);
    }

    private async Task RestoreAsync(PlannedRestore r, int day, CancellationToken ct)
    {
        var node = network[r.Code];
        var started = clock.Elapsed;
        await network.StopAsync(r.Code);
        await CliAsync(["restore", _backupFile!, "--config", node.Config.FilePath, "--json"], "restore of " + r.Code);
        await network.StartAsync(r.Code);
        var restored = 0;
        var partners = node.Config.Options.Partners.Select(p => p.Participant).ToList();
        foreach (var partner in partners)
        {
            var answer = await node.Client.Operations.ReconcileAsync(new ReconcileRequest { Partner = partner }, cancellationToken: ct);
            restored += answer.Differences.Count(d => d.Restored);
        }

        Log.SimulatedNodeRestored(logger, r.Code, day, r.BackupDay, restored);
        _events.Add(new FaultEvent("restore", r.Code, r.BackupDay, day, _backupReal, clock.Elapsed,
            $"{r.Code}'s node restored from its backup of day {r.BackupDay} on day {day} ({(clock.Elapsed - started).TotalSeconds:F1} s); "
            + $"reconciliation with its {partners.Count} partners brought back {restored} messages from their copies"));
    }

    /// <summary>Runs a <c>kpnode</c> verb in this process as an operator would, its JSON answer kept out of the progress display.</summary>
    private static async Task CliAsync(string[] args, string what)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var captured = new StringWriter();
        Console.SetOut(captured);
        Console.SetError(captured);
        int exit;
        try
        {
            exit = await KpNodeCli.RunAsync(args);
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }

        if (exit != 0)
            throw new InvalidOperationException($"the {what} failed (kpnode {string.Join(' ', args)}): {captured}");
    }
}
