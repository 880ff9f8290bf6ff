using System.Collections.Concurrent;
using System.Diagnostics;
using KpNode.Diagnostics;

namespace KpNode.Simulation;

/// <summary>What <c>kpnode simulate</c> runs: the size of the network and of its year, the seed, and the faults.</summary>
internal sealed record SimulationOptions
{
    public int Seed { get; init; } = 1;

    /// <summary>The largest traders only (0: every active participant).</summary>
    public int Participants { get; init; }

    public int Certificates { get; init; } = 60_000;

    public int Days { get; init; } = 364;

    public int Outages { get; init; } = 6;

    /// <summary>Back one node up, and later restore it from that backup and reconcile it with its partners.</summary>
    public bool Restore { get; init; } = true;

    /// <summary>Where PKI, configs and stores go (a fresh temporary folder when null).</summary>
    public string? Root { get; init; }

    /// <summary>Local API calls in flight at once across all offices.</summary>
    public int Parallelism { get; init; } = 32;
}

/// <summary>How far the run is, for the live display.</summary>
internal sealed record SimulationProgress(string Phase, int Day, int Days, int Issued, int Planned, int Settled, IReadOnlyList<string> Down, TimeSpan Elapsed);

/// <summary>Real time spent in each phase of a run.</summary>
internal sealed record PhaseTimes(TimeSpan Start, TimeSpan Trade, TimeSpan Drain, TimeSpan Checks, TimeSpan Total);

/// <summary>Everything a finished run found, for the summary and the report.</summary>
internal sealed record SimulationRun(SimulationOptions Options, TradePlan Plan, IReadOnlyList<ShipmentProgress> Shipments, IReadOnlyList<FaultEvent> Faults,
    IReadOnlyList<BacklogSample> Backlog, SimulationVerdict Verdict, PhaseTimes Times, DateTimeOffset SimulatedStart, long NodeErrors, long NodeWarnings,
    IReadOnlyList<string> FirstNodeErrors);

/// <summary>
/// A simulated year of KP trade through a node per participant: the offices issue, confirm and void through the Local
/// APIs day by day while the calendar advances, nodes go down and come back on schedule, and at the end every pair
/// reconciles and every certificate and statistic is checked against its partner's.
/// </summary>
internal static class KpSimulation
{
    public static async Task<SimulationRun> RunAsync(SimulationOptions options, Action<SimulationProgress> progress, ILogger logger, CancellationToken ct)
    {
        NodeErrorTally? tally = null;
        try
        {
            return await RunAsync(options, progress, logger, t => tally = t, ct);
        }
        catch (Grpc.Core.RpcException e) when (tally is { Errors: > 0 })
        {
            // A node's answer says only that its handler failed; what the node logged says why.
            throw new InvalidOperationException($"a node refused a call of the run ({e.Status.StatusCode}: {e.Status.Detail}); "
                + "the nodes logged: " + string.Join(" | ", tally.FirstErrors), e);
        }
    }

    private static async Task<SimulationRun> RunAsync(SimulationOptions options, Action<SimulationProgress> progress, ILogger logger,
        Action<NodeErrorTally> tallied, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var plan = TradePlan.Create(options.Seed, options.Participants, options.Certificates, options.Days);
        // The calendar starts now: the dev PKI made now is valid for the whole simulated year (operators' for one year).
        var clock = new SimulatedClock(DateTimeOffset.UtcNow);
        await using var network = SimulatedNetwork.Create(plan, clock, options.Root);
        network.Keep = options.Root is not null;
        tallied(network.Tally);
        var ledger = new ShipmentLedger(network, clock);
        var outages = FaultSchedule.Plan(plan, options.Outages, options.Seed);
        var faults = new FaultSchedule(network, clock, outages, options.Restore ? FaultSchedule.PlanRestore(plan, outages, options.Seed) : null, logger);
        Log.SimulationStarted(logger, plan.Days, plan.Participants.Count, plan.Shipments.Count, options.Seed, network.Root);

        void Report(string phase) => progress(new SimulationProgress(phase, clock.Day, plan.Days, ledger.Issued, plan.Shipments.Count, ledger.Settled,
            [.. faults.Down], total.Elapsed));

        Report("starting nodes");
        await network.StartAllAsync(ct);
        var started = total.Elapsed;

        var byDay = plan.Shipments.ToLookup(s => s.Day);
        var toIssue = new List<ShipmentProgress>();
        var toSettle = new List<ShipmentProgress>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct };
        for (var day = 0; day < plan.Days; day++)
        {
            clock.Advance(day);
            await faults.ApplyAsync(day, ct);
            toIssue.AddRange(byDay[day].Select(ledger.Track));
            var today = day;
            (toIssue, toSettle) = await WorkAsync(toIssue, toSettle, ledger, network, faults, parallel, s => s.DueDay <= today);
            await faults.SampleAsync(day, ct);
            Report("trading");
        }

