using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpNode.Tests.Exchange;

public sealed class TestNetworkTests
{
    [Fact]
    public async Task An_error_a_node_logs_that_the_test_did_not_expect_fails_the_test()
    {
        var net = await TestNetwork.StartAsync("ZA");
        LoggerOf(net["ZA"]).LogError("the disk went away");

        var e = await Assert.ThrowsAsync<Xunit.Sdk.FailException>(() => net.DisposeAsync().AsTask());
        Assert.Contains("ZA", e.Message);
        Assert.Contains("the disk went away", e.Message);
    }

    [Fact]
    public async Task An_error_the_test_declared_expected_passes()
    {
        await using var net = await TestNetwork.StartAsync("ZA");
        net["ZA"].Logs.ExpectErrors(e => e.Message == "the disk went away");
        LoggerOf(net["ZA"]).LogError("the disk went away");

        var logged = await net["ZA"].Logs.WaitForAsync(e => e.Level == LogLevel.Error);
        Assert.Equal("the disk went away", Assert.Single(logged).Message);
    }

    private static ILogger LoggerOf(TestNode node) =>
        node.Host!.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KpNode.Tests");
}
