using Google.Rpc;
using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

/// <summary>Every free-text field an operator writes for a partner obeys the certificate's text rule, not only its length.</summary>
public sealed class FreeTextTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private static string ViolatedField(RpcException e)
    {
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        return Assert.Single(e.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations).Field;
    }

    [Fact]
    public async Task A_void_reason_with_a_terminal_escape_sequence_is_refused_naming_the_field_and_nothing_changes()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var e = await Assert.ThrowsAsync<RpcException>(() => _net["ZA"].Client.Api.VoidCertificateAsync(
            new VoidCertificateRequest { CertificateNumber = number, Reason = "shipment not sent\u001b[2J" }).ResponseAsync);
        Assert.Equal("reason", ViolatedField(e));
        Assert.Contains("control character (U+001B)", e.Status.Detail);
        Assert.Equal(CertificateStatus.Delivered, (await _net.FindAsync("ZA", number))!.Status);
    }

    [Fact]
    public async Task Confirmation_remarks_with_a_right_to_left_override_are_refused_naming_the_field_and_nothing_changes()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var e = await Assert.ThrowsAsync<RpcException>(() => _net.ConfirmAsync("BE", number, remarks: "all in order \u202Edeniated"));
        Assert.Equal("remarks", ViolatedField(e));
        Assert.Equal(CertificateStatus.Received, (await _net.FindAsync("BE", number))!.Status);
    }
}
