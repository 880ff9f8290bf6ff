using Google.Protobuf;
using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Tests.Operations;
using KpNode.Wire.V1;

namespace KpNode.Tests.Trust;

/// <summary>
/// Each certificate is accepted only in its role: a partner's node certificate on our Peer API, our operators'
/// certificates on our Local API. A partner's operator or signing certificate, valid under its root, is not a node.
/// </summary>
public sealed class RoleBindingTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Fact]
    public async Task A_partners_operator_certificate_is_refused_on_our_Peer_API()
    {
        using var be = _net.Credentials("BE");
        var e = await Assert.ThrowsAsync<RpcException>(() => Ping(be.Operator));
        ExchangeAssert.AssertRefusedAtTls(e);
        var refused = await _net["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1100);
        Assert.Contains("an operator certificate of BE", refused[0].Message, StringComparison.Ordinal);

        // Its node certificate is the partner.
        Assert.NotNull((await Ping(be.NodeTls)).Answer);
    }

    [Fact]
    public async Task A_partners_signing_certificate_is_refused_on_our_Peer_API()
    {
        using var be = _net.Credentials("BE");
        var e = await Assert.ThrowsAsync<RpcException>(() => Ping(be.DocumentSigning));
        ExchangeAssert.AssertRefusedAtTls(e);
        var refused = await _net["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1100);
        Assert.Contains("not a valid certificate of BE", refused[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Our_node_certificate_is_refused_on_our_Local_API()
    {
        using var za = _net.Credentials("ZA");
        var local = new LocalApiService.LocalApiServiceClient(HealthTests.Channel(_net["ZA"].Host!.LocalAddress, za.NodeTls, _net.RootOf("ZA")));
        var e = await Assert.ThrowsAsync<RpcException>(() => local.GetStatusAsync(new GetStatusRequest()).ResponseAsync);
        ExchangeAssert.AssertRefusedAtTls(e);
        var refused = await _net["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1101);
        Assert.Contains("not an operator certificate", refused[0].Message, StringComparison.Ordinal);
    }

    private Task<PingResponse> Ping(System.Security.Cryptography.X509Certificates.X509Certificate2 client) =>
        _net.DialPeer("ZA", client, _net.RootOf("ZA")).PingAsync(new PingRequest { Nonce = ByteString.CopyFromUtf8("who") }).ResponseAsync;
}
