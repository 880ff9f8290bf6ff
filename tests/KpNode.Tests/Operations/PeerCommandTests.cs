using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Operations;

public sealed class PeerCommandTests
{
    [Fact]
    public async Task Peer_ping_reports_latency_and_both_identities_from_a_verified_signed_answer()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var za = net["ZA"].Config.FilePath;

        var json = await KpNodeProcess.RunAsync("peer", "ping", "--config", za, "BE", "--json");
        Assert.True(json.ExitCode == 0, json.Stderr + json.Stdout);
        var answer = Ops.Json.Parse<PingPeerResponse>(json.Stdout);
        Assert.True(answer.Ok);
        Assert.Equal("BE", answer.Responder);
        Assert.Equal("ZA", answer.CallerSeenByPartner);
        Assert.Contains("BE", answer.ResponderSignerSubject);
        Assert.InRange(answer.Latency.ToTimeSpan(), TimeSpan.FromTicks(1), TimeSpan.FromSeconds(5));

        var human = await KpNodeProcess.RunAsync("peer", "ping", "--config", za, "BE");
        Assert.Equal(0, human.ExitCode);
        Assert.Contains("BE answered in", human.Stdout);
        Assert.Contains("verified against BE's root", human.Stdout);
        Assert.Contains("ZA as BE saw our TLS certificate", human.Stdout);
    }

    [Fact]
    public async Task Peer_ping_to_a_stopped_partner_says_why_and_what_to_do_and_exits_1()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["BE"].StopAsync();
        var result = await KpNodeProcess.RunAsync("peer", "ping", "--config", net["ZA"].Config.FilePath, "BE");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("BE did not answer the ping", result.Stdout);
        Assert.Contains("unreachable: BE", result.Stdout);
        Assert.Contains("What to do: No connection to BE's node", result.Stdout);

        var unknown = await KpNodeProcess.RunAsync("peer", "ping", "--config", net["ZA"].Config.FilePath, "XX");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("XX is not a configured partner of ZA (configured: BE)", unknown.Stderr);
    }

    [Fact]
    public async Task Retry_now_delivers_a_backlog_at_once_despite_a_long_backoff_and_reports_it()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"],
        [
            new("Node:Delivery:FirstBackoff", "00:03:00"),
            new("Node:Delivery:MaxBackoff", "00:10:00"),
            // No probing during the test: only the operator's retry may deliver.
            new("Node:Delivery:ProbeInterval", "01:00:00"),
        ]);
        await net["BE"].StopAsync();
        var waiting = await net.IssueAsync("ZA", "BE");
        await net.WaitForAsync("ZA", waiting.Certificate.Number, r => r.Attempts > 0);
        // BE back, but unable to call ZA: its pre-flight hello, like any call from a partner, would wake ZA's lane.
        Assert.Equal("ZA", net["BE"].Config.Options.Partners.Single().Participant);
        await net.RestartAsync("BE", [new("Node:Partners:0:Address", "https://localhost:9")]);
        // BE answers again (a ping does not touch ZA's outbox): from here only the backoff holds the message back.
        await WaitUntilPingAnswersAsync(net, "ZA", "BE");

        var result = await KpNodeProcess.RunAsync("peer", "retry-now", "--config", net["ZA"].Config.FilePath, "BE", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var report = Ops.Json.Parse<RetryNowResponse>(result.Stdout);
        Assert.Equal(1, report.Rescheduled);
        Assert.Equal(1, report.Delivered);
        Assert.Equal(0, report.StillPending);
        Assert.Equal(PartnerReachability.Reachable, report.PartnerLink.Reachability);
        Assert.Equal(CertificateStatus.Delivered, (await net.FindAsync("ZA", waiting.Certificate.Number))!.Status);

        var nothing = await KpNodeProcess.RunAsync("peer", "retry-now", "--config", net["ZA"].Config.FilePath, "BE");
        Assert.Equal(0, nothing.ExitCode);
        Assert.Contains("Nothing waits for BE", nothing.Stdout);
    }

    private static async Task WaitUntilPingAnswersAsync(TestNetwork net, string from, string to)
    {
        var answer = await Eventually.WaitAsync(() => net[from].Client.Operations.PingPeerAsync(new PingPeerRequest { Partner = to }).ResponseAsync,
            a => a.Ok, TimeSpan.FromSeconds(15), last => $"{to} did not answer {from}'s ping: {last}");
        Assert.True(answer.Ok, answer.ToString());
    }

    [Fact]
    public async Task Retry_now_towards_a_partner_still_down_reports_the_explained_error()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"],
        [
            new("Node:Delivery:FirstBackoff", "00:03:00"),
            new("Node:Delivery:MaxBackoff", "00:10:00"),
        ]);
        await net["BE"].StopAsync();
        var waiting = await net.IssueAsync("ZA", "BE");
        await net.WaitForAsync("ZA", waiting.Certificate.Number, r => r.Attempts > 0);

        var result = await KpNodeProcess.RunAsync("peer", "retry-now", "--config", net["ZA"].Config.FilePath, "BE");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Cleared the backoff of 1 message(s) for BE", result.Stdout);
        Assert.Contains("1 still pending", result.Stdout);
        Assert.Contains("unreachable: BE", result.Stdout);
        Assert.Equal(2, (await net.FindAsync("ZA", waiting.Certificate.Number))!.Attempts);
    }
}
