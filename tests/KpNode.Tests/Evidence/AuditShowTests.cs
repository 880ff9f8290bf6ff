using System.Text.Json;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;

namespace KpNode.Tests.Evidence;

/// <summary><c>kpnode audit show</c> and <c>kpnode audit verify</c> on a running node, through its Local API.</summary>
public sealed class AuditShowTests
{
    [Fact]
    public async Task Audit_show_filters_by_action_subject_time_and_limit()
    {
        await using var network = await TestNetwork.StartAsync("ZA", "BE");
        var first = await network.DeliverAsync("ZA", "BE");
        var second = await network.DeliverAsync("ZA", "BE");
        await network.DeliverAsync("BE", "ZA");
        var config = network["ZA"].Config.FilePath;

        var issued = Entries(await ShowAsync(config, "--action", "certificate.issued"));
        Assert.Equal([first, second], issued.Select(e => e.GetProperty("subject").GetString()));
        Assert.All(issued, e => Assert.Equal("certificate.issued", e.GetProperty("action").GetString()));

        var about = Entries(await ShowAsync(config, "--subject", second));
        Assert.NotEmpty(about);
        Assert.All(about, e => Assert.Equal(second, e.GetProperty("subject").GetString()));

        var newest = Entries(await ShowAsync(config, "--limit", "1"));
        var all = Entries(await ShowAsync(config));
        Assert.True(all.Count >= 3);
        Assert.Equal(all[^1].GetProperty("id").GetString(), Assert.Single(newest).GetProperty("id").GetString());

        // --since the second issue's time leaves the first out; --until it leaves out the second and everything after.
        var at = issued[1].GetProperty("at").GetString()!;
        var since = Entries(await ShowAsync(config, "--action", "certificate.issued", "--since", at));
        Assert.Equal([second], since.Select(e => e.GetProperty("subject").GetString()));
        var until = Entries(await ShowAsync(config, "--action", "certificate.issued", "--until", at));
        Assert.Equal([first], until.Select(e => e.GetProperty("subject").GetString()));

        // The table (piped, so not fitted to a terminal: Output.TerminalWidth) names the filtered entries only.
        var table = await KpNodeProcess.RunAsync("audit", "show", "--config", config, "--subject", second);
        Assert.True(table.ExitCode == 0, table.Stdout + table.Stderr);
        Assert.Contains("certificate.issued", table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(first, table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_verify_of_the_running_node_reports_an_intact_chain_and_every_envelope()
    {
        await using var network = await TestNetwork.StartAsync("ZA", "BE");
        await network.DeliverAsync("ZA", "BE");
        await network.DeliverAsync("BE", "ZA");

        var run = await KpNodeProcess.RunAsync("audit", "verify", "--config", network["ZA"].Config.FilePath, "--json");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("intact").GetBoolean());
        Assert.True(json.RootElement.GetProperty("chain").GetProperty("intact").GetBoolean());
        Assert.Equal("2", json.RootElement.GetProperty("messagesChecked").GetString());
        Assert.Equal("2", json.RootElement.GetProperty("certificatesChecked").GetString());
    }

    private static async Task<JsonDocument> ShowAsync(string config, params string[] filters)
    {
        var run = await KpNodeProcess.RunAsync(["audit", "show", "--config", config, "--json", .. filters]);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return JsonDocument.Parse(run.Stdout);
    }

    private static List<JsonElement> Entries(JsonDocument response) =>
        response.RootElement.GetProperty("entries").EnumerateArray().ToList();
}
