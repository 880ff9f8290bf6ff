using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

public sealed class TradePolicyTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    /// <summary>In each node's config, partner 0 is the other node.</summary>
    private static KeyValuePair<string, string?> Partner(string key, string value) => new($"Node:Partners:0:{key}", value);

    [Fact]
    public async Task Issuing_to_a_suspended_partner_is_refused_naming_the_policy()
    {
        await _net.RestartAsync("ZA", [Partner("Standing", "Suspended")]);
        var e = await Assert.ThrowsAsync<RpcException>(() => _net.IssueAsync("ZA", "BE"));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("Node:Partners[BE]:Standing", e.Status.Detail);
        Assert.Empty((await _net["ZA"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records);
    }

    [Fact]
    public async Task A_certificate_from_a_suspended_partner_is_rejected_with_a_signed_policy_reason()
    {
        await _net.RestartAsync("BE", [Partner("Standing", "Suspended")]);
        var number = (await _net.IssueAsync("ZA", "BE")).Certificate.Number;
        var atExporter = await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Rejected);
        Assert.Contains("Policy", atExporter.StatusReason);
        Assert.Contains("suspended", atExporter.StatusReason);
        Assert.Null(await _net.FindAsync("BE", number));
    }

    [Fact]
    public async Task Refused_origins_are_refused_when_issuing_and_when_accepting()
    {
        await _net.RestartAsync("ZA", [new("Node:TradePolicy:RefusedOrigins:0", "RU")]);
        var issuing = await Assert.ThrowsAsync<RpcException>(() => _net.IssueAsync("ZA", "BE", d =>
        {
            d.OriginCountries.Clear();
            d.OriginCountries.Add("RU");
        }));
        Assert.Equal(StatusCode.FailedPrecondition, issuing.StatusCode);
        Assert.Contains("origin RU", issuing.Status.Detail);

        await _net.RestartAsync("BE", [Partner("RefusedOrigins:0", "ZA")]);
        var number = (await _net.IssueAsync("ZA", "BE")).Certificate.Number;
        var rejected = await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Rejected);
        Assert.Contains("origin ZA", rejected.StatusReason);
    }

    [Fact]
    public async Task A_partially_permitted_partner_may_export_only_from_listed_zones()
    {
        await _net.RestartAsync("BE", [Partner("Standing", "Partial"), Partner("PermittedOriginZones:0", "Kimberley")]);
        var outside = (await _net.IssueAsync("ZA", "BE")).Certificate.Number;
        var inside = (await _net.IssueAsync("ZA", "BE", d => d.OriginZone = "Kimberley")).Certificate.Number;

        var refused = await _net.WaitForAsync("ZA", outside, r => r.Status == CertificateStatus.Rejected);
        Assert.Contains("PermittedOriginZones", refused.StatusReason);
        await _net.WaitForAsync("ZA", inside, r => r.Status == CertificateStatus.Delivered);
        Assert.Equal("Kimberley", (await _net.FindAsync("BE", inside))!.Certificate.OriginZone);
    }

    [Fact]
    public async Task A_policy_that_names_no_zones_for_a_partial_partner_stops_the_node()
    {
        await _net["BE"].StopAsync();
        var e = Assert.Throws<KpNode.Configuration.ConfigurationProblemException>(() =>
            KpNode.Configuration.NodeConfig.Load(_net["BE"].Config.FilePath, [Partner("Standing", "Partial")]));
        Assert.Contains(e.Problems, p => p.StartsWith("Node:Partners:0:PermittedOriginZones:"));
    }
}
