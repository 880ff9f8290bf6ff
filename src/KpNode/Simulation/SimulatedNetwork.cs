using System.Collections.Concurrent;
using KpNode.Cli;
using KpNode.Hosting;

namespace KpNode.Simulation;

/// <summary>
/// A node for every participant of the plan, on loopback with its own dev PKI, store and Kestrel endpoints, partnered
/// along the plan's routes only (the demo's network, with routes), all reading the one simulated clock.
/// </summary>
internal sealed class SimulatedNetwork : IAsyncDisposable
{
    private readonly DemoNetwork _network;
    private readonly SimulatedClock _clock;
    private readonly ConcurrentDictionary<string, bool> _down = new(StringComparer.Ordinal);

    private readonly bool _ownsRoot;

    private SimulatedNetwork(DemoNetwork network, SimulatedClock clock, NodeErrorTally tally, bool ownsRoot)
    {
        _network = network;
        _ownsRoot = ownsRoot;
        _clock = clock;
        Tally = tally;
    }

    public NodeErrorTally Tally { get; }

    public string Root => _network.Root;

    public DemoNode this[string code] => _network[code];

    public IEnumerable<DemoNode> Nodes => _network.Nodes;

    public bool IsUp(string code) => !_down.ContainsKey(code) && _network[code].Host is not null;

    /// <summary>Leave the PKI, configs and stores behind (a folder the network made itself is removed otherwise).</summary>
    public bool Keep { get; set; }

    // Timings of a network whose year lasts a minute or two: expiry seen within a second, and no daily work of a real
    // node (reconciliation, pre-flight) that the run does itself at its end.
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Node:ExpiryCheckInterval"] = "00:00:01",
        ["Node:Operations:ReconcileInterval"] = "7.00:00:00",
        ["Node:Operations:PreflightInterval"] = "7.00:00:00",
        ["Node:Delivery:ProbeInterval"] = "00:00:00.250",
    };

    public static SimulatedNetwork Create(TradePlan plan, SimulatedClock clock, string? root)
    {
        var participants = plan.Participants.Select(p => (p.Code, $"Kimberley Process authority of {p.Name}")).ToArray();
        var ownsRoot = root is null;
        // Sixty stores on one disk: on a memory file system where there is one (each commit's fsync is still made).
        root ??= Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"kpnode-sim-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        var network = DemoNetwork.Create(participants, root, Settings, partnered: plan.ArePartners);
        return new SimulatedNetwork(network, clock, new NodeErrorTally(), ownsRoot);
    }

    /// <summary>Starts every node, a few at a time (each start reads its PKI and opens its store).</summary>
    public Task StartAllAsync(CancellationToken ct) =>
        Parallel.ForEachAsync(_network.Nodes, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (node, _) => await StartAsync(node.Code));

    public async Task StartAsync(string code)
    {
        await _network[code].StartAsync(new NodeHostSettings
        {
            Time = _clock,
            MinimumLogLevel = LogLevel.Warning,
            ConfigureLogging = logging => logging.AddProvider(Tally.For(code)),
        });
        _down.TryRemove(code, out _);
    }

    public async Task StopAsync(string code)
    {
        _down[code] = true;
        await _network[code].StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _network.DisposeAsync();
        if (_ownsRoot && !Keep)
        {
            // Private keys and stores of a throw-away network: nothing of it should outlive the run.
            Directory.Delete(Root, recursive: true);
        }
    }
}
