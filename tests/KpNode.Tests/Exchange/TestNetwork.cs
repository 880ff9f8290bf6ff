using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using KpNode.Cli;
using KpNode.Configuration;
using KpNode.Outbox;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Tests.Exchange;

/// <summary>
/// Real nodes on loopback (Kestrel, mTLS, LiteDB files) for integration tests, cleaned up afterwards. Every node's log
/// is kept: disposing the network fails the test when a node logged an Error that the test did not declare expected.
/// </summary>
internal sealed class TestNetwork : IAsyncDisposable
{
    private readonly DemoNetwork _network;
    private readonly Dictionary<string, TestNode> _nodes;
    private readonly List<TestNode> _others = [];
    private readonly List<GrpcChannel> _channels = [];

    private TestNetwork(DemoNetwork network, IEnumerable<string> codes)
    {
        _network = network;
        _nodes = codes.ToDictionary(c => c, c => new TestNode(c, network[c].Config, new NodeLogs(c)));
    }

    public string Root => _network.Root;

    public TestNode this[string code] => _nodes[code];

    public static Task<TestNetwork> StartAsync(params string[] codes) => StartAsync(codes, null);

    /// <summary>Starts nodes for <paramref name="codes"/>; <paramref name="overrides"/> (e.g. Node:Delivery:FirstBackoff) apply to every node.</summary>
    public static async Task<TestNetwork> StartAsync(string[] codes, IEnumerable<KeyValuePair<string, string?>>? overrides,
        IReadOnlyDictionary<string, IReadOnlyList<OfficeOptions>>? offices = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "kpnode-tests", Guid.NewGuid().ToString("N"));
        var network = new TestNetwork(DemoNetwork.Create(codes.Select(c => (c, $"KP authority of {c}")).ToArray(), root, overrides, offices), codes);
        foreach (var code in codes)
        {
            await network[code].StartAsync();
        }

