using KpNode.Cli;
using KpNode.Configuration;
using KpNode.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KpNode.Tests.Exchange;

/// <summary>One node of a <see cref="TestNetwork"/>: stopped and started on its data, its log kept in <see cref="Logs"/>.</summary>
internal sealed class TestNode(string code, NodeConfig config, NodeLogs logs) : IDisposable
{
    private LocalApiClient? _client;

    public string Code { get; } = code;

    /// <summary>The node's configuration; a test may reload it with overrides before a restart.</summary>
    public NodeConfig Config { get; set; } = config;

    /// <summary>Everything the node logged, in every run of it.</summary>
    public NodeLogs Logs { get; } = logs;

    public NodeHost? Host { get; private set; }

    /// <summary>A Local API client presenting our operator certificate.</summary>
    public LocalApiClient Client => _client ??= LocalApiClient.Connect(Config);

    /// <summary>Starts the node with <paramref name="time"/> (the system clock by default), logging to <see cref="Logs"/>.</summary>
    public async Task StartAsync(TimeProvider? time = null)
    {
        var collector = Logs.Collector;
        Host = await NodeHost.StartAsync(Config, new NodeHostSettings
        {
            Time = time ?? TimeProvider.System,
            // The node's Debug entries are rare (probes, expiry checks) and tests wait on them.
            MinimumLogLevel = LogLevel.Debug,
            ConfigureLogging = logging => logging.AddProvider(new FakeLoggerProvider(collector)),
        });
    }

    public async Task StopAsync()
    {
        // The next call dials the next process: a pooled connection to this one would end in a reset (Internal).
        _client?.Dispose();
        _client = null;
        if (Host is { } host)
        {
            Host = null;
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }

    public void Dispose() => _client?.Dispose();
}
