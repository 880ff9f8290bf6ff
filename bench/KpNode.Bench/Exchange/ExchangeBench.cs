using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using KpNode.Bench.Common;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Bench.Exchange;

/// <summary>
/// <c>exchange</c>: two real nodes, a driver issuing through the exporter's Local API, certificates/s and
/// issue-to-receipt-stored latency, against a raw mTLS unary baseline measured in the same run.
/// </summary>
internal static class ExchangeBench
{
    private const string Exporter = "AE";
    private const string Importer = "IN";

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var certificates = args.Int("certificates", 3000);
        var concurrency = args.Int("concurrency", 16);
        var rate = args.Double("rate", 50);
        var steadySeconds = args.Double("steady-seconds", 20);
        var rawSeconds = args.Double("raw-seconds", 10);
        var inFlight = args.Text("in-flight");
        var json = args.Flag("json");
        var machineBefore = Machine.Now();
        Report.Progress($"exchange: {Exporter} -> {Importer}, {certificates} certificates at concurrency {concurrency}; steady {rate}/s for {steadySeconds} s; {machineBefore}");

        var overrides = inFlight is null ? null : new Dictionary<string, string?> { ["Node:Delivery:MaxInFlightPerPartner"] = inFlight };
        await using var network = BenchNetwork.Create(Exporter, Importer, overrides);
        await network.StartImporterAsync();
        await network.StartExporterAsync();

        // Until tiered JIT settles: with a fixed warm-up the tiering thread still took 16-30% of the process's
        // CPU during the measurement (see RESULTS.md). --warm-up 0 measures a cold node.
        var warmUpFirst = args.Int("warm-up", 1500);
        Report.Progress($"warm-up: {warmUpFirst} certificates, then rounds of 500 until the JIT is quiet");
        var warmUp = warmUpFirst > 0 ? await network.WarmUpAsync(warmUpFirst, concurrency, seed: 1) : new WarmUp(0, 0, 0);
        Report.Progress($"  warm-up: {warmUp}");
        if (warmUp.Certificates == 0)
        {
            // The baseline's payload is a real envelope and receipt.
            await network.IssueAsync(1, 1, seed: 1);
            await network.ExporterLog.WaitForAsync(1, TimeSpan.FromMinutes(1));
            network.ExporterLog.Reset();
        }

        var (envelope, receipt) = Evidence(network.ExporterStore, AnyDelivered(network.ExporterStore));
        var aeCredentials = PkiFiles.Load(network.Exporter.Config.Options.PkiDirectory);
        var inCredentials = PkiFiles.Load(network.Importer.Config.Options.PkiDirectory);
        await using var raw = await RawBaseline.StartAsync(network.Exporter.Config, aeCredentials, inCredentials, envelope, receipt);

        Report.Progress($"raw baseline (before): {concurrency} callers, {rawSeconds} s");
        var rawBefore = await raw.RunAsync(concurrency, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(rawSeconds));
        Report.Progress($"  {rawBefore.CallsPerSecond:0} calls/s, {rawBefore.Latency}");

        Report.Progress($"throughput: {certificates} certificates, {concurrency} issuing callers");
        var throughput = await ThroughputAsync(network, certificates, concurrency);
        Report.Progress($"  {throughput.CertificatesPerSecond:0.0} certificates/s, issue-to-receipt {throughput.IssueToReceipt}");

        Report.Progress($"steady: {rate}/s for {steadySeconds} s");
        var steady = await SteadyAsync(network, rate, steadySeconds);
        Report.Progress($"  achieved {steady.AchievedRate:0.0}/s, issue-to-receipt {steady.IssueToReceipt}");

        Report.Progress($"raw baseline (after): {concurrency} callers, {rawSeconds} s");
        var rawAfter = await raw.RunAsync(concurrency, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(rawSeconds));
        Report.Progress($"  {rawAfter.CallsPerSecond:0} calls/s, {rawAfter.Latency}");

