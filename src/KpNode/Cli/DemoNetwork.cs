using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using KpNode.Configuration;
using KpNode.Hosting;
using KpNode.Trust;

namespace KpNode.Cli;

/// <summary>
/// A real network of nodes on loopback for the demo: a fresh dev PKI per participant, a config file per
/// node (so the CLI can be pointed at it), and nodes that can be stopped and restarted on their data.
/// </summary>
internal sealed class DemoNetwork : IAsyncDisposable
{
    private readonly Dictionary<string, DemoNode> _nodes;

    private readonly bool _ownsRoot;

    private DemoNetwork(string root, Dictionary<string, DemoNode> nodes, bool ownsRoot)
    {
        Root = root;
        _nodes = nodes;
        _ownsRoot = ownsRoot;
    }

    public string Root { get; }

    /// <summary>Leave the PKI, configs and stores behind when the network is disposed (otherwise a folder it made itself is removed).</summary>
    public bool Keep { get; set; }

    public DemoNode this[string code] => _nodes[code];

    public IEnumerable<DemoNode> Nodes => _nodes.Values;

    public static DemoNetwork Create(
        IReadOnlyList<(string Code, string Authority)> participants, string? root = null,
        IEnumerable<KeyValuePair<string, string?>>? overrides = null, IReadOnlyDictionary<string, IReadOnlyList<OfficeOptions>>? offices = null,
        Func<string, string, bool>? partnered = null)
    {
        IReadOnlyList<OfficeOptions> OfficesOf(string code) => offices?.GetValueOrDefault(code) ?? [];
        JsonArray OfficesJson(string code) => new([.. OfficesOf(code).Select(o => (JsonNode)new JsonObject
        {
            ["Code"] = o.Code,
            ["ExportingAuthority"] = o.ExportingAuthority,
            ["NumberPrefix"] = o.NumberPrefix,
        })]);
        JsonArray Prefixes(string code) => OfficesOf(code) is { Count: > 0 } own ? new([.. own.Select(o => (JsonNode)o.NumberPrefix)]) : new(code);
        var ownsRoot = root is null;
        root ??= Path.Combine(Path.GetTempPath(), $"kpnode-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        var ports = participants.ToDictionary(p => p.Code, _ => (Peer: FreePort(), Local: FreePort()));
        foreach (var (code, _) in participants)
        {
            PkiFiles.Write(Path.Combine(root, "pki", code.ToLowerInvariant()), DevPki.Create(code, [], DateTimeOffset.UtcNow, offices: OfficesOf(code).Select(o => o.Code)));
        }

        var nodes = new Dictionary<string, DemoNode>();
        foreach (var (code, authority) in participants)
        {
            var key = code.ToLowerInvariant();
            // A full mesh unless the caller names the pairs that trade (the simulation's sixty nodes).
            var partners = new JsonArray(participants.Where(p => p.Code != code && (partnered?.Invoke(code, p.Code) ?? true)).Select(p => (JsonNode)new JsonObject
            {
                ["Participant"] = p.Code,
                ["Address"] = $"https://localhost:{ports[p.Code].Peer}",
                ["RootCertificate"] = $"pki/{p.Code.ToLowerInvariant()}/root.crt",
                // A partner with offices is known by each office's authority and prefix instead.
                ["ExportingAuthority"] = OfficesOf(p.Code).Count > 0 ? "" : p.Authority,
                ["NumberPrefixes"] = Prefixes(p.Code),
                ["Offices"] = OfficesJson(p.Code),
            }).ToArray());
            var config = new JsonObject
            {
                ["Node"] = new JsonObject
                {
                    ["Participant"] = code,
                    ["ExportingAuthority"] = authority,
                    ["IssuingPrefixes"] = Prefixes(code),
                    ["Offices"] = OfficesJson(code),
                    ["DataDirectory"] = $"data/{key}",
                    ["PkiDirectory"] = $"pki/{key}",
                    ["PeerEndpoint"] = $"127.0.0.1:{ports[code].Peer}",
                    ["LocalEndpoint"] = $"127.0.0.1:{ports[code].Local}",
                    // Short delivery timings so store-and-forward shows within seconds.
                    ["Delivery"] = new JsonObject
                    {
                        ["FirstBackoff"] = "00:00:00.500",
                        ["MaxBackoff"] = "00:00:02",
                        ["BreakerBreakDuration"] = "00:00:01",
                    },
                    ["Partners"] = partners,
                },
            };
            var path = Path.Combine(root, $"{key}.json");
            File.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            nodes[code] = new DemoNode(code, NodeConfig.Load(path, overrides));
        }

        return new DemoNetwork(root, nodes, ownsRoot);
    }

    /// <summary>
    /// An operator's own folder (root.crt, operator.crt, operator.key) for one office of <paramref name="code"/>, issued by
    /// its dev root: what <c>pki request --purpose operator --office</c>, <c>pki sign</c> and <c>pki install</c> make.
    /// </summary>
    public string OfficeOperator(string code, string office, string id, string displayName)
    {
        var pki = Path.Combine(Root, "pki", code.ToLowerInvariant());
        var dir = Path.Combine(Root, "operators", id);
        using var root = PkiFiles.LoadRootWithKey(Path.Combine(pki, PkiFiles.RootCertificate), Path.Combine(pki, PkiFiles.RootKey));
        var now = DateTimeOffset.UtcNow;
        using var leaf = CertificateAuthority.IssueLeaf(root, code, LeafKind.Operator, now - DevPki.Backdate, now.AddDays(30),
            operatorName: id, office: office, operatorDisplayName: displayName);
        PkiFiles.WriteOperator(dir, root, leaf);
        return dir;
    }

    private static int _nextPort = -1;

    /// <summary>
    /// A free port below the kernel's ephemeral range, so that a stopped node's port is not taken by some
    /// outgoing connection before the node restarts on it. Ports are handed out in sequence within a process.
    /// </summary>
    private static int FreePort()
    {
        var (low, high) = (20_000, EphemeralLow() - 1);
        Interlocked.CompareExchange(ref _nextPort, Random.Shared.Next(low, high - 2_000), -1);
        for (var tries = 0; tries < 1_000; tries++)
        {
            var port = Interlocked.Increment(ref _nextPort);
            if (port > high)
            {
                Interlocked.Exchange(ref _nextPort, low);
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try the next one.
            }
        }

        throw new InvalidOperationException("no free loopback port found for the demo network");
    }

    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            await node.StopAsync();
            node.Dispose();
        }

