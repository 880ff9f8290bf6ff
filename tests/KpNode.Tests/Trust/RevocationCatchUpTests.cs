using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Tests.Hostile;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using MessageStatus = KpNode.Domain.MessageStatus;

namespace KpNode.Tests.Trust;

/// <summary>
/// A partner configured after our revocation list was published (live by `partner add`, or while the node was down)
/// is sent that list once, through the outbox with its receipt, and never again: not on a restart, not on a reload.
/// </summary>
public sealed class RevocationCatchUpTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("kpnode-revocation-catch-up-");

    public void Dispose() => _temp.Delete(recursive: true);

    private static List<KpNode.Domain.PartnerMessage> NoticesTo(TestNetwork net, string partner) =>
        PartnerReloadTests.OutboundTo(net, "ZA", partner).Where(m => m.PayloadType == PayloadTypes.RevocationNotice).ToList();

    /// <summary>The one notice ZA queued for <paramref name="partner"/>, once it has the partner's accepting receipt.</summary>
    private static async Task<KpNode.Domain.PartnerMessage> DeliveredNoticeAsync(TestNetwork net, string partner)
    {
        var id = net.Store("ZA").FindRevocationList("ZA")!.NoticesSent[partner];
        var notice = await Eventually.WaitAsync(() => Task.FromResult(net.Store("ZA").FindMessage(id)), m => m?.Status == MessageStatus.Delivered,
            TimeSpan.FromSeconds(30), m => $"the notice to {partner} is {m?.Status}: {m?.LastError}");
        Assert.NotNull(notice!.ReceiptEnvelope);
        Assert.Equal(id, Assert.Single(NoticesTo(net, partner)).Id);
        return notice;
    }

    [Fact]
    public async Task A_partner_added_live_after_the_list_was_published_receives_its_notice_once_with_a_receipt_and_refuses_the_revoked_key_and_a_restart_sends_nothing_again()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE", "AE");
        net["ZA"].Logs.ExpectErrors(r => r.Id.Id == 1714);
        // AE is not yet ZA's partner, nor ZA AE's.
        await PartnerReloadTests.WithoutPartnersAsync(net, "ZA", "AE");
        await PartnerReloadTests.WithoutPartnersAsync(net, "AE", "ZA");
        using var za = net.Credentials("ZA");
        // A little in the past: CRL times are whole seconds, rounded up.
        await RevocationExchangeTests.PublishAsync(net, "ZA", RevocationExchangeTests.Revoke(net, "ZA", null, X509RevocationReason.Superseded,
            DateTimeOffset.UtcNow.AddSeconds(-2), za.DocumentSigning.SerialNumber));
        await RevocationExchangeTests.WaitUntilHeldAsync(net, "BE", "ZA", 1);
        Assert.Equal(["BE"], net.Store("ZA").FindRevocationList("ZA")!.NoticesSent.Keys);

        // AE takes ZA's card, then ZA takes AE's, both live: ZA's reload queues the notice for AE.
        await PartnerReloadTests.AddCardAsync(net, _temp.FullName, "ZA", "AE");
        Assert.Contains("The running node took it", (await PartnerReloadTests.AddCardAsync(net, _temp.FullName, "AE", "ZA")).Stdout);
        await RevocationExchangeTests.WaitUntilHeldAsync(net, "AE", "ZA", 1);
        var notice = await DeliveredNoticeAsync(net, "AE");
        Assert.Contains(net.Store("ZA").ReadAudit(0, 10_000), a => a.Action == "revocation.notice-queued" && a.Detail.Contains("AE", StringComparison.Ordinal));
        // Each side's status says so: ZA's notice to AE delivered, AE holding ZA's list.
        var toAe = (await net["ZA"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest())).Partners.Single(p => p.Participant == "AE");
        Assert.Equal((1, RevocationNoticeState.Delivered), (toAe.RevocationNoticeCrlNumber, toAe.RevocationNoticeState));
        Assert.Equal(1, (await net["AE"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest())).Partners.Single(p => p.Participant == "ZA").HeldCrlNumber);

        // AE refuses what the revoked key signs.
        var later = HostileInputs.Issued("ZA", "AE");
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            RevocationExchangeTests.DeliverByHandAsync(net, "AE", za.DocumentSigning, za.NodeTls, later, PayloadTypes.CertificateIssued));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains(RevocationList.CanonicalSerial(za.DocumentSigning.SerialNumber), refused.Status.Detail);
        Assert.Null(await net.FindAsync("AE", later.Certificate.Number));

        // The catch-up runs inside the start and the reload, before each returns: what either would queue is in the store now.
        await net.RestartAsync("ZA", []);
        await PartnerReloadTests.Kpnode("partner", "reload", "--config", net["ZA"].Config.FilePath);
        Assert.Equal(notice.Id, Assert.Single(NoticesTo(net, "AE")).Id);
        Assert.Single(NoticesTo(net, "BE"));
        Assert.Equal(["AE", "BE"], net.Store("ZA").FindRevocationList("ZA")!.NoticesSent.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_partner_configured_while_the_node_was_down_is_sent_the_list_at_start_once()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE", "AE");
        var path = net["ZA"].Config.FilePath;
        var withAe = await File.ReadAllTextAsync(path);
        await PartnerReloadTests.WithoutPartnersAsync(net, "ZA", "AE");
        await RevocationExchangeTests.PublishAsync(net, "ZA", RevocationExchangeTests.Revoke(net, "ZA", null, X509RevocationReason.Superseded,
            DateTimeOffset.UtcNow, "0A"));
        await RevocationExchangeTests.WaitUntilHeldAsync(net, "BE", "ZA", 1);
        Assert.Empty(NoticesTo(net, "AE"));

        // The config file edited while the node is down, as an operator would.
        await net["ZA"].StopAsync();
        await File.WriteAllTextAsync(path, withAe);
        net["ZA"].Config = KpNode.Configuration.NodeConfig.Load(path);
        await net["ZA"].StartAsync();
        await RevocationExchangeTests.WaitUntilHeldAsync(net, "AE", "ZA", 1);
        var notice = await DeliveredNoticeAsync(net, "AE");

        await net.RestartAsync("ZA", []);
        Assert.Equal(notice.Id, Assert.Single(NoticesTo(net, "AE")).Id);
        Assert.Single(NoticesTo(net, "BE"));
    }
}