        var rawMean = (rawBefore.CallsPerSecond + rawAfter.CallsPerSecond) / 2;
        var ratio = throughput.CertificatesPerSecond / rawMean;
        // The same ratio in CPU time per operation (both nodes, driver and baseline run in this process).
        var cpuRatio = (rawBefore.CpuMicrosecondsPerCall + rawAfter.CpuMicrosecondsPerCall) / 2 / 1000 / throughput.CpuMillisecondsPerCertificate;
        var figures = new
        {
            benchmark = "exchange",
            machine = machineBefore,
            loadAverageAfter = Machine.LoadAverage(),
            route = $"{Exporter} -> {Importer}",
            concurrency,
            warmUp,
            maxInFlightPerPartner = network.Exporter.Config.Options.Delivery.MaxInFlightPerPartner,
            throughput,
            steady,
            rawBefore,
            rawAfter,
            rawMeanCallsPerSecond = rawMean,
            rawSpreadPercent = 100 * Math.Abs(rawBefore.CallsPerSecond - rawAfter.CallsPerSecond) / rawMean,
            exchangeRawRatio = ratio,
            exchangeRawRatioAgainstRawAfter = throughput.CertificatesPerSecond / rawAfter.CallsPerSecond,
            exchangeRawCpuRatio = cpuRatio,
            warningsOrErrorsLogged = network.ExporterLog.ProblemCount + network.ImporterLog.ProblemCount,
            firstProblems = network.ExporterLog.FirstProblems.Concat(network.ImporterLog.FirstProblems).Take(5).ToArray(),
            peakRssMb = Machine.PeakRssMb(),
        };

        if (json)
        {
            Report.PrintJson(figures);
        }
        else
        {
            Console.WriteLine($"machine: {machineBefore}; load average after {figures.loadAverageAfter:0.00}");
            Console.WriteLine($"warm-up: {warmUp}");
            Console.WriteLine($"route: {figures.route}, envelope {raw.RequestBytes} B request / {raw.ResponseBytes} B receipt, MaxInFlightPerPartner {figures.maxInFlightPerPartner}");
            Console.WriteLine($"throughput: {throughput.Certificates} certificates at concurrency {concurrency}: {throughput.CertificatesPerSecond:0.0} certificates/s (issue calls alone {throughput.IssueCallsPerSecond:0.0}/s)");
            Console.WriteLine($"  issue-to-receipt-stored: {throughput.IssueToReceipt}");
            Console.WriteLine($"  issue call (durable):    {throughput.IssueCall}");
            Console.WriteLine($"  process CPU: {throughput.CpuMillisecondsPerCertificate:0.00} ms per certificate, {throughput.CoresBusy:0.00} cores busy on average; {throughput.BytesWrittenPerCertificate / 1024.0:0} KiB written (files and sockets, both nodes) per certificate");
            Console.WriteLine($"  JIT during the run: {throughput.JitMethods} methods compiled, {throughput.JitMilliseconds:0} ms");
            Console.WriteLine($"  store {Exporter}: {throughput.ExporterStore}");
            Console.WriteLine($"  store {Importer}: {throughput.ImporterStore}");
            Console.WriteLine($"steady {rate}/s for {steadySeconds} s: achieved {steady.AchievedRate:0.0}/s");
            Console.WriteLine($"  issue-to-receipt-stored: {steady.IssueToReceipt}");
            Console.WriteLine($"  issue call (durable):    {steady.IssueCall}");
            Console.WriteLine($"  store {Exporter}: {steady.ExporterStore}");
            Console.WriteLine($"  store {Importer}: {steady.ImporterStore}");
            Console.WriteLine($"raw mTLS unary baseline at concurrency {concurrency}: before {rawBefore.CallsPerSecond:0} calls/s ({rawBefore.Latency}); after {rawAfter.CallsPerSecond:0} calls/s ({rawAfter.Latency}); spread {figures.rawSpreadPercent:0.0}%");
            Console.WriteLine($"  raw CPU per call: {rawBefore.CpuMicrosecondsPerCall:0} / {rawAfter.CpuMicrosecondsPerCall:0} us; CPU-time ratio exchange/raw {cpuRatio:0.0000}; ratio against the 'after' raw run alone {figures.exchangeRawRatioAgainstRawAfter:0.0000}");
            Console.WriteLine($"warnings/errors logged by the nodes: {figures.warningsOrErrorsLogged}{(figures.firstProblems.Length > 0 ? " — " + string.Join(" | ", figures.firstProblems) : "")}");
            Console.WriteLine($"peak RSS of the bench process (both nodes, driver, baseline): {figures.peakRssMb:0} MB");
        }

