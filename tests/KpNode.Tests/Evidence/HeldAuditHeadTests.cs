using KpNode.Operations;
using KpNode.Storage;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using LiteDB;

namespace KpNode.Tests.Evidence;

public sealed class HeldAuditHeadTests
{
    [Theory]
    [InlineData("truncated")]
    [InlineData("rewritten")]
    public async Task An_audit_log_truncated_or_rewritten_and_rehashed_no_longer_matches_the_head_a_partner_holds(string tampering)
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        foreach (var _ in Enumerable.Range(0, 3))
        {
            var issued = await net.IssueAsync("ZA", "BE");
            await net.WaitForAsync("ZA", issued.Certificate.Number, r => r.Status == Wire.V1.CertificateStatus.Delivered);
        }

        // A reconciliation gives BE our signed audit head; the chain and that head agree.
        var reconcile = await KpNodeProcess.RunAsync("reconcile", "BE", "--config", net["ZA"].Config.FilePath, "--json");
        Assert.True(reconcile.ExitCode == 0, reconcile.Stdout + reconcile.Stderr);
        var held = Assert.Single(await HeadsAsync(net));
        Assert.True(held.Agrees, held.Problem + held.Error);
        Assert.True(held.Sequence >= 4, $"head {held.Sequence}");

        await net["ZA"].StopAsync();
        using (var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(net["ZA"].Config.Options.DataDirectory, "kpnode.db"), Connection = ConnectionType.Direct }))
        {
            var audit = db.GetCollection<AuditEntry>("audit");
            if (tampering == "truncated")
            {
                // The last entries deleted: what is left is a valid chain, only shorter.
                Assert.True(audit.DeleteMany(e => e.Id > held.Sequence - 2) >= 2);
            }
            else
            {
                // One entry edited and every hash from it on computed again: a valid chain, with other content.
                var previous = "";
                foreach (var entry in audit.Query().OrderBy(e => e.Id).ToList())
                {
                    if (entry.Id == 2)
                        entry.Detail += " (edited)";
                    if (entry.Id >= 2)
                    {
                        entry.PreviousHash = previous;
                        entry.Hash = entry.ComputeHash();
                        audit.Update(entry);
                    }

                    previous = entry.Hash;
                }
            }
        }

        await net["ZA"].StartAsync();
        // Our own walk of the chain finds nothing wrong: only the head BE holds shows the break.
        Assert.True(((INodeStore)net.Store("ZA")).VerifyAuditChain().IsIntact);
        var check = Assert.Single(await HeadsAsync(net));
        Assert.False(check.Agrees);
        Assert.Contains($"audit head {held.Sequence}", check.Problem, StringComparison.Ordinal);
        Assert.Contains(tampering == "truncated" ? "truncated" : "rewritten", check.Problem, StringComparison.Ordinal);

        // What an operator runs: kpnode audit verify on the running node reports the break, naming BE's head.
        var verify = await KpNodeProcess.RunAsync("audit", "verify", "--config", net["ZA"].Config.FilePath);
        Assert.True(verify.ExitCode == 3, verify.Stdout + verify.Stderr);
        Assert.Contains($"audit head held by BE: BE holds our signed audit head {held.Sequence}", verify.Stdout, StringComparison.Ordinal);
    }

    private static Task<IReadOnlyList<HeldHeadCheck>> HeadsAsync(TestNetwork net) =>
        ((HeldAuditHeads)net["ZA"].Host!.Services.GetService(typeof(HeldAuditHeads))!).CheckAsync(CancellationToken.None);
}