        if (_ownsRoot && !Keep)
        {
            // Private keys and stores of a throw-away network: nothing of it should outlive the demo.
            Directory.Delete(Root, recursive: true);
        }
    }
}

/// <summary>One node of the demo network, with a Local API client as its operator.</summary>
internal sealed class DemoNode(string code, NodeConfig config) : IDisposable
{
    private LocalApiClient? _client;

    public string Code { get; } = code;

    public NodeConfig Config { get; } = config;

    public NodeHost? Host { get; private set; }

    public LocalApiClient Client => _client ??= LocalApiClient.Connect(Config);

    /// <summary>A Local API client presenting the operator certificate of <paramref name="operatorDirectory"/>; the caller disposes it.</summary>
    public LocalApiClient ClientAs(string operatorDirectory) => LocalApiClient.Connect(Config, operatorDirectory: operatorDirectory);

    public async Task StartAsync(NodeHostSettings? settings = null)
    {
        // The demo tells its own story; KPNODE_DEMO_LOGS=1 shows the nodes' logs too.
        settings ??= Environment.GetEnvironmentVariable("KPNODE_DEMO_LOGS") == "1"
            ? new NodeHostSettings()
            : new NodeHostSettings { ConfigureLogging = _ => { } };
        Host = await NodeHost.StartAsync(Config, settings);
    }

    public async Task StopAsync()
    {
        if (Host is { } host)
        {
            Host = null;
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }

    public void Dispose() => _client?.Dispose();
}
