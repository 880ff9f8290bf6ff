using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using KpNode.Storage;
using KpNode.Tests.Exchange;
using KpNode.Tests.Operations;
using KpNode.Wire.V1;

namespace KpNode.Tests.Hosting;

public sealed class ListenerTests
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>Every method of the operator-only services, read from the generated descriptors, so a new one is covered too.</summary>
    private static readonly ServiceDescriptor[] OperatorServices = [LocalApiService.Descriptor, OperationsService.Descriptor, PrintingService.Descriptor];

    [Fact]
    public async Task No_Local_or_Operations_method_answers_a_partner_on_the_Peer_port_and_none_touches_the_store()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net.DeliverAsync("ZA", "BE");
        using var be = net.Credentials("BE");
        using var channel = GrpcChannel.ForAddress(net["ZA"].Host!.PeerAddress, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new System.Net.Security.SslClientAuthenticationOptions
                {
                    ClientCertificates = [be.NodeTls],
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                },
            },
        });
        var store = net.Store("ZA");
        var (countsBefore, auditBefore) = (Counts(store), AuditLength(store));

        var methods = OperatorServices.SelectMany(s => s.Methods).ToList();
        Assert.True(methods.Count >= 11, $"only {methods.Count} methods found in the descriptors");
        foreach (var method in methods)
        {
            var service = method.Service.FullName;
            // An empty request (every proto3 message parses from no bytes): whatever a partner sends, no method may run.
            var call = new Method<byte[], byte[]>(MethodType.Unary, service, method.Name, Bytes, Bytes);
            var e = await Assert.ThrowsAsync<RpcException>(() =>
                channel.CreateCallInvoker().AsyncUnaryCall(call, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), []).ResponseAsync);
            // Not mapped on this listener at all: the authorization policy behind it is never even consulted.
            Assert.True(e.StatusCode == StatusCode.Unimplemented, $"{service}/{method.Name} on the Peer port answered {e.StatusCode}: {e.Status.Detail}");
        }

        Assert.Equal(countsBefore, Counts(store));
        Assert.Equal(auditBefore, AuditLength(store));

        // The Peer API itself still serves the partner on the same connection.
        var ping = await new PeerExchangeService.PeerExchangeServiceClient(channel)
            .PingAsync(new PingRequest { Nonce = Google.Protobuf.ByteString.CopyFrom(new byte[16]) });
        Assert.NotNull(ping.Answer);
    }

    [Fact]
    public async Task The_Peer_API_does_not_answer_operators_on_the_Local_port()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var za = net.Credentials("ZA");
        var local = new PeerExchangeService.PeerExchangeServiceClient(
            HealthTests.Channel(net["ZA"].Host!.LocalAddress, za.Operator, net.RootOf("ZA")));
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            local.PingAsync(new PingRequest { Nonce = Google.Protobuf.ByteString.CopyFrom(new byte[16]) }).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    [Fact]
    public async Task A_partner_certificate_is_validated_once_per_connection_at_the_handshake_and_not_again_per_call()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var clock = new ShiftedTime();
        await net["ZA"].StopAsync();
        await net["ZA"].StartAsync(clock);
        using var be = net.Credentials("BE");
        var admitted = net.DialPeer("ZA", be.NodeTls, net.RootOf("ZA"));
        await admitted.PingAsync(Nonce());

        // On ZA's clock BE's node certificate has now expired: a call on the admitted connection is served as the
        // caller its handshake established, while a new handshake validates the certificate again and refuses it.
        clock.Offset = be.NodeTls.NotAfter.ToUniversalTime() - DateTime.UtcNow + TimeSpan.FromDays(1);
        Assert.NotNull((await admitted.PingAsync(Nonce())).Answer);
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            net.DialPeer("ZA", be.NodeTls, net.RootOf("ZA")).PingAsync(Nonce()).ResponseAsync);
        ExchangeAssert.AssertRefusedAtTls(e);
    }

    private static PingRequest Nonce() => new() { Nonce = Google.Protobuf.ByteString.CopyFrom(new byte[16]) };

    private static string Counts(INodeStore store) =>
        string.Join(", ", store.CountCertificatesByStatus().OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));

    private static int AuditLength(INodeStore store) => store.ReadAudit(0, int.MaxValue).Count;
}
