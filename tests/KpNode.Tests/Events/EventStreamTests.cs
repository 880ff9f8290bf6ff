using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Events;

/// <summary>
/// The Local API's event stream on real nodes (Kestrel, mTLS, LiteDB files): durable cursors across a disconnect and a
/// restart, the live tail, each kind of event at the node it happens at, and refused cursors.
/// </summary>
public sealed class EventStreamTests
{
    private static bool Is(NodeEvent e, EventKind kind, string number) => e.Kind == kind && e.CertificateNumber == number;

    private static void AssertIncreasing(IEnumerable<NodeEvent> events, string after)
    {
        var previous = after.Length == 0 ? 0 : long.Parse(after, System.Globalization.CultureInfo.InvariantCulture);
        foreach (var e in events)
        {
            var cursor = long.Parse(e.Cursor, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(cursor > previous, $"cursor {e.Cursor} ({e.Kind} {e.CertificateNumber}) does not follow {previous}");
            previous = cursor;
        }
    }

    [Fact]
    public async Task A_watcher_reconnecting_with_its_last_cursor_gets_the_50_arrivals_of_its_absence_and_a_restart_once_each_in_order()
    {
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"], [new("Node:Delivery:ProbeInterval", "00:00:00.500")]);
        var before = await net.DeliverAsync("ZA", "BE");
        string cursor;
        using (var watcher = new Watcher(net["BE"]))
        {
            cursor = (await watcher.ReadUntilAsync(e => Is(e, EventKind.CertificateReceived, before), $"says {before} was received"))[^1].Cursor;
        }

        // 50 arrive while nobody watches: 25, then BE restarts and the other 25 wait in ZA's outbox until it is back.
        var numbers = new List<string>();
        for (var i = 0; i < 25; i++)
            numbers.Add((await net.IssueAsync("ZA", "BE")).Certificate.Number);
        foreach (var number in numbers)
            await net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Received);
        await net["BE"].StopAsync();
        for (var i = 0; i < 25; i++)
            numbers.Add((await net.IssueAsync("ZA", "BE")).Certificate.Number);
        await net["BE"].StartAsync();
        foreach (var number in numbers.Skip(25))
            await net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Received);
        // An event after all of them: reading up to it reads every event of the absence.
        await net.ConfirmAsync("BE", numbers[^1]);

        using var again = new Watcher(net["BE"], cursor);
        var events = await again.ReadUntilAsync(e => Is(e, EventKind.CertificateConfirmed, numbers[^1]), $"says {numbers[^1]} was confirmed");

        var arrivals = events.Where(e => e.Kind == EventKind.CertificateReceived).ToList();
        Assert.Equal(50, arrivals.Count);
        Assert.Equal(numbers.Order(StringComparer.Ordinal), arrivals.Select(e => e.CertificateNumber).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(events, e => e.CertificateNumber == before);
        AssertIncreasing(events, cursor);
        Assert.All(arrivals, e =>
        {
            Assert.Equal("ZA", e.Partner);
            Assert.Equal(CertificateStatus.Received, e.Status);
        });
    }

    [Fact]
    public async Task An_event_committed_while_a_watch_is_open_arrives_on_it_without_reconnecting()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var watcher = new Watcher(net["ZA"]);
        var first = await net.DeliverAsync("ZA", "BE");
        var seen = await watcher.ReadUntilAsync(e => Is(e, EventKind.CertificateDelivered, first), $"says {first} was delivered");

        // The watcher has read past the first delivery: the second can only reach it through the open stream's tail.
        var second = await net.DeliverAsync("ZA", "BE");
        var tail = await watcher.ReadUntilAsync(e => Is(e, EventKind.CertificateDelivered, second), $"says {second} was delivered");

