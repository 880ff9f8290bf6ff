using Google.Protobuf;
using Grpc.Core;
using KpNode.Diagnostics;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace KpNode.Tests.Hostile;

/// <summary>A flood of refused TLS handshakes is summed up in the log, not written one warning per handshake.</summary>
public sealed class HandshakeFloodTests
{
    private const int Handshakes = 150;

    [Fact]
    public async Task A_flood_of_refused_handshakes_from_one_address_logs_a_few_in_detail_and_one_summary_with_the_count_and_cause()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"], [new("Node:Operations:RefusedHandshakeLogWindow", "00:10:00")]);
        // Same participant code as ZA, but a root BE never configured: each new connection is refused at TLS.
        using var impostor = DevPki.Create("ZA", [], DateTimeOffset.UtcNow);
        for (var i = 0; i < Handshakes; i++)
        {
            var peer = net.DialPeer("BE", impostor.NodeTls, net.RootOf("BE"));
            var e = await Assert.ThrowsAsync<RpcException>(() => peer.PingAsync(new PingRequest { Nonce = ByteString.CopyFromUtf8("x") }).ResponseAsync);
            ExchangeAssert.AssertRefusedAtTls(e);
        }

        // The partner itself is still served meanwhile.
        await net.DeliverAsync("ZA", "BE");
        // A stopping node sums up the window it is in (ten minutes here: one window, whatever the machine's speed).
        await net["BE"].StopAsync();

        var logs = net["BE"].Logs;
        var detailed = logs.Entries.Count(e => e.Id.Id == 1100);
        Assert.Equal(HandshakeRefusals.DetailedPerWindow, detailed);
        var summary = Assert.Single(logs.Entries, e => e.Id.Id == 1103);
        Assert.Contains($"Peer API refused {Handshakes - detailed} more TLS handshakes from 127.0.0.1", summary.Message);
        Assert.Contains($"{Handshakes - detailed} × not a valid certificate of ZA", summary.Message);
    }

    [Fact]
    public void Each_window_starts_with_detailed_refusals_again_and_ends_with_one_summary_per_source()
    {
        var time = new FakeTimeProvider();
        var collector = new FakeLogCollector();
        using var refusals = new HandshakeRefusals(TimeSpan.FromMinutes(1), time, new FakeLogger<HandshakeRefusals>(collector));
        bool From(string source, string reason)
        {
            HandshakeRefusals.Source = source;
            return refusals.Refused("Peer", reason);
        }

        Assert.Equal([true, true, true, false, false], Enumerable.Range(0, 5).Select(_ => From("192.0.2.1", "not a partner")));
        Assert.True(From("192.0.2.2", "not a partner"));
        Assert.Empty(collector.GetSnapshot());

        time.Advance(TimeSpan.FromMinutes(1));
        var summary = Assert.Single(collector.GetSnapshot());
        Assert.Contains("refused 2 more TLS handshakes from 192.0.2.1", summary.Message);
        Assert.Contains("2 × not a partner", summary.Message);
        Assert.True(From("192.0.2.1", "not a partner"));
    }
}
