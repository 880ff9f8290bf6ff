using System.Text.Json;
using System.Text.Json.Nodes;
using KpNode.Configuration;
using KpNode.Tests.Exchange;

namespace KpNode.Tests.Operations;

public sealed class LoggingAndConfigTests
{
    [Fact]
    public async Task Json_log_format_writes_one_JSON_object_per_line_with_stable_event_ids()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["ZA"].StopAsync();
        var config = JsonNode.Parse(await File.ReadAllTextAsync(net["ZA"].Config.FilePath))!;
        config["Node"]!["Operations"] = new JsonObject { ["LogFormat"] = "json" };
        var jsonConfig = Path.Combine(net.Root, "za-json-logs.json");
        await File.WriteAllTextAsync(jsonConfig, config.ToJsonString());

        using (var child = await ChildNode.StartAsync(jsonConfig, async () =>
        {
            try
            {
                await net["ZA"].Client.Health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return true;
            }
            catch (Grpc.Core.RpcException)
            {
                return false;
            }
        }))
        {
            Assert.Equal(0, await child.TerminateAsync(TimeSpan.FromSeconds(15)));
            var events = child.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => JsonDocument.Parse(line).RootElement)
                .ToList();
            var started = Assert.Single(events, e => e.GetProperty("EventId").GetInt32() == 1000);
            Assert.Equal("Information", started.GetProperty("LogLevel").GetString());
            Assert.Equal("ZA", started.GetProperty("State").GetProperty("Participant").GetString());
            Assert.EndsWith("Z", started.GetProperty("Timestamp").GetString());
            Assert.Contains(events, e => e.GetProperty("EventId").GetInt32() == 1402 && e.GetProperty("Message").GetString()!.Contains("/metrics"));
        }
    }

    [Fact]
    public async Task Bad_operations_settings_stop_the_node_naming_each_key()
    {
        await using var net = await TestNetwork.StartAsync("ZA");
        var e = Assert.Throws<ConfigurationProblemException>(() => NodeConfig.Load(net["ZA"].Config.FilePath,
        [
            new("Node:Operations:Endpoint", "everywhere:80"),
            new("Node:Operations:ExpiryWarningDays", "-1"),
            new("Node:Operations:LogFormat", "xml"),
        ]));
        Assert.Contains("Node:Operations:Endpoint: 'everywhere:80' is not host:port", e.Message);
        Assert.Contains("Node:Operations:ExpiryWarningDays: -1 is outside 0..3650", e.Message);
        Assert.Contains("Node:Operations:LogFormat: 'xml' is not one of simple, json", e.Message);

        var defaults = NodeConfig.Load(net["ZA"].Config.FilePath);
        Assert.Equal(new ListenAddress("127.0.0.1", 0), defaults.OperationsListen);
        Assert.Equal(30, defaults.Options.Operations.ExpiryWarningDays);
    }
}
