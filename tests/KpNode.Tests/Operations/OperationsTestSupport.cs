using System.Collections.Concurrent;
using KpNode.Cli;
using KpNode.Configuration;
using KpNode.Hosting;
using KpNode.Operations;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpNode.Tests.Operations;

/// <summary>What the operations tests share: the operations endpoint of a node, restarts with changed config, external tools.</summary>
internal static class Ops
{
    public static readonly Google.Protobuf.JsonParser Json = new(Google.Protobuf.JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public static string Url(DemoNode node) => node.Host!.Services.GetRequiredService<OperationsEndpoint>().Url;

    public static async Task<GetNodeStatusResponse> StatusAsync(DemoNode node) =>
        await node.Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest());

    public static PartnerLink Partner(GetNodeStatusResponse status, string code) => status.Partners.Single(p => p.Participant == code);

    /// <summary>Waits (bounded) until the node's status satisfies <paramref name="done"/>.</summary>
    public static async Task<GetNodeStatusResponse> WaitForStatusAsync(DemoNode node, Func<GetNodeStatusResponse, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        GetNodeStatusResponse last;
        do
        {
            last = await StatusAsync(node);
            if (done(last))
            {
                return last;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"{node.Code}'s status did not reach the expected state; last seen: {last}");
    }

    /// <summary>
    /// Stops <paramref name="code"/>'s node and starts it again from the same file with <paramref name="overrides"/>
    /// (same ports and data); disposing the result stops that node.
    /// </summary>
    public static async Task<DemoNode> RestartWithAsync(TestNetwork net, string code, IEnumerable<KeyValuePair<string, string?>> overrides,
        NodeHostSettings? settings = null)
    {
        await net[code].StopAsync();
        var node = new DemoNode(code, NodeConfig.Load(net[code].Config.FilePath, overrides));
        await node.StartAsync(settings);
        return node;
    }
}

/// <summary>Keeps every log entry of a node, so tests can check what an operator would read.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, EventId Id, string Message)> Entries => _entries.ToArray();

    public NodeHostSettings Settings(TimeProvider? time = null) => new()
    {
        Time = time ?? TimeProvider.System,
        ConfigureLogging = logging => logging.AddProvider(this),
    };

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((logLevel, eventId, formatter(state, exception)));
    }
}