        Assert.Equal("BE", tail[^1].Partner);
        Assert.Equal(CertificateStatus.Delivered, tail[^1].Status);
        AssertIncreasing(tail, seen[^1].Cursor);
    }

    [Fact]
    public async Task A_watch_open_when_the_node_stops_ends_unavailable_saying_which_cursor_to_resume_from()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var number = await net.DeliverAsync("ZA", "BE");
        using var watcher = new Watcher(net["BE"]);
        await watcher.ReadUntilAsync(e => Is(e, EventKind.CertificateReceived, number), $"says {number} was received");

        var stopping = net["BE"].StopAsync();
        var failure = await watcher.FailureAsync();
        await stopping;

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
        Assert.Contains("afterCursor", failure.Status.Detail);
    }

    [Fact]
    public async Task Confirmations_voids_and_revocation_lists_appear_as_their_kind_at_the_node_they_happen_at()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        using var za = new Watcher(net["ZA"]);
        using var be = new Watcher(net["BE"]);

        // Confirmed with a discrepancy by BE's operator: at BE as recorded, at ZA as its confirmation arrived.
        var confirmed = await net.DeliverAsync("ZA", "BE");
        await net.ConfirmAsync("BE", confirmed, ImportOutcome.Discrepancy, parcelsDelta: 1);
        var atImporter = (await be.ReadUntilAsync(e => Is(e, EventKind.CertificateConfirmed, confirmed), "confirms at BE"))[^1];
        Assert.Equal((CertificateStatus.Discrepancy, "ZA"), (atImporter.Status, atImporter.Partner));
        var atExporter = (await za.ReadUntilAsync(e => Is(e, EventKind.CertificateConfirmed, confirmed), "confirms at ZA"))[^1];
        Assert.Equal((CertificateStatus.Discrepancy, "BE"), (atExporter.Status, atExporter.Partner));
        Assert.Contains(za.Read, e => Is(e, EventKind.CertificateDelivered, confirmed));
        Assert.Contains(be.Read, e => Is(e, EventKind.CertificateReceived, confirmed));

        // Voided by ZA's operator: at ZA as done, at BE as ZA's void arrived.
        var voided = await net.DeliverAsync("ZA", "BE");
        await net["ZA"].Client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = voided, Reason = "shipment not sent" });
        var voidAtExporter = (await za.ReadUntilAsync(e => Is(e, EventKind.CertificateVoided, voided), "voids at ZA"))[^1];
        Assert.Equal((CertificateStatus.Voided, "BE"), (voidAtExporter.Status, voidAtExporter.Partner));
        Assert.Contains("shipment not sent", voidAtExporter.Text);
        var voidAtImporter = (await be.ReadUntilAsync(e => Is(e, EventKind.CertificateVoided, voided), "voids at BE"))[^1];
        Assert.Equal((CertificateStatus.Voided, "ZA"), (voidAtImporter.Status, voidAtImporter.Partner));

        // ZA's root revokes a serial no certificate has; the notice reaches BE through the outbox.
        using (var root = PkiFiles.LoadRootWithKey(Path.Combine(net.PkiDir("ZA"), "root.crt"), Path.Combine(net.PkiDir("ZA"), "root.key")))
        {
            var list = RevocationListIssuer.Revoke(root, null, "crl.pem", RevocationListIssuer.ParseSerial("7e57ab1e"), X509RevocationReason.Superseded,
                DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
            await net["ZA"].Client.Api.PublishRevocationListAsync(new PublishRevocationListRequest { Crl = ByteString.CopyFrom(list.Der) });
        }

        var revocation = (await be.ReadUntilAsync(e => e.Kind == EventKind.RevocationReceived, "says a revocation list arrived"))[^1];
        Assert.Equal(("ZA", "", CertificateStatus.Unspecified), (revocation.Partner, revocation.CertificateNumber, revocation.Status));
        Assert.Contains("revocation list 1", revocation.Text);

        AssertIncreasing(za.Read, "");
        AssertIncreasing(be.Read, "");
        // Each event once, whatever else the stream carried.
        Assert.Equal(za.Read.Count, za.Read.Select(e => e.Cursor).Distinct().Count());
        Assert.Equal(be.Read.Count, be.Read.Select(e => e.Cursor).Distinct().Count());
    }

    [Fact]
    public async Task A_partner_link_goes_down_once_and_up_once_and_a_refused_certificate_is_rejected_at_both_nodes()
    {
        // Quick retries, so that several failed attempts would show if each wrote an event.
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"],
            [new("Node:Delivery:ProbeInterval", "00:00:00.300"), new("Node:Delivery:FirstBackoff", "00:00:00.100")]);
        using var za = new Watcher(net["ZA"]);
        await net["BE"].StopAsync();
        var waiting = await net.IssueAsync("ZA", "BE");
        var down = (await za.ReadUntilAsync(e => e.Kind == EventKind.PartnerLinkDown, "says the link to BE is down"))[^1];
        Assert.Equal(("BE", ""), (down.Partner, down.CertificateNumber));

        // BE comes back refusing ZA's origin: the link is up, and BE refuses the certificate that waited.
        await net.RestartAsync("BE", [new("Node:Partners:0:RefusedOrigins:0", "ZA")]);
        var number = waiting.Certificate.Number;
        var events = await za.ReadUntilAsync(e => Is(e, EventKind.CertificateRejected, number), $"says BE rejected {number}");
        Assert.Equal(1, za.Read.Count(e => e.Kind == EventKind.PartnerLinkDown));
        Assert.Equal(1, events.Count(e => e.Kind == EventKind.PartnerLinkUp && e.Partner == "BE"));
        var rejected = events[^1];
        Assert.Equal((CertificateStatus.Rejected, "BE"), (rejected.Status, rejected.Partner));
        Assert.Contains("origin ZA", rejected.Text);

        using var be = new Watcher(net["BE"]);
        var refused = (await be.ReadUntilAsync(e => Is(e, EventKind.CertificateRejected, number), $"says BE refused {number}"))[^1];
        Assert.Equal(("ZA", CertificateStatus.Unspecified), (refused.Partner, refused.Status));
        Assert.Contains("origin ZA", refused.Text);
    }

    [Fact]
    public async Task Past_expiry_a_delivered_certificate_is_expired_at_both_nodes_and_one_never_delivered_is_undeliverable()
    {
        KeyValuePair<string, string?>[] fastChecks = [new("Node:ExpiryCheckInterval", "00:00:00.200")];
        await using var net = await TestNetwork.StartAsync(["ZA", "BE"], fastChecks);
        var clocks = new Dictionary<string, ShiftedTime> { ["ZA"] = new(), ["BE"] = new() };
        foreach (var (code, clock) in clocks)
            await net.RestartAsync(code, fastChecks, clock);
        net["ZA"].Logs.ExpectErrors(e => e.Id.Id == 1302); // "Gave up delivering"
        var delivered = await net.DeliverAsync("ZA", "BE");
        await net["BE"].StopAsync();
        var undelivered = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        using var za = new Watcher(net["ZA"]);

        clocks["ZA"].Offset = TimeSpan.FromDays(70);
        // In whichever order the expiry check takes them.
        await za.ReadUntilAsync(_ => za.Read.Any(e => Is(e, EventKind.CertificateExpired, delivered)) && za.Read.Any(e => Is(e, EventKind.CertificateUndeliverable, undelivered)),
            $"says {delivered} expired and {undelivered} is undeliverable");
        clocks["BE"].Offset = TimeSpan.FromDays(70);
        await net["BE"].StartAsync(clocks["BE"]);
        using var be = new Watcher(net["BE"]);
        var expired = (await be.ReadUntilAsync(e => Is(e, EventKind.CertificateExpired, delivered), $"says {delivered} expired"))[^1];

        Assert.Equal((CertificateStatus.Expired, "ZA"), (expired.Status, expired.Partner));
        Assert.Equal((CertificateStatus.Undeliverable, "BE"), za.Read.Single(e => e.CertificateNumber == undelivered && e.Kind == EventKind.CertificateUndeliverable) is var u
            ? (u.Status, u.Partner) : default);
        Assert.DoesNotContain(za.Read, e => Is(e, EventKind.CertificateExpired, undelivered));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("-1")]
    [InlineData("999999")]
    public async Task A_cursor_the_node_never_gave_is_refused_naming_afterCursor_and_nothing_is_sent(string cursor)
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net.DeliverAsync("ZA", "BE");
        using var watcher = new Watcher(net["BE"], cursor);

        var refused = await watcher.FailureAsync();

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        var violation = Assert.Single(ApiErrors.ViolationsOf(refused));
        Assert.Equal("afterCursor", violation.Field);
        Assert.Empty(watcher.Read);
    }
}