        Console.WriteLine($"exchange/raw ratio: {ratio.ToString("0.0000", CultureInfo.InvariantCulture)}");
        return 0;
    }

    private static string AnyDelivered(INodeStore store) =>
        store.ListCertificates(new CertificateQuery(KpNode.Domain.CertificateStatus.Delivered, null, null, 1, null)).Single().Number;

    /// <summary>A delivered certificate's envelope and the receipt the importer signed for it, for the baseline's payload.</summary>
    private static (byte[] Envelope, byte[] Receipt) Evidence(INodeStore store, string number)
    {
        var cert = store.FindCertificate(number) ?? throw new InvalidOperationException($"{number} is not stored");
        var message = store.FindMessage(cert.MessageId) ?? throw new InvalidOperationException($"message {cert.MessageId} is not stored");
        return (message.Envelope, message.ReceiptEnvelope ?? throw new InvalidOperationException($"{number} has no receipt"));
    }

    /// <summary>Closed loop: as fast as the callers can issue; the clock stops at the last receipt stored.</summary>
    private static async Task<ThroughputFigures> ThroughputAsync(BenchNetwork network, int count, int concurrency)
    {
        network.ExporterLog.Reset();
        var cpu = CpuTime.Start();
        var written = Machine.WrittenBytes();
        var (exporterStore, importerStore) = (network.ExporterStore.Activity, network.ImporterStore.Activity);
        var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
        var jitTime = System.Runtime.JitInfo.GetCompilationTime();
        var run = await network.IssueAsync(count, concurrency, seed: 100);
        await network.ExporterLog.WaitForAsync(count, TimeSpan.FromMinutes(10));
        var cpuMs = cpu.Elapsed.TotalMilliseconds;
        jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethods;
        var jitMs = (System.Runtime.JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds;
        written = Machine.WrittenBytes() - written;
        var end = network.ExporterLog.LastDeliveredAt!.Value;
        var seconds = (end - run.FirstStart) / (double)Stopwatch.Frequency;
        return new ThroughputFigures(count, seconds, count / seconds, count / run.Seconds,
            EndToEnd(network.ExporterLog, run.Started).Summary(), run.IssueLatency.Summary(), network.ExporterLog.RejectedCount,
            cpuMs / count, cpuMs / 1000 / seconds, written / count, jitMethods, jitMs,
            network.ExporterStore.Activity - exporterStore, network.ImporterStore.Activity - importerStore);
    }

    /// <summary>
    /// Open loop at a fixed rate: each certificate is issued at its scheduled time whether or not earlier ones
    /// finished, and latency counts from that scheduled time, so a stall is not hidden (no coordinated omission).
    /// </summary>
    private static async Task<SteadyFigures> SteadyAsync(BenchNetwork network, double rate, double seconds)
    {
        network.ExporterLog.Reset();
        var (exporterStore, importerStore) = (network.ExporterStore.Activity, network.ImporterStore.Activity);
        var api = network.Exporter.Client.Api;
        var count = (int)(rate * seconds);
        var scheduled = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var issueLatency = new Latencies();
        var random = new Random(7);
        var tasks = new List<Task>(count);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var due = start + (long)(i * Stopwatch.Frequency / rate);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1))
                await Task.Delay(wait);
            var draft = TradeMix.Draft(random, network.Exporter.Code, network.Importer.Code);
            tasks.Add(Task.Run(async () =>
            {
                var response = await api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft });
                issueLatency.AddTicks(Stopwatch.GetTimestamp() - due);
                scheduled[response.Record.Certificate.Number] = due;
            }));
        }

        await Task.WhenAll(tasks);
        var issuedFor = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await network.ExporterLog.WaitForAsync(count, TimeSpan.FromMinutes(5));
        return new SteadyFigures(rate, count, count / issuedFor, EndToEnd(network.ExporterLog, scheduled).Summary(), issueLatency.Summary(),
            network.ExporterLog.RejectedCount, network.ExporterStore.Activity - exporterStore, network.ImporterStore.Activity - importerStore);
    }

    private static Latencies EndToEnd(DeliveryObserver observer, IReadOnlyDictionary<string, long> started)
    {
        var latencies = new Latencies();
        foreach (var (number, t0) in started)
        {
            if (observer.TryGetDelivered(number, out var t1))
                latencies.AddTicks(t1 - t0);
        }

        return latencies;
    }
}

/// <summary>Closed-loop figures: issue to last receipt stored at the sender.</summary>
internal sealed record ThroughputFigures(
    int Certificates, double Seconds, double CertificatesPerSecond, double IssueCallsPerSecond,
    LatencySummary IssueToReceipt, LatencySummary IssueCall, int Rejected, double CpuMillisecondsPerCertificate, double CoresBusy,
    long BytesWrittenPerCertificate, long JitMethods, double JitMilliseconds, StoreActivity ExporterStore, StoreActivity ImporterStore);

/// <summary>Open-loop figures at a fixed issue rate.</summary>
internal sealed record SteadyFigures(
    double TargetRate, int Certificates, double AchievedRate, LatencySummary IssueToReceipt, LatencySummary IssueCall, int Rejected,
    StoreActivity ExporterStore, StoreActivity ImporterStore);
