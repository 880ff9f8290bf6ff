using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using KpNode.Storage;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;

namespace KpNode.Tests.Operations;

public sealed class HealthTests
{
    [Fact]
    public async Task Health_is_SERVING_on_the_Peer_endpoint_to_partners_and_on_the_Local_endpoint_to_operators()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var za = net.Credentials("ZA");
        using var be = net.Credentials("BE");

        var local = new Health.HealthClient(LocalChannel(net, za.Operator));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await local.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await local.CheckAsync(new HealthCheckRequest { Service = "kp.v1.LocalApiService" })).Status);

        var peer = new Health.HealthClient(PeerChannel(net, be.NodeTls));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await peer.CheckAsync(new HealthCheckRequest { Service = "kp.v1.PeerExchangeService" })).Status);
        foreach (var localOnly in new[] { "kp.v1.LocalApiService", "kp.v1.OperationsService" })
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => peer.CheckAsync(new HealthCheckRequest { Service = localOnly }).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, e.StatusCode);
        }
    }

    [Fact]
    public async Task Health_turns_NOT_SERVING_when_the_store_is_unusable_and_status_says_why()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var za = net.Credentials("ZA");
        var health = new Health.HealthClient(LocalChannel(net, za.Operator));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);

        // The store closes under the running node, as when its disk goes away; the health check logs that as an error.
        net["ZA"].Logs.ExpectErrors(e => e.Message.Contains("the store is not usable", StringComparison.Ordinal));
        ((NodeStore)net.Store("ZA")).Dispose();

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
        var status = await Ops.StatusAsync(net["ZA"]);
        Assert.False(status.Healthy);
        Assert.Contains("store: the store is not usable", status.HealthDetail);
        Assert.Contains(nameof(ObjectDisposedException), status.HealthDetail);

        var cli = await KpNodeProcess.RunAsync("health", "--config", net["ZA"].Config.FilePath);
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("NOT_SERVING", cli.Stdout);
        Assert.Contains("kpnode status", cli.Stderr);
    }

    [Fact]
    public async Task Kpnode_health_exits_0_for_a_serving_node_and_1_with_a_reason_when_none_runs()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var serving = await KpNodeProcess.RunAsync("health", "--config", net["ZA"].Config.FilePath);
        Assert.True(serving.ExitCode == 0, serving.Stderr);
        Assert.Equal("SERVING", serving.Stdout.Trim());

        await net["ZA"].StopAsync();
        var down = await KpNodeProcess.RunAsync("health", "--config", net["ZA"].Config.FilePath);
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("Is the node running?", down.Stderr);
    }

    [Fact]
    public async Task A_third_party_gRPC_client_python_grpcio_gets_SERVING_over_mutual_TLS_on_both_endpoints()
    {
        await ThirdPartyTools.RequirePythonGrpcAsync();
        const string python = ThirdPartyTools.Python;

        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var script = Path.Combine(KpNodeProcess.RepoRoot(), "tests", "clients", "grpc_health_check.py");
        string Pki(string code, string file) => Path.Combine(net.PkiDir(code), file);

        var local = await ThirdPartyTools.RunAsync(python,
            [script, $"127.0.0.1:{net["ZA"].Host!.LocalPort}", Pki("ZA", "root.crt"), Pki("ZA", "operator.crt"), Pki("ZA", "operator.key")],
            TimeSpan.FromSeconds(30));
        Assert.True(local.ExitCode == 0, $"Local endpoint: {local.Stdout} {local.Stderr}");
        Assert.Equal("SERVING", local.Stdout.Trim());

        // On the Peer endpoint the third-party client presents partner BE's node certificate.
        var peer = await ThirdPartyTools.RunAsync(python,
            [script, $"127.0.0.1:{net["ZA"].Host!.PeerPort}", Pki("ZA", "root.crt"), Pki("BE", "node.crt"), Pki("BE", "node.key"), "kp.v1.PeerExchangeService"],
            TimeSpan.FromSeconds(30));
        Assert.True(peer.ExitCode == 0, $"Peer endpoint: {peer.Stdout} {peer.Stderr}");
        Assert.Equal("SERVING", peer.Stdout.Trim());

        // Its TLS stack is refused like ours when the certificate is not a partner's: no answer at all.
        var stranger = await ThirdPartyTools.RunAsync(python,
            [script, $"127.0.0.1:{net["ZA"].Host!.PeerPort}", Pki("ZA", "root.crt"), Pki("ZA", "operator.crt"), Pki("ZA", "operator.key")],
            TimeSpan.FromSeconds(30));
        Assert.Equal(2, stranger.ExitCode);
        Assert.StartsWith("ERROR UNAVAILABLE", stranger.Stdout.Trim());
    }

    [Fact]
    public async Task Reflection_describes_the_Local_endpoint_to_operators_and_nothing_to_partners()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var za = net.Credentials("ZA");
        using var be = net.Credentials("BE");

        var services = await ListServicesAsync(new ServerReflection.ServerReflectionClient(LocalChannel(net, za.Operator)));
        Assert.Contains("kp.v1.LocalApiService", services);
        Assert.Contains("kp.v1.OperationsService", services);
        Assert.Contains("grpc.health.v1.Health", services);

        var e = await Assert.ThrowsAsync<RpcException>(() =>
            ListServicesAsync(new ServerReflection.ServerReflectionClient(PeerChannel(net, be.NodeTls))));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    private static async Task<List<string>> ListServicesAsync(ServerReflection.ServerReflectionClient client)
    {
        using var call = client.ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
    }

    private static GrpcChannel LocalChannel(TestNetwork net, System.Security.Cryptography.X509Certificates.X509Certificate2 client) =>
        Channel(net["ZA"].Host!.LocalAddress, client, net.RootOf("ZA"));

    private static GrpcChannel PeerChannel(TestNetwork net, System.Security.Cryptography.X509Certificates.X509Certificate2 client) =>
        Channel(net["ZA"].Host!.PeerAddress, client, net.RootOf("ZA"));

    internal static GrpcChannel Channel(Uri address, System.Security.Cryptography.X509Certificates.X509Certificate2 client,
        System.Security.Cryptography.X509Certificates.X509Certificate2 serverRoot)
    {
        var trust = new KpNode.Trust.TrustChain();
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new System.Net.Security.SslClientAuthenticationOptions
                {
                    ClientCertificates = [client],
                    RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && trust.Validate(
                        System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(cert.GetRawCertData()), [],
                        KpNode.Trust.KeyPurpose.ServerAuth, DateTimeOffset.UtcNow, [serverRoot]).IsTrusted,
                },
            },
        });
    }
}
