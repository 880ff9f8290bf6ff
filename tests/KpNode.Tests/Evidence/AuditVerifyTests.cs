using System.Globalization;
using System.Text.Json;
using KpNode.Storage;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using LiteDB;

namespace KpNode.Tests.Evidence;

/// <summary><c>kpnode audit verify --data DIR</c> on a stopped node's real store: intact, truncated, one entry edited.</summary>
public sealed class AuditVerifyTests
{
    [Fact]
    public async Task Offline_verify_of_an_intact_store_exits_0_and_counts_entries_and_envelopes()
    {
        await using var network = await StoppedAfterTradeAsync();

        var run = await VerifyAsync(network);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("intact").GetBoolean());
        Assert.True(long.Parse(json.RootElement.GetProperty("chain").GetProperty("entriesChecked").GetString()!, CultureInfo.InvariantCulture) >= 2);
        Assert.Equal("2", json.RootElement.GetProperty("messagesChecked").GetString());
        Assert.Equal("2", json.RootElement.GetProperty("certificatesChecked").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("problems").GetArrayLength());
    }

    [Fact]
    public async Task Offline_verify_reports_the_deleted_last_entries_of_a_stopped_store()
    {
        await using var network = await StoppedAfterTradeAsync();
        var last = Edit(network, db =>
        {
            var audit = db.GetCollection(NodeStore.AuditCollection);
            // Every entry from the last certificate's first one on: the chain that is left is intact.
            var number = db.GetCollection(NodeStore.CertificatesCollection).FindAll().Select(d => d["_id"].AsString).Max(StringComparer.Ordinal)!;
            var from = audit.FindAll().Where(e => e["Subject"].AsString == number).Min(e => e["_id"].AsInt64);
            Assert.True(audit.DeleteMany(Query.GTE("_id", from)) > 0);
            return number;
        });

        var run = await VerifyAsync(network);

        Assert.True(run.ExitCode == 3, run.Stdout + run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.False(json.RootElement.GetProperty("intact").GetBoolean());
        Assert.True(json.RootElement.GetProperty("chain").GetProperty("intact").GetBoolean());
        Assert.StartsWith("certificate ", json.RootElement.GetProperty("firstBreak").GetString(), StringComparison.Ordinal);
        Assert.Contains(json.RootElement.GetProperty("problems").EnumerateArray(), p => p.GetProperty("record").GetString() == $"certificate {last}");
    }

    [Fact]
    public async Task Offline_verify_reports_the_entry_edited_without_re_hashing()
    {
        await using var network = await StoppedAfterTradeAsync();
        Edit(network, db =>
        {
            var audit = db.GetCollection(NodeStore.AuditCollection);
            var entry = audit.FindById(2);
            entry["Detail"] = entry["Detail"].AsString + " (edited)";
            Assert.True(audit.Update(entry));
            return 0;
        });

        var run = await VerifyAsync(network, json: false);

        Assert.True(run.ExitCode == 3, run.Stdout + run.Stderr);
        Assert.Contains("BROKEN at entry 2: ", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("audit entry 2: ", run.Stdout, StringComparison.Ordinal);
    }

    private static async Task<TestNetwork> StoppedAfterTradeAsync()
    {
        var network = await TestNetwork.StartAsync("ZA", "BE");
        await network.DeliverAsync("ZA", "BE");
        await network.DeliverAsync("BE", "ZA");
        await network["ZA"].StopAsync();
        return network;
    }

    private static T Edit<T>(TestNetwork network, Func<LiteDatabase, T> edit)
    {
        using var db = new LiteDatabase(new ConnectionString
        {
            Filename = Path.Combine(network["ZA"].Config.Options.DataDirectory, "kpnode.db"),
            Connection = ConnectionType.Direct,
        });
        return edit(db);
    }

    private static Task<KpNodeProcess.Result> VerifyAsync(TestNetwork network, bool json = true) =>
        KpNodeProcess.RunAsync(["audit", "verify", "--config", network["ZA"].Config.FilePath,
            "--data", network["ZA"].Config.Options.DataDirectory, .. json ? new[] { "--json" } : []]);
}
