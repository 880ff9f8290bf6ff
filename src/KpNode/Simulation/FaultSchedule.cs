using KpNode.Diagnostics;
using KpNode.Wire.V1;

namespace KpNode.Simulation;

/// <summary>A fault the run injected, on the simulated calendar and in real time, for the timeline.</summary>
internal sealed record FaultEvent(string Kind, string Code, int FromDay, int ToDay, TimeSpan RealFrom, TimeSpan RealTo, string Text);

/// <summary>Messages waiting at a down node's partners for it, sampled while it is down and until they are delivered.</summary>
internal sealed record BacklogSample(string Code, int Day, TimeSpan Real, int Backlog);

/// <summary>A node outage planned on the calendar: stopped at the start of one day, restarted at the start of another.</summary>
internal sealed record PlannedOutage(string Code, int FromDay, int ToDay);

/// <summary>A node backed up on one day and, on a later one, stopped and restored from that backup, then reconciled.</summary>
internal sealed record PlannedRestore(string Code, int BackupDay, int RestoreDay);

/// <summary>
/// The faults of a run, seeded like its trade: node outages of a few simulated days at several participants. Stopping
/// a node is a clean stop (its host shuts down); its partners' outboxes keep what they cannot deliver.
/// </summary>
internal sealed partial class FaultSchedule(SimulatedNetwork network, SimulatedClock clock, IReadOnlyList<PlannedOutage> outages,
    PlannedRestore? restore, ILogger logger)
{
    private readonly List<FaultEvent> _events = [];
    private readonly List<BacklogSample> _backlog = [];
    private readonly Dictionary<string, (int Day, TimeSpan Real)> _downSince = new(StringComparer.Ordinal);
    private readonly HashSet<string> _draining = new(StringComparer.Ordinal);

    public IReadOnlyList<PlannedOutage> Outages => outages;

    public IReadOnlyList<FaultEvent> Events => _events;

    public IReadOnlyList<BacklogSample> Backlog => _backlog;

    public IEnumerable<string> Down => _downSince.Keys;

    public static IReadOnlyList<PlannedOutage> Plan(TradePlan plan, int count, int seed)
    {
        var random = new Random(seed * 7919 + 17);
        var codes = plan.Participants.Select(p => p.Code).OrderBy(_ => random.Next()).Take(Math.Min(count, plan.Participants.Count)).ToList();
        var span = Math.Max(1, plan.Days - 40);
        return [.. codes.Select((c, i) =>
        {
            // Spread over the year, so outages seldom overlap and each shows its own backlog.
            var from = 10 + (span * i / Math.Max(1, codes.Count)) + random.Next(Math.Max(1, span / Math.Max(1, codes.Count) / 2));
            return new PlannedOutage(c, from, Math.Min(plan.Days - 2, from + 2 + random.Next(4)));
        })];
    }

    /// <summary>Stops and restarts the nodes whose outage begins or ends on <paramref name="day"/>; backs up or restores a node.</summary>
    public async Task ApplyAsync(int day, CancellationToken ct)
    {
        if (restore is not null && day == restore.BackupDay)
            await BackupAsync(restore, ct);
        if (restore is not null && day == restore.RestoreDay)
            await RestoreAsync(restore, day, ct);

        foreach (var outage in outages.Where(o => o.ToDay == day && _downSince.ContainsKey(o.Code)))
        {
            await network.StartAsync(outage.Code);
            var (from, real) = _downSince[outage.Code];
            _downSince.Remove(outage.Code);
            _draining.Add(outage.Code);
            Log.SimulatedNodeRestarted(logger, outage.Code, day, day - from);
            _events.Add(new FaultEvent("outage", outage.Code, from, day, real, clock.Elapsed,
                $"{outage.Code}'s node down for {day - from} simulated days; its partners kept its messages"));
        }

        foreach (var outage in outages.Where(o => o.FromDay == day))
        {
            await network.StopAsync(outage.Code);
            _downSince[outage.Code] = (day, clock.Elapsed);
            Log.SimulatedNodeStopped(logger, outage.Code, day);
        }
    }

    /// <summary>Restarts whatever is still down when the year ends.</summary>
    public async Task EndAsync(int day)
    {
        foreach (var code in _downSince.Keys.ToList())
        {
            await network.StartAsync(code);
            var (from, real) = _downSince[code];
            Log.SimulatedNodeRestarted(logger, code, day, day - from);
            _events.Add(new FaultEvent("outage", code, from, day, real, clock.Elapsed, $"{code}'s node down for {day - from} simulated days"));
            _draining.Add(code);
        }

        _downSince.Clear();
    }

    /// <summary>The backlog held for each node that is down or whose backlog has not drained since it came back.</summary>
    public async Task SampleAsync(int day, CancellationToken ct)
    {
        foreach (var code in _downSince.Keys.Concat(_draining).ToList())
        {
            var backlog = 0;
            foreach (var partner in network.Nodes.Where(n => n.Code != code && network.IsUp(n.Code) && n.Config.Options.Partners.Any(p => p.Participant == code)))
            {
                var status = await partner.Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest(), cancellationToken: ct);
                backlog += status.Partners.Where(p => p.Participant == code).Sum(p => p.Backlog);
            }

            _backlog.Add(new BacklogSample(code, day, clock.Elapsed, backlog));
            if (backlog == 0 && _draining.Contains(code))
                _draining.Remove(code);
        }
    }
}
