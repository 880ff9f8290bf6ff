using System.Text.RegularExpressions;
using KpNode.Simulation;
using KpNode.Tests.Cli;
using KpNode.Tests.Operations;
using KpNode.Tests.Readme;

namespace KpNode.Tests.Simulation;

/// <summary>
/// <c>kpnode simulate</c> as the README gives it (the reduced run): real nodes on loopback trade with outages and a restore,
/// and the run exits 0 only when every pair reconciles and nothing is lost, doubled or counted differently.
/// </summary>
public sealed class SimulationTests
{
    private const string Section = "## Simulating the KP network";

    [Fact]
    public async Task The_READMEs_reduced_run_trades_through_six_nodes_with_outages_and_a_restore_and_every_check_holds()
    {
        var args = ReducedCommand();
        var root = Directory.CreateTempSubdirectory("kpnode-sim-test-");
        try
        {
            var report = Path.Combine(root.FullName, "report.html");
            var started = DateTime.UtcNow;
            var run = await KpNodeProcess.RunAsync([.. WithReport(args, report)]);
            var output = run.Stdout + run.Stderr;

            Assert.True(run.ExitCode == 0, output);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), $"the reduced run took {(DateTime.UtcNow - started).TotalSeconds:F0} s");
            Assert.Contains("through 6 nodes and 15 partnerships", output);
            Assert.Matches(@"(?m)^certificates issued\s+([\d,]+)\s+\1\s+ok$", output);
            foreach (var check in new[] { "lost", "delivered twice", "in another state", "pairs whose histories differ", "quarterly statistics" })
                Assert.Matches($@"(?m)^{check}.*\s0\s+0\s+ok$", output);
            Assert.Matches(@"\(of 15, [\d,]+ messages\)", output);
            // The fates the plan draws all happen: confirmations, discrepancies, detentions, voids (replaced) and expiries.
            Assert.Matches("Final states at the exporters: Confirmed [\\d,]+.*", output);
            foreach (var state in new[] { "Discrepancy", "Detained", "Voided", "Expired" })
                Assert.Matches($"Final states at the exporters: .*{state} \\d", output);
            Assert.Equal(2, Regex.Matches(output, "node down for \\d simulated days; its partners kept its messages").Count);
            Assert.Matches("node restored from its backup of day \\d+ on day \\d+ .*; reconciliation with its 5 partners brought back [1-9]\\d* messages", output);
            Assert.DoesNotContain("The nodes logged", output);
            Assert.Contains("All checks hold.", output);

            var html = await File.ReadAllTextAsync(report);
            foreach (var chart in new[] { "per-month", "route-matrix", "backlog", "latency", "faults" })
                Assert.Matches($"<svg id=\"{chart}\" class=\"chart\"[^>]*>.*?<(rect|polyline)", html);
            // Self-contained: nothing loaded from elsewhere.
            Assert.DoesNotMatch("<script|<link|src=|https?://(?!www\\.w3\\.org/2000/svg)", html);
            // A backlog built up at each down node's partners and went back to zero.
            Assert.Matches("<polyline[^>]*points=\"[^\"]* [\\d.]+,[\\d.]+\"", html);

            await ThirdPartyTools.RequireChromiumAsync();
            var dom = await Browser.DumpDomAsync(new Uri(report).AbsoluteUri);
            Assert.Contains("All checks hold.", dom);
            var png = Path.Combine(root.FullName, "report.png");
            await Browser.ScreenshotAsync(new Uri(report).AbsoluteUri, png, 1000, 2400);
            Assert.True(new FileInfo(png).Length > 20_000, "chromium rendered the report, charts and all, to a PNG");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_same_seed_draws_the_same_year_and_another_seed_another()
    {
        var one = TradePlan.Create(seed: 1, participantCount: 0, certificates: 3_000, days: 364);
        var again = TradePlan.Create(seed: 1, participantCount: 0, certificates: 3_000, days: 364);
        var other = TradePlan.Create(seed: 2, participantCount: 0, certificates: 3_000, days: 364);

        Assert.Equal(60, one.Participants.Count);
        Assert.Single(one.Participants, p => p.Code == "EU");
        Assert.Equal(one.Shipments, again.Shipments);
        Assert.NotEqual(one.Shipments, other.Shipments);
        // Partners along the routes that carry trade, not a full mesh; everyone imports from someone.
        Assert.InRange(one.Partnered.Count / 2, 60, 60 * (TradePlan.ImportersPerExporter + 1));
        Assert.All(one.Participants, p => Assert.Contains(one.Routes, r => r.To == p.Code));
        Assert.All(one.Shipments, s => Assert.True(one.ArePartners(s.From, s.To)));
        // The published shares drive the flows: India, with 40% of imports, takes the most certificates.
        Assert.Equal("IN", one.Shipments.GroupBy(s => s.To).MaxBy(g => g.Count())!.Key);
        Assert.All(one.Shipments.Where(s => s.Replaces is not null), s => Assert.Equal(ShipmentFate.Voided, one.Shipments.Single(v => v.Index == s.Replaces).Fate));
    }

    [Fact]
    public void A_time_a_node_stored_to_the_millisecond_maps_back_to_the_real_time_of_its_own_day()
    {
        // A start with a fraction of a millisecond, as DateTimeOffset.UtcNow has.
        var clock = new SimulatedClock(new DateTimeOffset(2027, 3, 1, 10, 0, 0, 123, TimeSpan.Zero).AddTicks(4_567));
        Assert.Equal(new DateTimeOffset(2027, 3, 1, 10, 0, 0, TimeSpan.Zero), clock.Start);
        clock.Advance(5);
        var now = clock.GetUtcNow();
        var stored = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

        Assert.InRange(clock.RealAt(stored), clock.Elapsed - TimeSpan.FromSeconds(5), clock.Elapsed);
    }

    /// <summary>The reduced run of the README's simulation section: its one <c>kpnode simulate</c> line that has --participants.</summary>
    private static string[] ReducedCommand()
    {
        var blocks = ReadmeByHandTests.ShBlocks(File.ReadAllText(Path.Combine(KpNodeProcess.RepoRoot(), "README.md")), Section);
        var line = blocks.SelectMany(b => b.Split('\n')).Single(l => l.StartsWith("kpnode simulate ", StringComparison.Ordinal) && l.Contains("--participants"));
        return Regex.Replace(line, "#.*$", "").Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
    }

    private static IEnumerable<string> WithReport(string[] args, string report)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--report")
            {
                i++;
                continue;
            }

            yield return args[i];
        }

        yield return "--report";
        yield return report;
    }
}
