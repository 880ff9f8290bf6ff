using System.Diagnostics;
using System.Text.RegularExpressions;
using KpNode.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace KpNode.Tests.Exchange;

/// <summary>A node as a separate `kpnode run` process, so a test can kill it with SIGKILL like a crash.</summary>
internal sealed partial class ChildNode : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private ChildNode(Process process, NodeLogs? logs)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            lock (_output) _output.AppendLine(e.Data);
            if (logs is not null && e.Data is { } line && ErrorLine().Match(line) is { Success: true } error)
            {
                // The child's errors join the node's log, so the test network fails the test on one it did not expect.
                new FakeLogger(logs.Collector, error.Groups["category"].Value).Log(
                    error.Groups["level"].Value == "crit" ? LogLevel.Critical : LogLevel.Error,
                    new EventId(int.Parse(error.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture)),
                    error.Groups["message"].Value);
            }
        };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The process id, as the node writes it beside its data directory's lock.</summary>
    public int Pid => _process.Id;

    public static async Task<ChildNode> StartAsync(string configPath, Func<Task<bool>> ready, NodeLogs? logs = null)
    {
        var kpnode = typeof(NodeHost).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(kpnode);
        start.ArgumentList.Add("run");
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(configPath);
        var node = new ChildNode(Process.Start(start)!, logs);
        try
        {
            await Eventually.WaitAsync(async () => node._process.HasExited
                    ? throw new InvalidOperationException($"kpnode run exited with {node._process.ExitCode}:\n{node.Output}")
                    : await ready(),
                up => up, TimeSpan.FromSeconds(30), _ => $"kpnode run did not become ready:\n{node.Output}");
            return node;
        }
        catch
        {
            node.Kill();
            throw;
        }
    }

    /// <summary>Starts <paramref name="node"/>'s config as a `kpnode run` process, ready once its Local API answers.</summary>
    public static Task<ChildNode> StartAsync(TestNode node) => StartAsync(node.Config.FilePath, async () =>
    {
        try
        {
            await node.Client.Api.GetStatusAsync(new KpNode.Wire.V1.GetStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
            return true;
        }
        catch (Grpc.Core.RpcException)
        {
            return false;
        }
    }, node.Logs);

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM, as a service manager or `docker stop` sends; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    // An Error or Critical line of the simple console format: "HH:mm:ss fail: Category[1302] message".
    [GeneratedRegex(@"^\d\d:\d\d:\d\d (?<level>fail|crit): (?<category>[^\[]+)\[(?<id>\d+)\] (?<message>.*)$")]
    private static partial Regex ErrorLine();
}
