using System.Globalization;
using System.Net;
using System.Text;

namespace KpNode.Simulation;

/// <summary>The run as one self-contained HTML page: the verdict first, then the charts (inline SVG), then the faults.</summary>
internal static class SimulationReport
{
    private static readonly double[] LatencyBuckets = [2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];

    public static string Html(SimulationRun run)
    {
        var v = run.Verdict;
        var issued = run.Shipments.Where(s => s.Number is not null).ToList();
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>KpNode: a simulated year of the Kimberley Process</title><style>")
            .Append("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:920px;color:#222}h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em}")
            .Append("table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}td.n{text-align:right}")
            .Append(".ok{color:#2a7d2a;font-weight:bold}.bad{color:#c0392b;font-weight:bold}svg.chart{display:block;margin:1em 0;max-width:100%;height:auto}")
            .Append("</style></head><body>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>A simulated year of the Kimberley Process</h1><p>{run.Plan.Participants.Count} nodes, one per participant, ")
            .Append(CultureInfo.InvariantCulture, $"{run.Plan.Partnered.Count / 2} partnerships along the routes that carry trade, {v.Issued:N0} certificates over {run.Plan.Days} simulated days ")
            .Append(CultureInfo.InvariantCulture, $"from {run.SimulatedStart:yyyy-MM-dd} (seed {run.Options.Seed}), in {run.Times.Total.TotalSeconds:F1} s of real time. ")
            .Append("Every node ran its real Peer and Local APIs over mutual TLS on loopback, with its own PKI and store.</p>");
        html.Append(v.Passed ? "<p class=\"ok\" id=\"verdict\">All checks hold.</p>" : "<p class=\"bad\" id=\"verdict\">Some checks failed.</p>");
        html.Append("<table id=\"checks\"><tr><th>check</th><th>result</th><th>expected</th></tr>");
        Check(html, "certificates issued", v.Issued, v.Planned);
        Check(html, "lost", v.Lost, 0);
        Check(html, "delivered twice or unknown", v.Duplicated, 0);
        Check(html, "in another state than planned", v.WrongState.Count, 0);
        Check(html, $"partnered pairs whose histories differ after reconciliation (of {v.PairsReconciled})", v.PairsDiffering.Count, 0);
        Check(html, $"quarterly statistics that differ from the partner's mirror figures (of {v.StatisticsCompared})", v.StatisticsDiffering.Count, 0);
        html.Append("</table><p>Final states at the exporters: ")
            .Append(E(string.Join(", ", v.ExporterStatuses.OrderByDescending(p => p.Value).Select(p => $"{Wire.StatusMapping.Name(p.Key)} {p.Value:N0}"))))
            .Append("</p>");

        html.Append("<h2>Certificates per month</h2>").Append(SvgCharts.Bars("per-month", "Certificates issued per month",
            [.. issued.GroupBy(s => run.SimulatedStart.AddDays(s.IssuedDay).ToString("yyyy-MM", CultureInfo.InvariantCulture)).OrderBy(g => g.Key)
                .Select(g => (g.Key, (double)g.Count()))], "certificates"));

        var top = issued.SelectMany(s => new[] { s.Plan.From, s.Plan.To }).GroupBy(c => c).OrderByDescending(g => g.Count()).Take(15).Select(g => g.Key).ToList();
        var routes = issued.GroupBy(s => (s.Plan.From, s.Plan.To)).ToDictionary(g => g.Key, g => g.Count());
        html.Append("<h2>The largest routes</h2><p>Certificates by exporter (rows) and importer (columns), for the 15 participants that trade most.</p>")
            .Append(SvgCharts.Matrix("route-matrix", "Route matrix", top, (a, b) => routes.GetValueOrDefault((a, b))));
        html.Append("<table><tr><th>route</th><th>certificates</th><th>carats</th></tr>");
        foreach (var ((from, to), count) in routes.OrderByDescending(r => r.Value).Take(10))
        {
            var carats = issued.Where(s => s.Plan.From == from && s.Plan.To == to).Sum(s => s.Plan.Carats) / 100;
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(from)} &rarr; {E(to)}</td><td class=\"n\">{count:N0}</td><td class=\"n\">{carats:N0}</td></tr>");
        }

        html.Append("</table>");
        html.Append("<h2>Backlog during outages</h2><p>Messages (certificates, confirmations, voids) waiting in the partners' outboxes for a node that is down, by simulated day; ")
            .Append("each line falls back to zero once the node is back and its partners have delivered.</p>")
            .Append(SvgCharts.Lines("backlog", "Backlog during outages",
                [.. run.Backlog.GroupBy(b => b.Code).Select(g => (g.Key, (IReadOnlyList<(double, double)>)[.. g.Select(b => ((double)b.Day, (double)b.Backlog))]))], "day", "messages"));

        html.Append("<h2>Delivery latency</h2><p>From issue to the importer's signed receipt, in real time; certificates to a node that was down wait for it.</p>")
            .Append(SvgCharts.Bars("latency", "Delivery latency histogram", Histogram(v.DeliveryLatencyMs), "certificates"));

        html.Append("<h2>Faults</h2>").Append(SvgCharts.Timeline("faults", "Fault timeline",
            [.. run.Faults.Select(f => (f.Code, (double)f.FromDay, (double)f.ToDay, f.Text))], run.Plan.Days));
        html.Append("<table><tr><th>fault</th><th>days</th><th>real time</th><th>what happened</th></tr>");
        foreach (var f in run.Faults)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(f.Kind)} {E(f.Code)}</td><td>{f.FromDay}-{f.ToDay}</td><td>{f.RealFrom.TotalSeconds:F1}-{f.RealTo.TotalSeconds:F1} s</td><td>{E(f.Text)}</td></tr>");
        }

        html.Append("</table>");
        var problems = v.WrongState.Concat(v.PairsDiffering).Concat(v.StatisticsDiffering.Select(m => $"{m.Period}: {m.Text}")).Concat(run.FirstNodeErrors).ToList();
        if (problems.Count > 0)
        {
            html.Append("<h2>Problems</h2><ul>");
            foreach (var p in problems.Take(50))
                html.Append("<li>").Append(E(p)).Append("</li>");
            html.Append("</ul>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<p>Phases: start {run.Times.Start.TotalSeconds:F1} s, trade {run.Times.Trade.TotalSeconds:F1} s, drain {run.Times.Drain.TotalSeconds:F1} s, ")
            .Append(CultureInfo.InvariantCulture, $"checks {run.Times.Checks.TotalSeconds:F1} s. The nodes logged {run.NodeErrors} errors and {run.NodeWarnings} warnings.</p>");
        return html.Append("</body></html>").ToString();
    }

    private static List<(string, double)> Histogram(IReadOnlyList<double> latencies)
    {
        var counts = new int[LatencyBuckets.Length + 1];
        foreach (var ms in latencies)
        {
            var i = Array.FindIndex(LatencyBuckets, b => ms < b);
            counts[i < 0 ? LatencyBuckets.Length : i]++;
        }

        return [.. counts.Select((c, i) => (i < LatencyBuckets.Length ? $"<{Label(LatencyBuckets[i])}" : $"≥{Label(LatencyBuckets[^1])}", (double)c))];
    }

    private static string Label(double ms) => ms >= 1_000 ? $"{(ms / 1_000).ToString(CultureInfo.InvariantCulture)}s" : $"{ms.ToString(CultureInfo.InvariantCulture)}ms";

    private static void Check(StringBuilder html, string what, int got, int want) =>
        html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(what)}</td><td class=\"n\">{got:N0}</td><td class=\"n\">{want:N0}</td><td class=\"{(got == want ? "ok\">ok" : "bad\">FAILED")}</td></tr>");

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
