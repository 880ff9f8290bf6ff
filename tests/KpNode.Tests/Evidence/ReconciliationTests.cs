using System.Text.Json;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;
using LiteDB;

namespace KpNode.Tests.Evidence;

public sealed class ReconciliationTests
{
    [Fact]
    public async Task A_message_lost_from_one_store_is_found_by_reconciliation_and_restored_from_the_partner()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var kept = await net.IssueAsync("ZA", "BE");
        var lost = await net.IssueAsync("ZA", "BE");
        foreach (var number in new[] { kept.Certificate.Number, lost.Certificate.Number })
            await net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered);
        await net.ConfirmAsync("BE", kept.Certificate.Number);
        await net.WaitForAsync("ZA", kept.Certificate.Number, r => r.Status == CertificateStatus.Confirmed);
        // The confirmation is shared history at BE once BE holds ZA's receipt for it, a moment after ZA stored it.
        await Eventually.WaitAsync(async () => Assert.Single((await net["BE"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest())).Partners).Backlog,
            backlog => backlog == 0, TimeSpan.FromSeconds(30), backlog => $"BE's backlog to ZA is {backlog}");

        var before = await ReconcileAsync(net, "BE", "ZA");
        Assert.True(before.GetProperty("matches").GetBoolean(), before.ToString());
        Assert.Equal(3, before.GetProperty("messagesCompared").GetInt32());

        // A simulated loss: the certificate and the message that carried it are gone from BE's store.
        var lostMessage = MessageIdOf(lost);
        await net["BE"].StopAsync();
        using (var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(net["BE"].Config.Options.DataDirectory, "kpnode.db"), Connection = ConnectionType.Direct }))
        {
            Assert.True(db.GetCollection("messages").Delete(lostMessage));
            Assert.True(db.GetCollection("certificates").Delete(lost.Certificate.Number));
        }

        await net["BE"].StartAsync();
        Assert.Null(await net.FindAsync("BE", lost.Certificate.Number));

        // ZA's view: BE lacks exactly that message.
        var fromZa = await ReconcileAsync(net, "ZA", "BE", expectMatch: false);
        var difference = Assert.Single(fromZa.GetProperty("differences").EnumerateArray());
        Assert.Equal(lostMessage, difference.GetProperty("messageId").GetString());
        Assert.Equal("HISTORY_DIFFERENCE_KIND_PARTNER_LACKS", difference.GetProperty("kind").GetString());

        // BE's own reconciliation (run by the CLI here; BE also starts one when ZA's digest differs) restores it
        // from ZA's copy, with BE's own receipt as ZA holds it.
        await Eventually.WaitAsync(() => ReconcileAsync(net, "BE", "ZA", expectMatch: null),
            r => r.GetProperty("matches").GetBoolean(), TimeSpan.FromSeconds(30), r => r.ToString());
        var restored = Assert.Single(net["BE"].Logs.Entries, e => e.Id.Id == 1782);
        Assert.Contains(lostMessage, restored.Message, StringComparison.Ordinal);
        var back = await net.FindAsync("BE", lost.Certificate.Number);
        Assert.NotNull(back);
        Assert.Equal(CertificateStatus.Received, back.Status);
        Assert.Equal(lostMessage, MessageIdOf(back));

        // Both histories agree again, from either side, and nothing was delivered twice.
        var after = await ReconcileAsync(net, "ZA", "BE");
        Assert.Empty(after.GetProperty("differences").EnumerateArray());
        Assert.Equal(3, after.GetProperty("messagesCompared").GetInt32());

        // Status and the metric say so.
        var status = await net["ZA"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest());
        var link = Assert.Single(status.Partners, p => p.Participant == "BE");
        Assert.Equal(after.GetProperty("throughDate").GetString(), link.HistoryMatchesThrough);
        Assert.Empty(link.HistoryDifferences);
        using var http = new HttpClient();
        Assert.Equal(0, Operations.MetricsTests.Sample(await http.GetStringAsync(status.MetricsUrl), "kpnode_history_differences"));
    }

    private static string MessageIdOf(CertificateRecord record) =>
        CertificateIssued.Parser.ParseFrom(Envelope.Parser.ParseFrom(record.CertificateEnvelope).Payload).Header.MessageId;

    private static async Task<JsonElement> ReconcileAsync(TestNetwork net, string at, string partner, bool? expectMatch = true)
    {
        var run = await KpNodeProcess.RunAsync("reconcile", partner, "--config", net[at].Config.FilePath, "--json");
        Assert.True(run.Stderr.Length == 0, run.Stderr);
        if (expectMatch is { } match)
            Assert.True(run.ExitCode == (match ? 0 : 1), run.Stdout);
        return JsonDocument.Parse(run.Stdout).RootElement.Clone();
    }
}
