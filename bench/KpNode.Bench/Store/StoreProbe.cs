using System.Diagnostics;
using System.Text.Json;
using KpNode.Bench.Common;
using KpNode.Cli;
using KpNode.Configuration;
using KpNode.Hosting;
using KpNode.Storage;
using KpNode.Wire.V1;

namespace KpNode.Bench.Store;

/// <summary>What the node did on the filled store, measured in its own process so RSS is the node's alone.</summary>
internal sealed record ProbeFigures(
    double OpenStoreMs, double StartMs, LatencySummary LookupStore, LatencySummary LookupApi, LatencySummary ListStore,
    string ListWorst, LatencySummary ListApi, double StatusMs, double RssAfterStartMb, double PeakRssMb, double GcHeapMb,
    LatencySummary PendingOutbound, IReadOnlyList<string> RssByPhase, double StartupExpiryCheckMs = 0);

/// <summary>
/// The child half of <c>store</c>: opens the store once alone (its share of start-up), starts the node on it
/// with <see cref="NodeHost.StartAsync"/>, then looks certificates up and lists pages, through the store and
/// through the Local API, and prints its figures as JSON.
/// </summary>
internal static class StoreProbe
{
    public const string Command = "store-probe";
    private static readonly TimeSpan ListBudget = TimeSpan.FromSeconds(60);