        return network;
    }

    /// <summary>Restarts one node with its file plus <paramref name="overrides"/> (e.g. its trade policy) and an optional clock.</summary>
    public async Task RestartAsync(string code, IEnumerable<KeyValuePair<string, string?>> overrides, TimeProvider? time = null)
    {
        await this[code].StopAsync();
        this[code].Config = NodeConfig.Load(this[code].Config.FilePath, overrides);
        await this[code].StartAsync(time);
    }

    /// <summary>
    /// A second node on <paramref name="code"/>'s file (same ports and data) with <paramref name="overrides"/>, not yet
    /// started; the network checks its log too, and stops it if the test did not.
    /// </summary>
    public TestNode Another(string code, IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        var node = new TestNode(code, NodeConfig.Load(this[code].Config.FilePath, overrides), new NodeLogs(code));
        _others.Add(node);
        return node;
    }

    /// <summary>An operator folder (root.crt, operator.crt, operator.key) for one office of <paramref name="code"/>, issued by its root.</summary>
    public string OfficeOperator(string code, string office, string id, string displayName) => _network.OfficeOperator(code, office, id, displayName);

    public string PkiDir(string code) => Path.Combine(Root, "pki", code.ToLowerInvariant());

    public ParticipantCredentials Credentials(string code) => PkiFiles.Load(PkiDir(code));

    public X509Certificate2 RootOf(string code) => PkiFiles.LoadRoot(Path.Combine(PkiDir(code), "root.crt"));

    /// <summary><paramref name="code"/>'s delivery lane towards <paramref name="partner"/>, to read its live state.</summary>
    public PartnerLane Lane(string code, string partner) =>
        ((OutboxDispatcher)this[code].Host!.Services.GetService(typeof(OutboxDispatcher))!).Lane(partner)!;

    public INodeStore Store(string code) =>
        (INodeStore)this[code].Host!.Services.GetService(typeof(INodeStore))!;

    /// <summary>A raw Peer API client presenting <paramref name="clientCertificate"/>, trusting <paramref name="serverRoot"/> for the server.</summary>
    public PeerExchangeService.PeerExchangeServiceClient DialPeer(string code, X509Certificate2 clientCertificate, X509Certificate2 serverRoot, int maxSend = 64 * 1024 * 1024) =>
        new(Dial(this[code].Host!.PeerAddress, clientCertificate, serverRoot, maxSend));

    /// <summary>A raw Local API client presenting <paramref name="clientCertificate"/>.</summary>
    public LocalApiService.LocalApiServiceClient DialLocal(string code, X509Certificate2 clientCertificate) =>
        new(Dial(this[code].Host!.LocalAddress, clientCertificate, RootOf(code), 4 * 1024 * 1024));

    private GrpcChannel Dial(Uri address, X509Certificate2 clientCertificate, X509Certificate2 serverRoot, int maxSend)
    {
        var trust = new TrustChain();
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [clientCertificate],
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                    cert is not null && trust.Validate(X509CertificateLoader.LoadCertificate(cert.GetRawCertData()), [],
                        KeyPurpose.ServerAuth, DateTimeOffset.UtcNow, [serverRoot]).IsTrusted,
            },
        };
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, MaxSendMessageSize = maxSend });
        _channels.Add(channel);
        return channel;
    }

    public async Task<CertificateRecord> IssueAsync(string from, string to, Action<Certificate>? change = null)
    {
        var draft = DemoDrafts.Draft(from, to);
        change?.Invoke(draft);
        return (await this[from].Client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft })).Record;
    }

    /// <summary>The importer records what arrived: the certificate's own figures moved by the deltas given.</summary>
    public async Task<CertificateRecord> ConfirmAsync(string importer, string number, ImportOutcome outcome = ImportOutcome.Confirmed,
        int parcelsDelta = 0, long caratsDelta = 0, string remarks = "")
    {
        var held = (await FindAsync(importer, number) ?? throw new InvalidOperationException($"{importer} holds no {number}")).Certificate;
        return (await this[importer].Client.Api.ConfirmImportAsync(new ConfirmImportRequest
        {
            CertificateNumber = number,
            Outcome = outcome,
            ParcelsReceived = held.Parcels + parcelsDelta,
            CaratsReceivedHundredths = held.CaratsHundredths + caratsDelta,
            DateOfReceipt = DateTime.UtcNow.ToString("yyyy-MM-dd"),
            Remarks = remarks,
        })).Record;
    }

    /// <summary>Issues and waits until the importer holds it and the exporter has its receipt.</summary>
    public async Task<string> DeliverAsync(string from, string to, Action<Certificate>? change = null)
    {
        var number = (await IssueAsync(from, to, change)).Certificate.Number;
        await WaitForAsync(from, number, r => r.Status == CertificateStatus.Delivered);
        await WaitForAsync(to, number, r => r.Status == CertificateStatus.Received);
        return number;
    }

    public async Task<CertificateRecord?> FindAsync(string code, string number)
    {
        try
        {
            return (await this[code].Client.Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = number })).Record;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Waits (bounded) until the certificate at <paramref name="code"/> satisfies <paramref name="done"/>.</summary>
    public async Task<CertificateRecord> WaitForAsync(string code, string number, Func<CertificateRecord, bool> done, TimeSpan? timeout = null) =>
        (await Eventually.WaitAsync(() => FindAsync(code, number), r => r is not null && done(r), timeout ?? TimeSpan.FromSeconds(30),
            last => $"{number} at {code} did not reach the expected state; last seen: {last?.Status.ToString() ?? "absent"} {last?.LastError}"))!;

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        foreach (var node in _nodes.Values.Concat(_others))
        {
            await node.StopAsync();
            node.Dispose();
        }

        await _network.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still closing is left for the OS temp cleaner.
        }

        var unexpected = _nodes.Values.Concat(_others).SelectMany(n => n.Logs.UnexpectedErrors().Select(e => $"{n.Code} {e.Category}: {e} {e.Exception}")).ToList();
        if (unexpected.Count > 0)
        {
            Assert.Fail("Unexpected errors were logged:\n" + string.Join('\n', unexpected));
        }
    }
}

/// <summary>Assertions shared by the exchange tests.</summary>
internal static class ExchangeAssert
{
    /// <summary>
    /// A handshake the server refused: with TLS 1.3 the client learns of the refused certificate only when it
    /// reads, so .NET reports Unavailable or Internal; never an answer from a service.
    /// </summary>
    public static void AssertRefusedAtTls(RpcException e) =>
        Assert.True(e.StatusCode is StatusCode.Unavailable or StatusCode.Internal, $"expected a refused handshake, got {e.StatusCode}: {e.Status.Detail}");
}
