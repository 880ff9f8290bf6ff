using KpNode.Operations;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Operations;

public sealed class PartnerLinkReportTests
{
    [Fact]
    public void Every_circuit_state_has_its_wire_value_and_its_words()
    {
        var wire = Enum.GetValues<Polly.CircuitBreaker.CircuitState>().Select(CircuitWords.ToWire).ToList();
        Assert.DoesNotContain(CircuitState.Unspecified, wire);
        Assert.Equal(wire.Count, wire.Distinct().Count());
        Assert.All(wire, w => Assert.NotEqual("-", CircuitWords.Words(w)));
        Assert.All(wire, w => Assert.NotEqual("", CircuitWords.Name(w)));
        Assert.Equal("HalfOpen", CircuitWords.Name(CircuitWords.ToWire(Polly.CircuitBreaker.CircuitState.HalfOpen)));
    }

    [Fact]
    public async Task The_Local_APIs_GetStatus_reports_the_same_partner_links_as_the_node_status()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["BE"].StopAsync();
        var issued = await net.IssueAsync("ZA", "BE");
        await net.WaitForAsync("ZA", issued.Certificate.Number, r => r.Attempts > 0);
        var link = Ops.Partner(await Ops.WaitForStatusAsync(net["ZA"], s => Ops.Partner(s, "BE").LastError != ""), "BE");

        var summary = (await net["ZA"].Client.Api.GetStatusAsync(new GetStatusRequest())).Partners.Single(p => p.Participant == "BE");
        Assert.Equal(link.Address, summary.Address);
        Assert.Equal(link.Backlog, summary.Backlog);
        Assert.Equal(1, summary.Backlog);
        Assert.Equal(link.OldestPendingAt, summary.OldestPendingAt);
        Assert.Contains("BE", summary.LastError);
        Assert.Contains(summary.CircuitState, new[] { CircuitState.Closed, CircuitState.Open, CircuitState.HalfOpen }.Select(CircuitWords.Name));
    }
}
