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
    public static TheoryData<string, string> OperatorMethods()
    {
        var data = new TheoryData<string, string>();
        foreach (var service in new[] { LocalApiService.Descriptor, OperationsService.Descriptor })
        {
            foreach (var method in service.Methods)
            {
                data.Add(service.FullName, method.Name);
            }
        }

        return data;
    }

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

        var methods = OperatorMethods();
        Assert.NotEmpty(methods);
        foreach (var row in methods)
        {
            var (service, name) = ((string)row[0], (string)row[1]);
            var method = Descriptor(service).FindMethodByName(name);
            // An empty request of the method's own type: whatever a partner sends, the method must not run.
            var call = new Method<byte[], byte[]>(MethodType.Unary, service, name, Bytes, Bytes);
            var e = await Assert.ThrowsAsync<RpcException>(() =>
                channel.CreateCallInvoker().AsyncUnaryCall(call, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), []).ResponseAsync);
            Assert.True(e.StatusCode is StatusCode.Unimplemented or StatusCode.NotFound or StatusCode.PermissionDenied,
                $"{service}/{method.Name} on the Peer port answered {e.StatusCode}: {e.Status.Detail}");
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

    private static ServiceDescriptor Descriptor(string fullName) =>
        new[] { LocalApiService.Descriptor, OperationsService.Descriptor }.Single(s => s.FullName == fullName);

    private static string Counts(INodeStore store) =>
        string.Join(", ", store.CountCertificatesByStatus().OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));

    private static int AuditLength(INodeStore store) => store.ReadAudit(0, int.MaxValue).Count;
}
