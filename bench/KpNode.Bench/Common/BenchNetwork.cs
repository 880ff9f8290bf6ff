using System.Collections.Concurrent;
using System.Diagnostics;
using KpNode.Cli;
using KpNode.Hosting;
using KpNode.Storage;
using KpNode.Wire.V1;

namespace KpNode.Bench.Common;

/// <summary>
/// Two real nodes on loopback from the demo network (fresh dev PKI, config files, mTLS, LiteDB files with
/// fsync), the exporter's Local API as the driver, and a <see cref="DeliveryObserver"/> on each node.
/// </summary>
internal sealed class BenchNetwork : IAsyncDisposable
{
    private readonly DemoNetwork _network;

    private BenchNetwork(DemoNetwork network, string exporter, string importer)
    {
        _network = network;
        Exporter = network[exporter];
        Importer = network[importer];
    }

    public DemoNode Exporter { get; }

    public DemoNode Importer { get; }

    public DeliveryObserver ExporterLog { get; } = new();

    public DeliveryObserver ImporterLog { get; } = new();

    public string Root => _network.Root;

    public static BenchNetwork Create(string exporter, string importer, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var root = Path.Combine(Path.GetTempPath(), $"kpnode-bench-{Guid.NewGuid():N}");
        var network = DemoNetwork.Create([(exporter, $"KP authority of {exporter}"), (importer, $"KP authority of {importer}")], root, overrides);
        return new BenchNetwork(network, exporter, importer);
    }

    public Task StartExporterAsync() => Exporter.StartAsync(Settings(ExporterLog));

    public Task StartImporterAsync() => Importer.StartAsync(Settings(ImporterLog));

    private static NodeHostSettings Settings(DeliveryObserver observer) => new()
    {
        MinimumLogLevel = LogLevel.Information,
        ConfigureLogging = logging => logging.AddProvider(observer),
    };

    public INodeStore ExporterStore => (INodeStore)Exporter.Host!.Services.GetService(typeof(INodeStore))!;

    public INodeStore ImporterStore => (INodeStore)Importer.Host!.Services.GetService(typeof(INodeStore))!;

    /// <summary>
    /// Issues <paramref name="count"/> certificates through the exporter's Local API with
    /// <paramref name="concurrency"/> callers; returns each number with the timestamp its call started.
    /// </summary>
    public async Task<IssueRun> IssueAsync(int count, int concurrency, int seed)
    {
        var api = Exporter.Client.Api;
        var started = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var latencies = new Latencies();
        var next = 0;
        var t0 = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var random = new Random(seed + worker);
            while (Interlocked.Increment(ref next) <= count)
            {
                var draft = TradeMix.Draft(random, Exporter.Code, Importer.Code);
                var begin = Stopwatch.GetTimestamp();
                var response = await api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft });
                latencies.AddTicks(Stopwatch.GetTimestamp() - begin);
                started[response.Record.Certificate.Number] = begin;
            }
        }));
        return new IssueRun(started, t0, Stopwatch.GetTimestamp(), latencies);
    }

    /// <summary>
    /// Exchanges <paramref name="initial"/> certificates, then rounds of <paramref name="round"/> more until a round
    /// leaves the JIT quiet (fewer than <paramref name="quietMethods"/> methods compiled during it) or
    /// <paramref name="maxRounds"/> rounds ran. Tiered compilation keeps promoting methods for thousands of
    /// certificates: after a fixed 1,500 it still compiled ~2,000 methods (2-3 s of JIT) during the measurement.
    /// </summary>
    public async Task<WarmUp> WarmUpAsync(int initial, int concurrency, int seed, int round = 500, int quietMethods = 50, int maxRounds = 30)
    {
        var certificates = 0;
        var rounds = 0;
        long compiled;
        var count = initial;
        do
        {
            ExporterLog.Reset();
            var before = System.Runtime.JitInfo.GetCompiledMethodCount();
            await IssueAsync(count, concurrency, seed + rounds * 1000);
            await ExporterLog.WaitForAsync(count, TimeSpan.FromMinutes(5));
            compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - before;
            certificates += count;
            rounds++;
            count = round;
        }
        while (count > 0 && compiled >= quietMethods && rounds < maxRounds);

        ExporterLog.Reset();
        return new WarmUp(certificates, rounds, compiled);
    }

    public async ValueTask DisposeAsync()
    {
        await _network.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}

/// <summary>Certificates issued in one phase: number to the Stopwatch timestamp its issue call started.</summary>
internal sealed record IssueRun(IReadOnlyDictionary<string, long> Started, long FirstStart, long LastAnswer, Latencies IssueLatency)
{
    public double Seconds => (LastAnswer - FirstStart) / (double)Stopwatch.Frequency;
}

/// <summary>How the nodes were warmed up: certificates exchanged, rounds, methods the JIT compiled in the last round.</summary>
internal sealed record WarmUp(int Certificates, int Rounds, long LastRoundJitMethods)
{
    public override string ToString() => $"{Certificates} certificates in {Rounds} round(s); the JIT compiled {LastRoundJitMethods} methods in the last";
}
