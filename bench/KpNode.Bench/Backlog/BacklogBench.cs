using System.Diagnostics;
using System.Globalization;
using KpNode.Bench.Common;

namespace KpNode.Bench.Backlog;

/// <summary>
/// <c>backlog</c>: the importer's node is down while N certificates are issued, then comes back; how long
/// until the first delivery and until the last receipt is stored at the exporter. First both nodes exchange
/// <c>--warm-up</c> certificates (default 2,000) and then rounds of 500 until the JIT is quiet, so that they are
/// warm as running nodes are: without it the drain also paid for compiling the delivery path (the JIT thread
/// took 15% of the samples).
/// </summary>
internal static class BacklogBench
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var total = args.Int("certificates", 10_000);
        var concurrency = args.Int("concurrency", 16);
        var downSeconds = args.Double("down-seconds", 5);
        var warmUp = args.Int("warm-up", 2000);
        var json = args.Flag("json");
        var machine = Machine.Now();
        Report.Progress($"backlog: AE -> IN, {total} certificates issued while IN is down; {machine}");

        var inFlight = args.Text("in-flight");
        var overrides = inFlight is null ? null : new Dictionary<string, string?> { ["Node:Delivery:MaxInFlightPerPartner"] = inFlight };
        await using var network = BenchNetwork.Create("AE", "IN", overrides);
        await network.StartExporterAsync();
        var delivery = network.Exporter.Config.Options.Delivery;
        var warm = new WarmUp(0, 0, 0);
        if (warmUp > 0)
        {
            await network.StartImporterAsync();
            warm = await network.WarmUpAsync(warmUp, concurrency, seed: 2);
            await network.Importer.StopAsync();
            Report.Progress($"  warm-up: {warm}; partner stopped");
        }

        var issued = await network.IssueAsync(total, concurrency, seed: 3);
        Report.Progress($"  issued {total} in {issued.Seconds:0.0} s ({total / issued.Seconds:0}/s); partner stays down {downSeconds} s more");
        // Let the lane fail, back off and open its circuit, as it would during a real outage.
        await Task.Delay(TimeSpan.FromSeconds(downSeconds));
        var problemsWhileDown = network.ExporterLog.ProblemCount;

        network.ExporterLog.Reset();
        var exporterStore = network.ExporterStore.Activity;
        var upStart = Stopwatch.GetTimestamp();
        await network.StartImporterAsync();
        var up = Stopwatch.GetTimestamp();
        Report.Progress($"  partner up ({Stopwatch.GetElapsedTime(upStart, up).TotalMilliseconds:0} ms to start); waiting for {total} receipts");
        await network.ExporterLog.WaitForAsync(total, TimeSpan.FromMinutes(10));
        var first = Seconds(up, network.ExporterLog.FirstDeliveredAt!.Value);
        var last = Seconds(up, network.ExporterLog.LastDeliveredAt!.Value);
        // The importer's store opened when it came back up, so its figures cover the drain alone.
        var drainStores = new { exporter = network.ExporterStore.Activity - exporterStore, importer = network.ImporterStore.Activity };
        var figures = new
        {
            benchmark = "backlog",
            machine,
            loadAverageAfter = Machine.LoadAverage(),
            certificates = total,
            warmUp = warm,
            issueSeconds = issued.Seconds,
            downSecondsAfterIssue = downSeconds,
            delivery = new { delivery.FirstBackoff, delivery.MaxBackoff, delivery.BreakerBreakDuration, delivery.MaxInFlightPerPartner },
            warningsLoggedWhileDown = problemsWhileDown,
            firstDeliverySeconds = first,
            lastReceiptSeconds = last,
            drainRatePerSecond = total / last,
            rejected = network.ExporterLog.RejectedCount,
            storesDuringDrain = drainStores,
        };
        if (json)
        {
            Report.PrintJson(figures);
        }
        else
        {
            Console.WriteLine($"machine: {machine}; load average after {figures.loadAverageAfter:0.00}");
            Console.WriteLine($"backlog of {total} certificates AE -> IN after a warm-up of {warm} (issued in {issued.Seconds:0.0} s, partner down {downSeconds} s more; {problemsWhileDown} warnings logged meanwhile)");
            Console.WriteLine($"delivery timings: FirstBackoff {delivery.FirstBackoff}, MaxBackoff {delivery.MaxBackoff}, BreakerBreakDuration {delivery.BreakerBreakDuration}, MaxInFlightPerPartner {delivery.MaxInFlightPerPartner}");
            Console.WriteLine($"partner up -> first delivery: {first.ToString("0.000", CultureInfo.InvariantCulture)} s");
            Console.WriteLine($"partner up -> last receipt stored: {last.ToString("0.000", CultureInfo.InvariantCulture)} s ({figures.drainRatePerSecond:0} certificates/s)");
            Console.WriteLine($"  store AE during the drain: {drainStores.exporter}");
            Console.WriteLine($"  store IN during the drain: {drainStores.importer}");
        }

        return 0;
    }

    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;
}
