using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using KpNode.Wire.V1;
using ReportingPeriod = KpNode.Domain.ReportingPeriod;

namespace KpNode.Simulation;

/// <summary>Statistics of one participant that its partner's mirror figures contradict.</summary>
internal sealed record StatisticsMismatch(string Period, string Exporter, string Importer, string Text);

/// <summary>What the end of a run found; <see cref="Passed"/> only when nothing was lost, doubled, left in a wrong state or disagrees.</summary>
internal sealed record SimulationVerdict(
    int Planned, int Issued, int Lost, int Duplicated, IReadOnlyList<string> WrongState,
    int PairsReconciled, IReadOnlyList<string> PairsDiffering, int StatisticsCompared, IReadOnlyList<StatisticsMismatch> StatisticsDiffering,
    IReadOnlyDictionary<CertificateStatus, int> ExporterStatuses, IReadOnlyList<double> DeliveryLatencyMs, int MessagesCompared)
{
    public bool Passed => Issued == Planned && Lost == 0 && Duplicated == 0 && WrongState.Count == 0 && PairsDiffering.Count == 0 && StatisticsDiffering.Count == 0;
}

/// <summary>
/// The end checks of a run, each asked of the nodes over their Local APIs: every certificate at both ends in the state
/// its shipment's fate leads to, none lost or held twice, every partnered pair's histories reconciled, and each
/// participant's quarterly statistics equal to its partners' mirror figures.
/// </summary>
internal static class SimulationChecks
{
    private const int Shown = 20;

    public static CertificateStatus Expected(ShipmentFate fate) => fate switch
    {
        ShipmentFate.Confirmed => CertificateStatus.Confirmed,
        ShipmentFate.Discrepancy => CertificateStatus.Discrepancy,
        ShipmentFate.Detained => CertificateStatus.Detained,
        ShipmentFate.Voided => CertificateStatus.Voided,
        _ => CertificateStatus.Expired,
    };

    public static async Task AwaitEmptyOutboxesAsync(SimulatedNetwork network, TimeSpan timeout, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < timeout)
        {
            var backlog = 0;
            foreach (var node in network.Nodes)
            {
                var status = await node.Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest(), cancellationToken: ct);
                backlog += status.Partners.Sum(p => p.Backlog);
            }

