using System.Security.Cryptography;
using System.Text.Json;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;
using LiteDB;
using Microsoft.Extensions.DependencyInjection;

namespace KpNode.Tests.Evidence;

public sealed class BackupRestoreTests
{
    [Fact]
    public async Task A_backup_taken_while_certificates_flow_restores_and_reconciliation_recovers_what_came_after_it()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var numbers = new List<string>();
        for (var i = 0; i < 3; i++)
            numbers.Add(await net.DeliverAsync("ZA", "BE"));

        // Deliveries into BE's store go on while BE backs it up: four issuers at a time, 24 certificates.
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var issued = new List<string>();
            for (var i = 0; i < 6; i++)
                issued.Add((await net.IssueAsync("ZA", "BE")).Certificate.Number);
            return issued;
        })).ToList();
        var first = await await Task.WhenAny(load);
        await net.WaitForAsync("BE", first[0], r => r.Status == CertificateStatus.Received);
        var backupFile = Path.Combine(net.Root, "backups", "be.kpbackup");
        var backup = await KpNodeProcess.RunAsync("backup", "--config", net["BE"].Config.FilePath, "--out", backupFile, "--json");
        Assert.True(backup.ExitCode == 0, backup.Stderr + backup.Stdout);
        foreach (var issued in await Task.WhenAll(load))
            numbers.AddRange(issued);
        numbers.Add(await net.DeliverAsync("ZA", "BE"));
        foreach (var number in numbers)
            await net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Received);

        var summary = JsonDocument.Parse(backup.Stdout).RootElement;
        // The only pause a backup causes is its cut; the copy itself runs beside the writes.
        var paused = TimeSpan.Parse("00:00:" + summary.GetProperty("writesPaused").GetString()!.TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(paused < TimeSpan.FromMilliseconds(100), $"writes paused {paused.TotalMilliseconds} ms");
        Assert.Equal(summary.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(backupFile))));
        var inBackup = Documents(summary, "certificates");
        Assert.InRange(inBackup, 4, numbers.Count - 1);

        // Restore refuses while the node runs, then restores onto the stopped node and keeps the store it replaces.
        var running = await KpNodeProcess.RunAsync("restore", backupFile, "--config", net["BE"].Config.FilePath);
        Assert.True(running.ExitCode == 2, running.Stderr + running.Stdout);
        Assert.Contains("the node is running", running.Stderr, StringComparison.Ordinal);
        await net["BE"].StopAsync();
        var restore = await KpNodeProcess.RunAsync("restore", backupFile, "--config", net["BE"].Config.FilePath, "--json");
        Assert.True(restore.ExitCode == 0, restore.Stderr + restore.Stdout);
        var report = JsonDocument.Parse(restore.Stdout).RootElement;
        var kept = report.GetProperty("replacedStoreKeptAs").GetString()!;
        Assert.True(File.Exists(kept), kept);
        Assert.Equal(inBackup, report.GetProperty("certificates").GetInt64());

        await net["BE"].StartAsync();
        var lost = new List<string>();
        foreach (var number in numbers)
        {
            if (await net.FindAsync("BE", number) is null)
                lost.Add(number);
        }

        Assert.Equal(numbers.Count - inBackup, lost.Count);
        var audit = await KpNodeProcess.RunAsync("audit", "verify", "--config", net["BE"].Config.FilePath);
        Assert.True(audit.ExitCode == 0, audit.Stdout + audit.Stderr);

        // What ZA holds since the backup comes back through reconciliation, each message once.
        var reconcile = await KpNodeProcess.RunAsync("reconcile", "ZA", "--config", net["BE"].Config.FilePath, "--json");
        Assert.True(reconcile.ExitCode == 0, reconcile.Stdout + reconcile.Stderr);
        var restored = JsonDocument.Parse(reconcile.Stdout).RootElement.GetProperty("differences").EnumerateArray()
            .Where(d => d.GetProperty("restored").GetBoolean()).Select(d => d.GetProperty("certificateNumber").GetString()).ToList();
        Assert.Equal(lost.Order(), restored.Order());
        foreach (var number in numbers)
            Assert.Equal(CertificateStatus.Received, (await net.FindAsync("BE", number))!.Status);
        var list = await net["BE"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 100 });
        Assert.Equal(numbers.Order(), list.Records.Select(r => r.Certificate.Number).Order());
        var fromZa = await KpNodeProcess.RunAsync("reconcile", "BE", "--config", net["ZA"].Config.FilePath);
        Assert.True(fromZa.ExitCode == 0, fromZa.Stdout + fromZa.Stderr);
    }

    [Fact]
    public async Task An_exporter_restored_from_an_older_backup_takes_its_certificates_back_from_the_importer_and_never_issues_a_number_twice()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net.DeliverAsync("ZA", "BE");
        var backupFile = Path.Combine(net.Root, "backups", "za.kpbackup");
        var backup = await KpNodeProcess.RunAsync("backup", "--config", net["ZA"].Config.FilePath, "--out", backupFile);
        Assert.True(backup.ExitCode == 0, backup.Stderr + backup.Stdout);
        var after = new[] { await net.DeliverAsync("ZA", "BE"), await net.DeliverAsync("ZA", "BE") };
        await net.ConfirmAsync("BE", after[0]);
        await net.WaitForAsync("ZA", after[0], r => r.Status == CertificateStatus.Confirmed);
        // BE now holds ZA's signed audit head, past the backup.
        var before = await KpNodeProcess.RunAsync("reconcile", "BE", "--config", net["ZA"].Config.FilePath);
        Assert.True(before.ExitCode == 0, before.Stdout + before.Stderr);

        await net["ZA"].StopAsync();
        var restore = await KpNodeProcess.RunAsync("restore", backupFile, "--config", net["ZA"].Config.FilePath, "--json");
        Assert.True(restore.ExitCode == 0, restore.Stderr + restore.Stdout);
        var carried = Assert.Single(JsonDocument.Parse(restore.Stdout).RootElement.GetProperty("numberingCarriedOn").EnumerateArray());
        Assert.EndsWith(" " + after[1][^6..].TrimStart('0'), carried.GetString(), StringComparison.Ordinal);

        // Before any reconciliation, the next certificate takes the number after the last one BE holds, so BE accepts it.
        await net["ZA"].StartAsync();
        Assert.Null(await net.FindAsync("ZA", after[0]));
        // The history since the backup is gone from ZA's chain: the head BE holds says so, and the restore is named.
        var heads = await KpNodeProcess.RunAsync("audit", "verify", "--config", net["ZA"].Config.FilePath);
        Assert.True(heads.ExitCode == 3, heads.Stdout + heads.Stderr);
        Assert.Contains("our store was restored from a backup", Words(heads.Stdout), StringComparison.Ordinal);
        var next = await net.DeliverAsync("ZA", "BE");
        Assert.True(string.CompareOrdinal(next, after[1]) > 0, $"{next} after {after[1]}");

        // Our certificates come back from BE's copies (our signature and BE's receipt), then BE's confirmation of the first.
        var reconcile = await KpNodeProcess.RunAsync("reconcile", "BE", "--config", net["ZA"].Config.FilePath, "--json");
        Assert.True(reconcile.ExitCode == 0, reconcile.Stdout + reconcile.Stderr);
        var restored = JsonDocument.Parse(reconcile.Stdout).RootElement.GetProperty("differences").EnumerateArray()
            .Where(d => d.GetProperty("restored").GetBoolean()).Select(d => d.GetProperty("certificateNumber").GetString()).ToList();
        Assert.Equal([after[0], after[0], after[1]], restored.Order(StringComparer.Ordinal));
        Assert.Equal(CertificateStatus.Confirmed, (await net.FindAsync("ZA", after[0]))!.Status);
        Assert.Equal(CertificateStatus.Delivered, (await net.FindAsync("ZA", after[1]))!.Status);
        var fromBe = await KpNodeProcess.RunAsync("reconcile", "ZA", "--config", net["BE"].Config.FilePath);
        Assert.True(fromBe.ExitCode == 0, fromBe.Stdout + fromBe.Stderr);
    }

    [Fact]
    public async Task A_certificate_is_taken_back_only_as_we_signed_it_and_with_the_partners_receipt_for_exactly_that_message()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var other = await net.DeliverAsync("ZA", "BE");
        var lost = await net.DeliverAsync("ZA", "BE");
        var held = (await net.FindAsync("ZA", lost))!;
        var otherReceipt = Envelope.Parser.ParseFrom((await net.FindAsync("ZA", other))!.ReceiptEnvelope);
        var envelope = Envelope.Parser.ParseFrom(held.CertificateEnvelope);
        var receipt = Envelope.Parser.ParseFrom(held.ReceiptEnvelope);
        var messageId = CertificateIssued.Parser.ParseFrom(envelope.Payload).Header.MessageId;
        await net["ZA"].StopAsync();
        using (var db = Open(Path.Combine(net["ZA"].Config.Options.DataDirectory, "kpnode.db")))
        {
            Assert.True(db.GetCollection("messages").Delete(messageId));
            Assert.True(db.GetCollection("certificates").Delete(lost));
        }

        await net["ZA"].StartAsync();
        var services = net["ZA"].Host!.Services;
        var workflow = services.GetRequiredService<KpNode.Workflow.CertificateWorkflow>();
        var be = services.GetRequiredService<KpNode.Trust.Partners>().Find("BE")!;

        // The same payload signed by BE's own signing key: BE cannot make us hold a certificate we did not sign.
        using (var beSigner = new KpNode.Trust.EnvelopeSigner(net.Credentials("BE").DocumentSigning))
        {
            var forged = beSigner.Sign(envelope.PayloadType, envelope.Payload.Span);
            var e = await Assert.ThrowsAsync<KpNode.Workflow.WorkflowException>(() => workflow.RestoreOwnFromPartnerAsync(be, forged, receipt, CancellationToken.None));
            Assert.Contains("not ours as signed", e.Message, StringComparison.Ordinal);
        }

        // Our genuine envelope with BE's receipt for another message.
        var mismatch = await Assert.ThrowsAsync<KpNode.Workflow.WorkflowException>(() => workflow.RestoreOwnFromPartnerAsync(be, envelope, otherReceipt, CancellationToken.None));
        Assert.Contains("receipt", mismatch.Message, StringComparison.Ordinal);
        Assert.Null(await net.FindAsync("ZA", lost));

        await workflow.RestoreOwnFromPartnerAsync(be, envelope, receipt, CancellationToken.None);
        var back = (await net.FindAsync("ZA", lost))!;
        Assert.Equal(CertificateStatus.Delivered, back.Status);
        Assert.Equal(held.CertificateEnvelope, back.CertificateEnvelope);
        Assert.Equal(held.ReceiptEnvelope, back.ReceiptEnvelope);
    }

    [Fact]
    public async Task A_node_starting_removes_the_working_copies_an_interrupted_backup_or_restore_left()
    {
        await using var net = await TestNetwork.StartAsync("ZA");
        await net["ZA"].StopAsync();
        var data = net["ZA"].Config.Options.DataDirectory;
        var leftovers = new[] { Path.Combine(data, "backup-in-progress", "kpnode-0123.db"), Path.Combine(data, "restore-in-progress", "kpnode.db") };
        foreach (var file in leftovers)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, new byte[4096]);
        }

        await net["ZA"].StartAsync();
        Assert.All(leftovers, f => Assert.False(Directory.Exists(Path.GetDirectoryName(f)), f));
        Assert.True(File.Exists(Path.Combine(data, "kpnode.db")));
    }

    [Fact]
    public async Task A_backup_that_does_not_verify_is_refused_and_the_store_stays_as_it_was()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net.DeliverAsync("ZA", "BE");
        await net.DeliverAsync("ZA", "BE");
        var good = Path.Combine(net.Root, "backups", "be.kpbackup");
        var backup = await KpNodeProcess.RunAsync("backup", "--config", net["BE"].Config.FilePath, "--out", good);
        Assert.True(backup.ExitCode == 0, backup.Stderr + backup.Stdout);
        Assert.Contains("writes paused", Words(backup.Stdout), StringComparison.Ordinal);
        var again = await KpNodeProcess.RunAsync("backup", "--config", net["BE"].Config.FilePath, "--out", good);
        Assert.True(again.ExitCode == 1, again.Stderr);
        Assert.Contains("never overwrites", again.Stderr, StringComparison.Ordinal);
        await net["BE"].StopAsync();
        var data = net["BE"].Config.Options.DataDirectory;
        var before = Fingerprint(data);

        // One audit entry edited (the first of the two deliveries), its hash left as it was.
        var edited = Copy(good, "edited");
        long editedId;
        using (var db = Open(edited))
        {
            var audit = db.GetCollection("audit");
            var entry = audit.FindAll().First(e => e["Subject"].AsString.StartsWith("ZA-", StringComparison.Ordinal));
            editedId = entry["_id"].AsInt64;
            entry["Detail"] = entry["Detail"].AsString + " (edited)";
            audit.Update(entry);
        }

        // The last entries cut off: the chain that is left still links, but it no longer ends where the backup said.
        var cut = Copy(good, "cut");
        using (var db = Open(cut))
        {
            var audit = db.GetCollection("audit");
            var last = audit.Max("_id").AsInt64;
            Assert.True(audit.Delete(last));
            // Its count adjusted too, as someone who knows the format would: only where the chain ended gives it away.
            var description = db.GetCollection("backup").FindById(1);
            description["Documents"]["audit"] = description["Documents"]["audit"].AsInt64 - 1;
            db.GetCollection("backup").Update(description);
        }

        // A receipt byte changed inside a stored message.
        var receipt = Copy(good, "receipt");
        using (var db = Open(receipt))
        {
            var messages = db.GetCollection("messages");
            var message = messages.FindAll().First(m => m["ReceiptEnvelope"].IsBinary);
            var bytes = message["ReceiptEnvelope"].AsBinary;
            bytes[^3] ^= 0x01;
            message["ReceiptEnvelope"] = bytes;
            messages.Update(message);
        }

        var notBackup = Path.Combine(net.Root, "backups", "not-a-backup.db");
        File.WriteAllText(notBackup, "not a store");

        foreach (var (file, expected) in new[]
        {
            (edited, $"audit entry {editedId}"), (cut, "audit log: ends at entry"), (receipt, "receipt"), (notBackup, "not a KpNode backup"),
        })
        {
            var run = await KpNodeProcess.RunAsync("restore", file, "--config", net["BE"].Config.FilePath);
            Assert.True(run.ExitCode == 3, $"{file}: {run.ExitCode} {run.Stdout} {run.Stderr}");
            Assert.Contains("nothing was changed", Words(run.Stdout), StringComparison.Ordinal);
            Assert.True(Words(run.Stdout).Contains(expected, StringComparison.Ordinal), run.Stdout);
            Assert.Equal(before, Fingerprint(data));
        }

        Assert.False(Directory.Exists(Path.Combine(data, "replaced")));
        await net["BE"].StartAsync();
    }

    // The text as one line: the CLI wraps prose at 80 columns in a pipe.
    private static string Words(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static long Documents(JsonElement summary, string collection) =>
        summary.GetProperty("collections").EnumerateArray().Where(c => c.GetProperty("name").GetString() == collection)
            .Select(c => long.Parse(c.GetProperty("documents").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).Single();

    private static string Copy(string file, string name)
    {
        var copy = Path.Combine(Path.GetDirectoryName(file)!, name + ".kpbackup");
        File.Copy(file, copy);
        return copy;
    }

    private static LiteDatabase Open(string file) => new(new ConnectionString { Filename = file, Connection = ConnectionType.Direct });

    // Every file of the data directory with its hash: a refused restore must leave all of them as they were.
    private static string Fingerprint(string directory) => string.Join("\n", Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
        .Where(f => !f.EndsWith(".lock", StringComparison.Ordinal) && !f.EndsWith(".pid", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
        .Select(f => $"{Path.GetRelativePath(directory, f)} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))}"));
}
