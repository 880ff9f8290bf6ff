using KpNode.Configuration;

namespace KpNode.Tests.Outbox;

public sealed class LaneOptionsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kpnode-tests", "lane-options-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_timing_of_the_lane_is_a_named_option_with_its_default()
    {
        var delivery = Load([]).Options.Delivery;

        Assert.Equal(TimeSpan.FromSeconds(1), delivery.ResetThrottle);
        Assert.Equal(TimeSpan.FromMinutes(1), delivery.RecentContactWindow);
        Assert.Equal(TimeSpan.FromSeconds(5), delivery.LaneErrorDelay);
        Assert.Equal(4096, delivery.MaxMessagesPerPass);
        Assert.Equal(512, delivery.ExpiryCheckBatchSize);
    }

    [Fact]
    public void Lane_timings_are_bound_from_the_config_file()
    {
        var delivery = Load([
            new("Node:Delivery:ResetThrottle", "00:00:03"),
            new("Node:Delivery:RecentContactWindow", "00:05:00"),
            new("Node:Delivery:LaneErrorDelay", "00:00:00.250"),
            new("Node:Delivery:MaxMessagesPerPass", "100"),
            new("Node:Delivery:ExpiryCheckBatchSize", "64"),
        ]).Options.Delivery;

        Assert.Equal(TimeSpan.FromSeconds(3), delivery.ResetThrottle);
        Assert.Equal(TimeSpan.FromMinutes(5), delivery.RecentContactWindow);
        Assert.Equal(TimeSpan.FromMilliseconds(250), delivery.LaneErrorDelay);
        Assert.Equal(100, delivery.MaxMessagesPerPass);
        Assert.Equal(64, delivery.ExpiryCheckBatchSize);
    }

    [Fact]
    public void A_bad_lane_timing_stops_the_node_naming_the_key()
    {
        var e = Assert.Throws<ConfigurationProblemException>(() => Load([
            new("Node:Delivery:ResetThrottle", "-00:00:01"),
            new("Node:Delivery:RecentContactWindow", "-00:00:01"),
            new("Node:Delivery:LaneErrorDelay", "00:00:00"),
            new("Node:Delivery:MaxMessagesPerPass", "0"),
            new("Node:Delivery:ExpiryCheckBatchSize", "0"),
        ]));

        foreach (var key in new[] { "ResetThrottle", "RecentContactWindow", "LaneErrorDelay", "MaxMessagesPerPass", "ExpiryCheckBatchSize" })
        {
            Assert.Contains(e.Problems, p => p.StartsWith($"Node:Delivery:{key}:", StringComparison.Ordinal));
        }
    }

    private NodeConfig Load(IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "pki"));
        var file = Path.Combine(_dir, "za.json");
        File.WriteAllText(file, """{ "Node": { "Participant": "ZA", "ExportingAuthority": "KP authority of ZA", "IssuingPrefixes": ["ZA"], "DataDirectory": "data", "PkiDirectory": "pki", "PeerEndpoint": "127.0.0.1:0", "LocalEndpoint": "127.0.0.1:0" } }""");
        return NodeConfig.Load(file, overrides);
    }
}