            if (backlog == 0)
                return;
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
    }

    public static async Task<SimulationVerdict> RunAsync(TradePlan plan, IReadOnlyCollection<ShipmentProgress> shipments, SimulatedNetwork network,
        SimulatedClock clock, CancellationToken ct)
    {
        // Expiry is marked by each node's own timer: a certificate past its date may take a second or two to show it.
        var waited = Stopwatch.StartNew();
        var (records, lost, duplicated, wrong) = await CompareAsync(shipments, network, ct);
        while (wrong.Count > 0 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            // Asked again one by one: listing every node's whole store again would cost more than the wait.
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            wrong = await RecheckAsync(wrong, records, network, ct);
        }

        var wrongStates = wrong.Take(Shown).Select(w => w.Text).ToList();

        var (reconciled, differing, compared) = await ReconcileAsync(plan, network, ct);
        var (statistics, mismatches) = await StatisticsAsync(plan, network, clock, ct);
        var exporterStatuses = shipments.Where(s => s.Number is not null)
            .Select(s => records[s.Plan.From].GetValueOrDefault(s.Number!)?.Status ?? CertificateStatus.Unspecified)
            .GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        return new SimulationVerdict(plan.Shipments.Count, shipments.Count(s => s.Number is not null), lost, duplicated, wrongStates,
            reconciled, differing, statistics, mismatches, exporterStatuses, Latencies(shipments, records, clock), compared);
    }

    /// <summary>A certificate not (yet) in the state its shipment's fate leads to, at one end or both.</summary>
    private sealed record WrongState(ShipmentProgress Shipment, string Text);

    private static async Task<List<WrongState>> RecheckAsync(List<WrongState> wrong, Dictionary<string, Dictionary<string, CertificateRecord>> records,
        SimulatedNetwork network, CancellationToken ct)
    {
        var still = new List<WrongState>();
        foreach (var w in wrong)
        {
            var s = w.Shipment;
            foreach (var code in new[] { s.Plan.From, s.Plan.To })
            {
                records[code][s.Number!] = (await network[code].Client.Api.GetCertificateAsync(
                    new GetCertificateRequest { CertificateNumber = s.Number }, cancellationToken: ct)).Record;
            }

            if (Describe(s, records) is { } text)
                still.Add(new WrongState(s, text));
        }

        return still;
    }

    private static string? Describe(ShipmentProgress s, Dictionary<string, Dictionary<string, CertificateRecord>> records)
    {
        var exporter = records[s.Plan.From][s.Number!];
        var importer = records[s.Plan.To][s.Number!];
        var want = Expected(s.Plan.Fate);
        return exporter.Status == want && importer.Status == want ? null
            : $"{s.Number} ({s.Plan.From} -> {s.Plan.To}, {s.Plan.Fate}): {s.Plan.From} holds it {exporter.Status}, {s.Plan.To} {importer.Status}";
    }

    private static async Task<(Dictionary<string, Dictionary<string, CertificateRecord>> Records, int Lost, int Duplicated, List<WrongState> Wrong)> CompareAsync(
        IReadOnlyCollection<ShipmentProgress> shipments, SimulatedNetwork network, CancellationToken ct)
    {
        var records = new Dictionary<string, Dictionary<string, CertificateRecord>>(StringComparer.Ordinal);
        var duplicated = 0;
        foreach (var node in network.Nodes)
        {
            var all = await ListAllAsync(node.Client.Api, ct);
            // Twice delivered would show as two certificates for one shipment (one seal), or one number held twice.
            duplicated += all.Count - all.Select(r => r.Certificate.Number).Distinct().Count();
            duplicated += all.Where(r => r.Direction == CertificateDirection.Inbound).GroupBy(r => r.Certificate.SealNumber).Sum(g => g.Count() - 1);
            records[node.Code] = all.GroupBy(r => r.Certificate.Number).ToDictionary(g => g.Key, g => g.First());
        }

        var expected = shipments.Where(s => s.Number is not null).Select(s => s.Number!).ToHashSet();
        duplicated += records.Values.Sum(r => r.Keys.Count(n => !expected.Contains(n)));
        var lost = 0;
        var wrong = new List<WrongState>();
        foreach (var s in shipments.Where(s => s.Number is not null))
        {
            if (!records[s.Plan.From].ContainsKey(s.Number!) || !records[s.Plan.To].ContainsKey(s.Number!))
                lost++;
            else if (Describe(s, records) is { } text)
                wrong.Add(new WrongState(s, text));
        }

        return (records, lost, duplicated, wrong);
    }

    private static async Task<List<CertificateRecord>> ListAllAsync(LocalApiService.LocalApiServiceClient api, CancellationToken ct)
    {
        var all = new List<CertificateRecord>();
        var token = "";
        do
        {
            var page = await api.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 1000, PageToken = token, OldestFirst = true }, cancellationToken: ct);
            all.AddRange(page.Records);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }

    private static async Task<(int Reconciled, List<string> Differing, int Compared)> ReconcileAsync(TradePlan plan, SimulatedNetwork network, CancellationToken ct)
    {
        var pairs = plan.Partnered.Where(p => string.CompareOrdinal(p.Item1, p.Item2) < 0).OrderBy(p => p).ToList();
        var differing = new System.Collections.Concurrent.ConcurrentBag<string>();
        var compared = 0;
        await Parallel.ForEachAsync(pairs, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (pair, token) =>
        {
            var answer = await network[pair.Item1].Client.Operations.ReconcileAsync(new ReconcileRequest { Partner = pair.Item2 }, cancellationToken: token);
            Interlocked.Add(ref compared, answer.MessagesCompared);
            if (!answer.Matches)
                differing.Add($"{pair.Item1}-{pair.Item2}: {answer.Differences.Count} differences, e.g. {answer.Differences.FirstOrDefault()?.Text}");
        });
        return (pairs.Count, [.. differing.Order(StringComparer.Ordinal)], compared);
    }

    private static async Task<(int Compared, List<StatisticsMismatch> Mismatches)> StatisticsAsync(TradePlan plan, SimulatedNetwork network,
        SimulatedClock clock, CancellationToken ct)
    {
        var first = DateOnly.FromDateTime(clock.Start.UtcDateTime);
        var last = first.AddDays(plan.Days);
        var periods = new List<string>();
        for (var day = first; day <= last; day = day.AddMonths(1))
        {
            var label = ReportingPeriod.QuarterOf(day).Label;
            if (!periods.Contains(label))
                periods.Add(label);
        }

        var mismatches = new List<StatisticsMismatch>();
        var compared = 0;
        foreach (var period in periods)
        {
            var rows = new Dictionary<(string Code, TradeFlow Flow, string Partner), TradeRow>();
            foreach (var node in network.Nodes)
            {
                var stats = await node.Client.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = period }, cancellationToken: ct);
                foreach (var row in stats.PartnerTotals)
                    rows[(node.Code, row.Flow, row.Partner)] = row;
            }

            foreach (var (exporter, importer) in plan.Partnered)
            {
                var exports = rows.GetValueOrDefault((exporter, TradeFlow.Export, importer));
                var imports = rows.GetValueOrDefault((importer, TradeFlow.Import, exporter));
                compared++;
                if ((exports?.Certificates ?? 0) != (imports?.Certificates ?? 0) || (exports?.CaratsHundredths ?? 0) != (imports?.CaratsHundredths ?? 0)
                    || (exports?.ValueUsdCents ?? 0) != (imports?.ValueUsdCents ?? 0))
                {
                    mismatches.Add(new StatisticsMismatch(period, exporter, importer,
                        $"{exporter} reports {exports?.Certificates ?? 0} certificates ({exports?.CaratsHundredths ?? 0} ct/100) exported to {importer}, "
                        + $"{importer} {imports?.Certificates ?? 0} ({imports?.CaratsHundredths ?? 0} ct/100) imported from {exporter}"));
                }
            }
        }

        return (compared, mismatches);
    }

    private static List<double> Latencies(IReadOnlyCollection<ShipmentProgress> shipments, Dictionary<string, Dictionary<string, CertificateRecord>> records, SimulatedClock clock)
    {
        var latencies = new List<double>();
        foreach (var s in shipments.Where(s => s.Number is not null))
        {
            var history = records[s.Plan.From].GetValueOrDefault(s.Number!)?.History;
            var issued = history?.FirstOrDefault(e => e.Status == CertificateStatus.Issued)?.At;
            var delivered = history?.FirstOrDefault(e => e.Status == CertificateStatus.Delivered)?.At;
            if (issued is not null && delivered is not null)
                latencies.Add((clock.RealAt(Time(delivered)) - clock.RealAt(Time(issued))).TotalMilliseconds);
        }

        return latencies;
    }

    private static DateTimeOffset Time(Timestamp t) => t.ToDateTimeOffset();
}
