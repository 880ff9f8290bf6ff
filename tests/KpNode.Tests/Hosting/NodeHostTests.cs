using KpNode.Tests.Exchange;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KpNode.Tests.Hosting;

public sealed class NodeHostTests
{
    [Fact]
    public async Task A_running_node_does_not_watch_the_folder_of_its_configuration_for_changes()
    {
        // The data directory lies beneath the config folder: a watcher would wake on every store write.
        await using var net = await TestNetwork.StartAsync("ZA");
        var configuration = (IConfigurationRoot)net["ZA"].Host!.Services.GetRequiredService<IConfiguration>();

        var watched = configuration.Providers.OfType<FileConfigurationProvider>().Where(p => p.Source.ReloadOnChange).ToList();

        Assert.Empty(watched);
    }
}
