using System.CommandLine;
using System.Globalization;
using KpNode.Cli;
using Markup = Spectre.Console.Markup;

namespace KpNode.Simulation;

/// <summary>
/// <c>kpnode simulate</c>: the Kimberley Process on one machine. A verb of the CLI, not a benchmark, because it is what a
/// participant or the KP's working group runs to see the whole network work (or to try a change against it).
/// </summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var seed = KpNodeCli.WholeNumberOption("--seed", "Seed of the trade and the faults: the same seed runs the same year", 1);
        var participants = KpNodeCli.WholeNumberOption("--participants", "Simulate only the largest N traders (0: every active KP participant, 60)", 0);
        var certificates = KpNodeCli.WholeNumberOption("--certificates", "Certificates issued over the year, replacements not counted", 60_000);
        var days = KpNodeCli.WholeNumberOption("--days", "Length of the simulated year in days", 364);
        var outages = KpNodeCli.WholeNumberOption("--outages", "Nodes taken down for a few simulated days each", 6);
        var report = new Option<FileInfo>("--report") { Description = "Where to write the HTML report", DefaultValueFactory = _ => new FileInfo("kp-simulation.html") };
        var keep = new Option<DirectoryInfo?>("--keep") { Description = "Build the network in this folder and keep its PKI, configs and stores (removed otherwise)" };
        var command = new Command("simulate", "Run a year of Kimberley Process trade through a node for every participant on loopback, with faults; "
            + "reconcile every pair and check every certificate and statistic; write an HTML report. Exit 0 only when all checks hold")
        {
            seed, participants, certificates, days, outages, report, keep,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var options = new SimulationOptions
            {
                Seed = parse.GetValue(seed),
                Participants = parse.GetValue(participants),
                Certificates = parse.GetValue(certificates),
                Days = parse.GetValue(days),
                Outages = parse.GetValue(outages),
                Root = parse.GetValue(keep)?.FullName,
            };
            if (options.Certificates < 1 || options.Days < 30 || options.Days > 364)
                return KpNodeCli.Fail("--certificates must be at least 1 and --days between 30 and 364 (the operators' certificates last a year)");
            // The run's own log lines on request, as KPNODE_DEMO_LOGS does for the demo; the summary tells the story.
            using var loggers = LoggerFactory.Create(logging =>
            {
                if (Environment.GetEnvironmentVariable("KPNODE_SIM_LOGS") == "1")
                    logging.AddSimpleConsole(o => o.SingleLine = true);
            });
            var run = await KpSimulation.RunAsync(options, new ProgressLine().Show, loggers.CreateLogger("KpNode.Simulation"), ct);
            var path = parse.GetValue(report)!.FullName;
            await File.WriteAllTextAsync(path, SimulationReport.Html(run), ct);
            Summary(run, path);
            return run.Verdict.Passed ? 0 : KpNodeCli.Failed;
        }));
        return command;
    }

    private static void Summary(SimulationRun run, string reportPath)
    {
        var v = run.Verdict;
        var t = run.Times;
        Output.Line("");
        Output.Line($"[bold]Simulated {run.Plan.Days} days of KP trade[/] through {run.Plan.Participants.Count} nodes and {run.Plan.Partnered.Count / 2} partnerships "
            + $"(seed {run.Options.Seed}) in {t.Total.TotalSeconds:F1} s: start {t.Start.TotalSeconds:F1} s, trade {t.Trade.TotalSeconds:F1} s, "
            + $"drain {t.Drain.TotalSeconds:F1} s, checks {t.Checks.TotalSeconds:F1} s");
        var table = new Table().Column("check").Column("result", right: true).Column("expected", right: true).Column("");
        Row(table, "certificates issued", v.Issued, v.Planned);
        Row(table, "lost (missing at exporter or importer)", v.Lost, 0);
        Row(table, "delivered twice or unknown", v.Duplicated, 0);
        Row(table, "in another state than their fate", v.WrongState.Count, 0);
        Row(table, $"pairs whose histories differ (of {v.PairsReconciled}, {v.MessagesCompared:N0} messages)", v.PairsDiffering.Count, 0);
        Row(table, $"quarterly statistics against mirror figures (of {v.StatisticsCompared})", v.StatisticsDiffering.Count, 0);
        table.Write();
        Output.Line("Final states at the exporters: " + string.Join(", ", v.ExporterStatuses.OrderByDescending(p => p.Value)
            .Select(p => $"{Output.StatusName(p.Key)} {p.Value:N0}")));
        if (v.DeliveryLatencyMs.Count > 0)
        {
            var sorted = v.DeliveryLatencyMs.Order().ToList();
            Output.Line($"Delivery latency (issue to the importer's signed receipt, real time): median {Percentile(sorted, 0.5):F0} ms, "
                + $"p99 {Percentile(sorted, 0.99):F0} ms, max {sorted[^1]:F0} ms");
        }

        Output.Line($"Faults: {string.Join("; ", run.Faults.Select(f => Markup.Escape(f.Text)))}");
        if (run.NodeErrors > 0)
            Output.Line($"[orange3]The nodes logged {run.NodeErrors} errors[/] ({run.NodeWarnings} warnings); first: {Output.Text(run.FirstNodeErrors.FirstOrDefault())}");
        foreach (var line in v.WrongState.Concat(v.PairsDiffering).Concat(v.StatisticsDiffering.Take(10).Select(m => $"{m.Period}: {m.Text}")))
            Output.Line("  [red]" + Output.Text(line) + "[/]");
        Output.Line($"Report: [link]{Markup.Escape(reportPath)}[/]");
        Output.Line(v.Passed ? "[green]All checks hold.[/]" : "[red]Some checks failed.[/]");
    }

    private static void Row(Table table, string what, int got, int want) =>
        table.Row(what, got.ToString("N0", CultureInfo.InvariantCulture), want.ToString("N0", CultureInfo.InvariantCulture),
            got == want ? new Cell("ok", "green") : new Cell("FAILED", "red"));

    internal static double Percentile(IReadOnlyList<double> sorted, double q) => sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];

    /// <summary>One line rewritten in place on a terminal; a line per phase and per tenth of the year when redirected.</summary>
    private sealed class ProgressLine
    {
        private string _phase = "";
        private int _tenth = -1;

        public void Show(SimulationProgress p)
        {
            var text = $"{p.Elapsed.TotalSeconds,6:F1}s  {p.Phase,-14} day {p.Day + 1,3}/{p.Days}  issued {p.Issued,6:N0}/{p.Planned:N0}  "
                + $"settled {p.Settled,6:N0}  down: {(p.Down.Count == 0 ? "-" : string.Join(' ', p.Down))}";
            if (Output.TerminalWidth is { } width)
            {
                Console.Out.Write("\r" + (text.Length > width - 1 ? text[..(width - 1)] : text.PadRight(width - 1)));
                if (p.Phase == "checking")
                    Console.Out.WriteLine();
                return;
            }

            var tenth = p.Day * 10 / Math.Max(1, p.Days);
            if (p.Phase != _phase || tenth != _tenth)
                Console.Out.WriteLine(text);
            (_phase, _tenth) = (p.Phase, tenth);
        }
    }
}
