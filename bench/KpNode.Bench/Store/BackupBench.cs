using System.Diagnostics;
using KpNode.Bench.Common;
using KpNode.Configuration;
using KpNode.Storage;

namespace KpNode.Bench.Store;

/// <summary>
/// A backup of a filled store while durable writes go on: how long the writes wait during the copy, against the same
/// writes with no backup measured just before in the same run, and what the copy costs.
/// </summary>
internal static class BackupBench
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var reuse = args.Text("reuse") ?? throw new ArgumentException("backup needs --reuse DIR: a store filled by 'store --certificates N --keep DIR'");
        var writers = args.Int("writers", 8);
        var pauseMs = args.Int("pause-ms", 10);
        var baselineSeconds = args.Int("baseline-seconds", 10);
        var json = args.Flag("json");
        var machine = Machine.Now();
        // The store bench's node (AE); its partners' configs lie beside it with no store.
        var config = NodeConfig.Load(Path.Combine(reuse, "ae.json"));
        var dataPath = Path.Combine(config.Options.DataDirectory, "kpnode.db");
        var target = Path.Combine(Path.GetDirectoryName(dataPath)!, $"bench-backup-{Guid.NewGuid():N}.db");
        Report.Progress($"backup: store {dataPath} ({new FileInfo(dataPath).Length / 1e6:0.0} MB); {writers} writers, {pauseMs} ms between a writer's writes; {machine}");

        using var store = NodeStore.Open(dataPath, TimeProvider.System);
        var baseline = new Latencies();
        var during = new Latencies();
        var current = baseline;
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var sink = Volatile.Read(ref current);
                var started = Stopwatch.GetTimestamp();
                await store.WriteDurableAsync(x => x.Audit("bench", "bench.write", $"writer {w}", $"write {n++}"), CancellationToken.None);
                sink.AddTicks(Stopwatch.GetTimestamp() - started);
                await Task.Delay(pauseMs);
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(2));
        baseline = new Latencies();
        Volatile.Write(ref current, baseline);
        await Task.Delay(TimeSpan.FromSeconds(baselineSeconds));

        Volatile.Write(ref current, during);
        var cpu = CpuTime.Start();
        var wall = Stopwatch.StartNew();
        var cut = await Task.Factory.StartNew(() => store.Backup(target, CancellationToken.None), TaskCreationOptions.LongRunning);
        wall.Stop();
        var cpuMs = cpu.Elapsed.TotalMilliseconds;
        Volatile.Write(ref current, new Latencies());
        stop.Cancel();
        await Task.WhenAll(load);

        var bytes = new FileInfo(target).Length;
        File.Delete(target);
        var figures = new
        {
            benchmark = "backup",
            machine,
            storeBytes = new FileInfo(dataPath).Length,
            backupBytes = bytes,
            backupSeconds = wall.Elapsed.TotalSeconds,
            processCpuMsDuringBackup = cpuMs,
            documents = cut.Documents,
            cutPauseMs = cut.WritesPaused.TotalMilliseconds,
            writesWithoutBackup = baseline.Summary(),
            writesDuringBackup = during.Summary(),
            p99Ratio = during.Percentile(99) / baseline.Percentile(99),
            maxRatio = during.Max() / baseline.Max(),
        };
        if (json)
        {
            Report.PrintJson(figures);
            return 0;
        }

        Console.WriteLine($"machine: {machine}");
        Console.WriteLine($"backup of {figures.storeBytes / 1e6:0.0} MB ({string.Join(", ", cut.Documents.Select(d => $"{d.Key} {d.Value}"))}): {figures.backupSeconds:0.00} s, {bytes / 1e6:0.0} MB written; the process (backup and writers) used {cpuMs:0} ms of CPU meanwhile");
        Console.WriteLine($"writes held for the cut: {figures.cutPauseMs:0.00} ms");
        Console.WriteLine($"durable writes without a backup: {baseline.Summary()}");
        Console.WriteLine($"durable writes during the backup: {during.Summary()}");
        Console.WriteLine($"during/without: p99 {figures.p99Ratio:0.00}, max {figures.maxRatio:0.00}");
        return 0;
    }
}
