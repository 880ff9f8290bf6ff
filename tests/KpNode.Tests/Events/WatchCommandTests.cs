using System.Diagnostics;
using Google.Protobuf;
using KpNode.Hosting;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Events;

/// <summary><c>kpnode watch</c> as a script and a person use it: the real binary against real nodes.</summary>
public sealed class WatchCommandTests
{
    private static readonly JsonParser Json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    private static string[] Lines(string stdout) => stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Watch_json_prints_one_object_per_line_whose_cursor_resumes_after_it()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var first = await net.DeliverAsync("ZA", "BE");
        var second = await net.DeliverAsync("ZA", "BE");
        var config = net["BE"].Config.FilePath;

        var both = await KpNodeProcess.RunAsync("watch", "--config", config, "--json", "--count", "2");
        Assert.True(both.ExitCode == 0, both.Stdout + both.Stderr);
        var events = Lines(both.Stdout).Select(Json.Parse<NodeEvent>).ToList();
        Assert.Equal([(EventKind.CertificateReceived, first), (EventKind.CertificateReceived, second)], events.Select(e => (e.Kind, e.CertificateNumber)));

        var resumed = await KpNodeProcess.RunAsync("watch", "--config", config, "--json", "--count", "1", "--after", events[0].Cursor);
        Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
        Assert.Equal(events[1], Json.Parse<NodeEvent>(Assert.Single(Lines(resumed.Stdout))));
    }

    [Fact]
    public async Task Watch_prints_a_line_per_event_within_80_columns_in_a_pipe()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var number = await net.DeliverAsync("ZA", "BE");

        var watched = await KpNodeProcess.RunAsync("watch", "--config", net["ZA"].Config.FilePath, "--count", "1");

        Assert.True(watched.ExitCode == 0, watched.Stdout + watched.Stderr);
        var line = Assert.Single(Lines(watched.Stdout));
        Assert.True(line.Length <= 80, $"{line.Length} columns: {line}");
        Assert.Contains($"delivered     {number} BE ", line);
    }

    [Fact]
    public async Task Watch_says_when_the_node_goes_away_and_how_to_go_on_without_missing_an_event()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net.DeliverAsync("ZA", "BE");
        var config = net["BE"].Config.FilePath;
        var cursor = Json.Parse<NodeEvent>(Assert.Single(Lines((await KpNodeProcess.RunAsync("watch", "--config", config, "--json", "--count", "1")).Stdout))).Cursor;

        // From that cursor: what it says on leaving does not depend on whether an event reached it before the node stopped.
        var watching = KpNodeProcess.RunAsync("watch", "--config", config, "--json", "--after", cursor);
        // Its watch is open at the node (the node logs each one) before the node stops.
        await net["BE"].Logs.WaitForAsync(r => r.Id.Id == 1791, count: 2);
        await net["BE"].StopAsync();
        var watched = await watching;

        Assert.Equal(1, watched.ExitCode);
        // Prose wraps at 80 columns in a pipe: compared word by word.
        var said = string.Join(' ', watched.Stderr.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("The node went away", said);
        Assert.Contains($"kpnode watch --config {config} --after {cursor}", said);
    }

    [Fact]
    public async Task Watch_stopped_with_ctrl_c_exits_0()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { typeof(NodeHost).Assembly.Location, "watch", "--config", net["BE"].Config.FilePath })
            start.ArgumentList.Add(a);
        using var watch = Process.Start(start)!;
        var stdout = watch.StandardOutput.ReadToEndAsync();
        var stderr = watch.StandardError.ReadToEndAsync();
        try
        {
            await net["BE"].Logs.WaitForAsync(r => r.Id.Id == 1791);
            // What the terminal sends on Ctrl-C.
            using (var interrupt = Process.Start("kill", ["-INT", watch.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await interrupt.WaitForExitAsync();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await watch.WaitForExitAsync(bound.Token);
        }
        finally
        {
            if (!watch.HasExited)
                watch.Kill(entireProcessTree: true);
        }

        Assert.True(watch.ExitCode == 0, await ChildOutput.OfExitedAsync("kpnode", stdout) + await ChildOutput.OfExitedAsync("kpnode", stderr));
        await net["BE"].Logs.WaitForAsync(r => r.Id.Id == 1792);
    }
}
