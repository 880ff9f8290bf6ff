using Grpc.Core;
using KpNode.Tests.Storage;
using KpNode.Wire.V1;
using static KpNode.Tests.Exchange.ExchangeAssert;

namespace KpNode.Tests.Exchange;

public sealed class DeliveryTests
{
    private const int GivenUp = 1302;

    private static bool ProbeFailed(Microsoft.Extensions.Logging.Testing.FakeLogRecord e) => e.Id.Id == 1307 && e.Message.Contains("BE", StringComparison.Ordinal);

    [Fact]
    public async Task A_partner_that_contacts_us_gets_its_backlog_at_once_despite_a_long_backoff()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"],
        [
            new("Node:Delivery:FirstBackoff", "00:03:00"),
            new("Node:Delivery:MaxBackoff", "00:10:00"),
            // No probing during the test: only BE's call may wake ZA's backlog.
            new("Node:Delivery:ProbeInterval", "01:00:00"),
        ]);
        await net["BE"].StopAsync();
        var waiting = await net.IssueAsync("ZA", "BE");
        var failed = await net.WaitForAsync("ZA", waiting.Certificate.Number, r => r.Attempts > 0);
        Assert.True(failed.NextAttemptAt.ToDateTime() > DateTime.UtcNow.AddMinutes(2), "the outbox backs off for minutes");

        await net["BE"].StartAsync();
        // BE being up is not enough: ZA found the link down, so it only probes (hourly here) and the message's backoff
        // runs for minutes; nothing but BE's call below can make ZA try it within this test.
        Assert.NotNull(net.Lane("ZA", "BE").LinkDownSince);
        Assert.Equal(CertificateStatus.Issued, (await net.FindAsync("ZA", waiting.Certificate.Number))!.Status);

        // BE delivers something to ZA: ZA now knows BE is up and retries its backlog at once.
        await net.IssueAsync("BE", "ZA");
        // Delivered in seconds, not after the minutes of backoff (a failure right after the contact retries soon).
        await net.WaitForAsync("ZA", waiting.Certificate.Number, r => r.Status == CertificateStatus.Delivered, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_partner_call_within_the_reset_throttle_after_a_failed_pass_is_put_off_not_dropped()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"],
        [
            new("Node:Delivery:FirstBackoff", "00:03:00"),
            new("Node:Delivery:MaxBackoff", "00:10:00"),
            new("Node:Delivery:ProbeInterval", "01:00:00"),
            new("Node:Delivery:ResetThrottle", "00:00:06"),
        ]);
        await net["BE"].StopAsync();
        var waiting = await net.IssueAsync("ZA", "BE");
        await net.WaitForAsync("ZA", waiting.Certificate.Number, r => r.Attempts > 0);

        // A call as BE while BE's node is still down (its client came up first): ZA resets and tries BE, and fails.
        using (var credentials = net.Credentials("BE"))
        {
            await net.DialPeer("ZA", credentials.NodeTls, net.RootOf("ZA")).PingAsync(new PingRequest { Nonce = Google.Protobuf.ByteString.CopyFrom(new byte[16]) });
        }

        await net.WaitForAsync("ZA", waiting.Certificate.Number, r => r.Attempts > 1);
        Assert.NotNull(net.Lane("ZA", "BE").LinkDownSince);

        // BE is up and calls within the throttle of that failed pass: its reset comes when the throttle ends, not
        // at the next probe an hour away.
        await net["BE"].StartAsync();
        await net.IssueAsync("BE", "ZA");
        await net.WaitForAsync("ZA", waiting.Certificate.Number, r => r.Status == CertificateStatus.Delivered, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_certificate_issued_while_a_delivery_is_in_flight_goes_at_once_without_waiting_for_it()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"]);
        var importer = net.Store("BE");
        // Every delivery to BE stays in flight, waiting for its turn in BE's store.
        using var held = HeldWrite.Start(importer);
        var before = importer.Activity;

        var first = await net.IssueAsync("ZA", "BE");
        var second = await net.IssueAsync("ZA", "BE");
        // Both deliveries wait in BE's store at once only if the second did not wait for the first to come back.
        await held.WaitForQueuedAsync(2);
        await held.ReleaseAsync();

        await net.WaitForAsync("ZA", first.Certificate.Number, r => r.Status == CertificateStatus.Delivered);
        await net.WaitForAsync("ZA", second.Certificate.Number, r => r.Status == CertificateStatus.Delivered);
        // Both were waiting at BE when its store came free, so one group commit stored them; a second certificate
        // held back until the first was receipted would have needed a commit of its own.
        var stored = importer.Activity - before;
        Assert.Equal(2, stored.DurableWrites);
        Assert.Equal(1, stored.GroupCommits);
    }

    [Fact]
    public async Task A_partner_back_from_an_outage_is_found_by_probing_and_gets_its_backlog_within_seconds()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"],
        [
            new("Node:Delivery:FirstBackoff", "00:03:00"),
            new("Node:Delivery:MaxBackoff", "00:10:00"),
            new("Node:Delivery:ProbeInterval", "00:00:00.500"),
        ]);
        await net["BE"].StopAsync();
        var waiting = await net.IssueAsync("ZA", "BE");
        var failed = await net.WaitForAsync("ZA", waiting.Certificate.Number, r => r.Attempts > 0);
        Assert.True(failed.NextAttemptAt.ToDateTime() > DateTime.UtcNow.AddMinutes(2), "the outbox backs off for minutes");

        // BE comes back and sends nothing: ZA's probe notices and delivers long before the backoff ends.
        await net["BE"].StartAsync();
        await net.WaitForAsync("ZA", waiting.Certificate.Number, r => r.Status == CertificateStatus.Delivered, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_partner_down_with_a_backlog_is_probed_not_tried_message_by_message_and_gets_each_certificate_once_when_back()
    {
        // Default backoffs (1 s, doubling): retried message by message, every certificate would show attempts within seconds.
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"], [new("Node:Delivery:ProbeInterval", "00:00:00.500")]);
        await net["BE"].StopAsync();
        var first = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        await net.WaitForAsync("ZA", first, r => r.Attempts > 0);
        var foundDownAt = DateTime.UtcNow;
        var backlog = new List<string>();
        for (var i = 0; i < 59; i++)
        {
            backlog.Add((await net.IssueAsync("ZA", "BE")).Certificate.Number);
        }

        // Three probes later: the link was found down once, and nothing more was tried or written.
        var probesBefore = net["ZA"].Logs.Entries.Count(ProbeFailed);
        await net["ZA"].Logs.WaitForAsync(ProbeFailed, count: probesBefore + 3);
        Assert.Equal(1, (await net.FindAsync("ZA", first))!.Attempts);
        foreach (var number in backlog)
        {
            Assert.Equal(0, (await net.FindAsync("ZA", number))!.Attempts);
        }

        // The status still says why: the probes keep the lane's last failure fresh.
        var link = (await net["ZA"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest())).Partners.Single(p => p.Participant == "BE");
        Assert.Equal(PartnerReachability.Unreachable, link.Reachability);
        Assert.Equal(DeliveryFailureCause.Unreachable, link.LastErrorCause);
        Assert.StartsWith("unreachable: BE", link.LastError);
        Assert.Contains("No connection to BE's node", link.LastErrorAdvice);
        Assert.True(link.LastFailureAt.ToDateTime() > foundDownAt, "a probe failed after the link was found down");
        Assert.Equal(60, link.Backlog);

        // BE comes back and sends nothing: a probe finds it, and the whole backlog goes at once, each certificate once.
        await net["BE"].StartAsync();
        foreach (var number in backlog.Prepend(first))
        {
            await net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered, TimeSpan.FromSeconds(10));
        }

        foreach (var number in backlog)
        {
            Assert.Equal(0, (await net.FindAsync("ZA", number))!.Attempts);
        }

        var atBe = await net["BE"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest { Partner = "ZA", PageSize = 100 });
        Assert.Equal(backlog.Prepend(first).Order(), atBe.Records.Select(r => r.Certificate.Number).Order());
    }

    [Fact]
    public async Task Delivery_is_given_up_at_the_certificates_expiry_with_a_clear_reason()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var clock = new ShiftedTime();
        await net.RestartAsync("ZA", [], clock);
        await net["BE"].StopAsync();
        net["ZA"].Logs.ExpectErrors(e => e.Id.Id == GivenUp);

        var issued = await net.IssueAsync("ZA", "BE");
        await net.WaitForAsync("ZA", issued.Certificate.Number, r => r.Attempts > 0);
        clock.Offset = TimeSpan.FromDays(62);

        var record = await net.WaitForAsync("ZA", issued.Certificate.Number, r => r.Status == CertificateStatus.Undeliverable);
        Assert.Contains($"expired on {issued.Certificate.DateOfExpiry}", record.StatusReason);
        Assert.Equal("GivenUp", record.DeliveryState);

        // Nothing more is sent: ZA's outbox holds nothing for BE, and BE, back up, never receives it.
        await net["BE"].StartAsync();
        var retry = await net["ZA"].Client.Operations.RetryNowAsync(new RetryNowRequest { Partner = "BE" });
        Assert.Equal(0, retry.Rescheduled);
        Assert.Null(await net.FindAsync("BE", issued.Certificate.Number));
    }

    [Fact]
    public async Task The_Local_API_admits_only_our_own_operators()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var za = net.Credentials("ZA");
        using var be = net.Credentials("BE");

        var asOperator = await net.DialLocal("ZA", za.Operator).GetStatusAsync(new GetStatusRequest());
        Assert.Equal("ZA", asOperator.Participant);

        foreach (var stranger in new[] { za.NodeTls, be.Operator, be.NodeTls })
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => net.DialLocal("ZA", stranger).GetStatusAsync(new GetStatusRequest()).ResponseAsync);
            AssertRefusedAtTls(e);
        }
    }

    [Fact]
    public async Task The_Peer_API_does_not_serve_the_Local_API_even_to_a_partner()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var be = net.Credentials("BE");
        var channelToPeerPort = new LocalApiService.LocalApiServiceClient(
            Grpc.Net.Client.GrpcChannel.ForAddress(net["ZA"].Host!.PeerAddress, new Grpc.Net.Client.GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    SslOptions = new System.Net.Security.SslClientAuthenticationOptions
                    {
                        ClientCertificates = [be.NodeTls],
                        RemoteCertificateValidationCallback = (_, _, _, _) => true,
                    },
                },
            }));
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            channelToPeerPort.IssueCertificateAsync(new IssueCertificateRequest { Draft = KpNode.Cli.DemoDrafts.Draft("ZA", "BE") }).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        Assert.Empty((await net["ZA"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records);
    }
}