        await faults.EndAsync(plan.Days - 1);
        var traded = total.Elapsed;

        // The last days' certificates: confirmed and voided as soon as they arrive, the backlog of the last outage sent.
        Report("draining");
        var drainUntil = Stopwatch.StartNew();
        while ((toIssue.Count > 0 || toSettle.Count > 0) && drainUntil.Elapsed < TimeSpan.FromSeconds(120))
        {
            (toIssue, toSettle) = await WorkAsync(toIssue, toSettle, ledger, network, faults, parallel, _ => true);
            await faults.SampleAsync(plan.Days - 1, ct);
            Report("draining");
            if (toIssue.Count > 0 || toSettle.Count > 0)
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }

        await SimulationChecks.AwaitEmptyOutboxesAsync(network, TimeSpan.FromSeconds(120), ct);
        await faults.SampleAsync(plan.Days - 1, ct);
        var drained = total.Elapsed;

        Report("checking");
        var verdict = await SimulationChecks.RunAsync(plan, ledger.All, network, clock, ct);
        var checkedAt = total.Elapsed;
        foreach (var problem in verdict.WrongState.Concat(verdict.PairsDiffering).Concat(verdict.StatisticsDiffering.Select(m => $"{m.Period}: {m.Text}")))
            Log.SimulationCheckFailed(logger, problem);
        Log.SimulationFinished(logger, checkedAt.TotalSeconds, verdict.Issued, verdict.Lost, verdict.Duplicated, verdict.PairsDiffering.Count, verdict.StatisticsDiffering.Count);
        return new SimulationRun(options, plan, [.. ledger.All], faults.Events, faults.Backlog, verdict,
            new PhaseTimes(started, traded - started, drained - traded, checkedAt - drained, total.Elapsed), clock.Start,
            network.Tally.Errors, network.Tally.Warnings, network.Tally.FirstErrors);
    }

    /// <summary>
    /// One day of the offices' work, all at once: today's certificates issued (and any an office could not issue
    /// before), and the confirmations and voids now due. Those are independent, except a replacement, which waits
    /// for the void it corrects.
    /// </summary>
    private static async Task<(List<ShipmentProgress> ToIssue, List<ShipmentProgress> ToSettle)> WorkAsync(List<ShipmentProgress> toIssue,
        List<ShipmentProgress> toSettle, ShipmentLedger ledger, SimulatedNetwork network, FaultSchedule faults, ParallelOptions parallel,
        Func<ShipmentProgress, bool> due)
    {
        var notIssued = new ConcurrentBag<ShipmentProgress>();
        var notSettled = new ConcurrentBag<ShipmentProgress>();
        var work = toIssue.Select(s => (Shipment: s, Issue: true)).Concat(toSettle.Select(s => (Shipment: s, Issue: false)));
        await Parallel.ForEachAsync(work, parallel, async (item, ct) =>
        {
            var s = item.Shipment;
            if (item.Issue)
            {
                var ready = network.IsUp(s.Plan.From) && (s.Plan.Replaces is not { } r || ledger.Find(r)?.Settled == true);
                if (!ready || !await ledger.IssueAsync(s, ct))
                    notIssued.Add(s);
                else if (s.Plan.Fate != ShipmentFate.Expires)
                    notSettled.Add(s);
                return;
            }

            var office = s.Plan.Fate == ShipmentFate.Voided ? s.Plan.From : s.Plan.To;
            if (!due(s) || !network.IsUp(office) || faults.Holds(office) || !await ledger.SettleAsync(s, ct))
                notSettled.Add(s);
        });
        return ([.. notIssued.OrderBy(s => s.Plan.Index)], [.. notSettled.OrderBy(s => s.Plan.Index)]);
    }
}