    public static async Task<ProbeFigures> SpawnAsync(string configPath, string samplesPath)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(StoreProbe).Assembly.Location);
        foreach (var a in new[] { Command, "--config", configPath, "--samples", samplesPath })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"the store probe exited with {process.ExitCode}: {output}");
        return JsonSerializer.Deserialize<ProbeFigures>(output)!;
    }

    private static string Phase(string name) =>
        $"{name}: RSS {Machine.RssMb():0} MB, peak {Machine.PeakRssMb():0} MB, GC heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1e6:0} MB";

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var config = NodeConfig.Load(args.Text("config") ?? throw new ArgumentException("--config is required"));
        var samples = JsonSerializer.Deserialize<StoreSamples>(await File.ReadAllTextAsync(args.Text("samples") ?? throw new ArgumentException("--samples is required")))!;
        var dataPath = Path.Combine(config.Options.DataDirectory, "kpnode.db");

        var t0 = Stopwatch.GetTimestamp();
        NodeStore.Open(dataPath, TimeProvider.System).Dispose();
        var openMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;

        t0 = Stopwatch.GetTimestamp();
        var expiryPass = new ExpiryPassObserver();
        var host = await NodeHost.StartAsync(config, new NodeHostSettings
        {
            MinimumLogLevel = LogLevel.Debug,
            ConfigureLogging = logging => logging.AddProvider(expiryPass),
        });
        var startMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var rssAfterStart = Machine.RssMb();
        Report.Progress($"  node started in {startMs:0} ms (store open alone {openMs:0} ms), RSS {rssAfterStart:0} MB");
        // A node checks every live certificate for expiry as it starts. Measure the queries after that pass, as an
        // operator meets them on a running node, and report how long the pass took.
        var expiryPassMs = await expiryPass.Done.WaitAsync(TimeSpan.FromMinutes(10));
        Report.Progress($"  start-up expiry check done in {expiryPassMs:0} ms");
        // Likewise the store check at start, which verifies a sample of the records in the background.
        var storeCheck = await expiryPass.StoreCheck.WaitAsync(TimeSpan.FromMinutes(10));
        Report.Progress($"  start-up store check: {storeCheck}");
        try
        {
            var store = (INodeStore)host.Services.GetService(typeof(INodeStore))!;
            var random = new Random(5);
            var rss = new List<string> { Phase("started") };

            // What each partner lane asks whenever it wakes: its pending outbound messages.
            var pending = new Latencies();
            var partners = samples.Lists.Select(l => l.Partner).Distinct().ToArray();
            for (var i = 0; i < 100; i++)
            {
                var begin = Stopwatch.GetTimestamp();
                store.PendingOutbound(partners[i % partners.Length], 512);
                pending.AddTicks(Stopwatch.GetTimestamp() - begin);
            }

            Report.Progress($"  pending outbound (a lane's wake-up query) {pending.Summary()}");
            rss.Add(Phase("pending outbound"));

            var lookupStore = new Latencies();
            foreach (var number in samples.Numbers)
            {
                var begin = Stopwatch.GetTimestamp();
                _ = store.FindCertificate(number) ?? throw new InvalidOperationException($"{number} not found");
                lookupStore.AddTicks(Stopwatch.GetTimestamp() - begin);
            }

            Report.Progress($"  lookup (store) {lookupStore.Summary()}");
            rss.Add(Phase("lookups (store)"));
            using var client = LocalApiClient.Connect(config);
            var lookupApi = new Latencies();
            foreach (var number in samples.Numbers.Take(2000))
            {
                var begin = Stopwatch.GetTimestamp();
                await client.Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = number });
                lookupApi.AddTicks(Stopwatch.GetTimestamp() - begin);
            }

            Report.Progress($"  lookup (Local API) {lookupApi.Summary()}");
            rss.Add(Phase("lookups (Local API)"));
            var listStore = new Latencies();
            var worst = (Ms: 0.0, Query: "");
            var budget = Stopwatch.StartNew();
            foreach (var sample in samples.Lists.OrderBy(_ => random.Next()))
            {
                if (budget.Elapsed > ListBudget && listStore.Count >= 20)
                    break;
                var begin = Stopwatch.GetTimestamp();
                var page = store.ListCertificates(new CertificateQuery(sample.Status, sample.Partner, null, 51, null));
                var ms = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
                listStore.Add(ms);
                if (ms > worst.Ms)
                    worst = (ms, $"{sample.Partner}/{sample.Status} {ms:0.0} ms ({page.Count} rows)");
            }

            Report.Progress($"  list (store) {listStore.Summary()}; worst {worst.Query}");
            rss.Add(Phase("lists (store)"));
            var listApi = new Latencies();
            budget.Restart();
            foreach (var sample in samples.Lists.OrderBy(_ => random.Next()).Take(200))
            {
                if (budget.Elapsed > ListBudget && listApi.Count >= 10)
                    break;
                var begin = Stopwatch.GetTimestamp();
                await client.Api.ListCertificatesAsync(new ListCertificatesRequest
                {
                    Partner = sample.Partner,
                    Status = (Wire.V1.CertificateStatus)(int)sample.Status,
                    PageSize = 50,
                });
                listApi.AddTicks(Stopwatch.GetTimestamp() - begin);
            }

            Report.Progress($"  list (Local API) {listApi.Summary()}");
            var statusStart = Stopwatch.GetTimestamp();
            await client.Api.GetStatusAsync(new GetStatusRequest());
            var statusMs = Stopwatch.GetElapsedTime(statusStart).TotalMilliseconds;
            rss.Add(Phase("lists (Local API) and status"));

            var figures = new ProbeFigures(openMs, startMs, lookupStore.Summary(), lookupApi.Summary(), listStore.Summary(), worst.Query,
                listApi.Summary(), statusMs, rssAfterStart, Machine.PeakRssMb(), GC.GetGCMemoryInfo().HeapSizeBytes / 1e6,
                pending.Summary(), rss, expiryPassMs);
            Console.WriteLine(JsonSerializer.Serialize(figures));
            return 0;
        }
        finally
        {
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }
}

/// <summary>
/// Completes with the duration of the node's first expiry check (log event 1205, ExpiryCheckDone), and with the
/// line of its store check at start (1700 passed, 1701 found damage).
/// </summary>
internal sealed class ExpiryPassObserver : ILoggerProvider, ILogger
{
    private const int ExpiryCheckDone = 1205;
    private readonly TaskCompletionSource<double> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _storeCheck = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<double> Done => _done.Task;

    public Task<string> StoreCheck => _storeCheck.Task;

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id is 1700 or 1701)
            _storeCheck.TrySetResult(formatter(state, exception));
        if (eventId.Id != ExpiryCheckDone || state is not IReadOnlyList<KeyValuePair<string, object?>> values)
            return;
        var elapsed = values.FirstOrDefault(v => v.Key == "ElapsedMs").Value;
        _done.TrySetResult(elapsed is double ms ? ms : double.NaN);
    }
}
