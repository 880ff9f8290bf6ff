using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KpNode.Configuration;
using KpNode.Integrity;
using KpNode.Storage;
using KpNode.Trust;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KpNode.Cli;

/// <summary>
/// <c>kpnode store check [--rebuild]</c>: the node's store checked offline, record by record, with the node stopped (the
/// one command that opens the store itself; it takes the data directory's lock as the node does).
/// </summary>
internal static class StoreCommands
{
    /// <summary>Exit code: damaged records found (and, without --rebuild, left as they are).</summary>
    internal const int DamageFound = 3;

    /// <summary>Exit code: damaged records found, and the store rebuilt without them.</summary>
    internal const int Rebuilt = 4;

    public static Command Create() => new("store", "The node's store, offline (stop the node first)") { Check() };

    private static Command Check()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var rebuild = new Option<bool>("--rebuild")
        {
            Description = "Write a new store from the records that read and verify; the old file is kept beside it, renamed",
        };
        var command = new Command("check",
            "Verify every record of the store (audit chain, messages, certificates) and name the damaged ones. "
            + $"Exit codes: 0 intact, {DamageFound} damaged records found, {Rebuilt} found and rebuilt without them, "
            + $"{KpNodeCli.ConfigurationUnusable} the config cannot be used or the node is running, 1 another failure")
        { config, rebuild, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() =>
            Task.FromResult(Run(NodeConfig.Load(parse.GetRequiredValue(config).FullName), parse.GetValue(rebuild), parse.GetValue(json), ct))));
        return command;
    }

    private static int Run(NodeConfig config, bool rebuild, bool json, CancellationToken ct)
    {
        var directory = config.Options.DataDirectory;
        DataDirectoryLock held;
        try
        {
            held = DataDirectoryLock.Acquire(directory);
        }
        catch (DataDirectoryInUseException e)
        {
            return KpNodeCli.Fail($"{e.Message}: the node is running. Stop it first (its store must not be opened by two processes), then run this again.",
                KpNodeCli.ConfigurationUnusable);
        }

        using var _ = held;
        var dataPath = Path.GetFullPath(Path.Combine(directory, "kpnode.db"));
        if (!File.Exists(dataPath))
            return KpNodeCli.Fail($"There is no store at {dataPath} (Node:DataDirectory).", KpNodeCli.ConfigurationUnusable);

        using var credentials = new NodeCredentials(PkiFiles.Load(config.Options.PkiDirectory), config.Options.PkiDirectory);
        var evidence = new StoredEvidence(new EnvelopeVerifier(new TrustChain()), credentials, Partners.Load(config), TimeProvider.System);
        var damaged = new List<DamagedRecordException>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var live = !json && !Console.IsErrorRedirected;
        StoreCheckProgress done;
        RebuildReport? report = null;
        var store = NodeStore.Open(dataPath, TimeProvider.System);
        try
        {
            var check = new StoreCheck(store, evidence, new StoreIntegrity(), Options.Create(new OperationsOptions()), NullLogger<StoreCheck>.Instance);
            done = check.Run(d =>
            {
                if (names.Add(d.Record))
                    damaged.Add(d);
            }, p =>
            {
                // Live on a terminal only: a large store takes minutes.
                if (live)
                    Console.Error.Write($"\rchecked {p.AuditEntries} audit entries, {p.Messages} messages, {p.Certificates} certificates");
            }, ct);
            if (live)
                Console.Error.WriteLine();

            if (rebuild && damaged.Count(d => !d.Unverifiable) > 0)
            {
                var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
                var newPath = Path.Combine(directory, "rebuild-" + stamp, "kpnode.db");
                var damagedFile = dataPath + ".damaged-" + stamp;
                report = StoreRebuild.Build(store, newPath, evidence, TimeProvider.System, damagedFile, line =>
                {
                    if (live)
                        Console.Error.WriteLine(line);
                });
                store.Dispose();
                StoreRebuild.Swap(dataPath, newPath, damagedFile);
            }
        }
        finally
        {
            store.Dispose();
        }

        var bad = damaged.Where(d => !d.Unverifiable).ToList();
        if (json)
            WriteJson(done, damaged, report);
        else
            WriteText(done, damaged, report);
        return bad.Count == 0 ? 0 : report is null ? DamageFound : Rebuilt;
    }

    private static void WriteText(StoreCheckProgress done, List<DamagedRecordException> damaged, RebuildReport? report)
    {
        Console.Out.WriteLine($"Checked {done.AuditEntries} audit entries, {done.Messages} messages and {done.Certificates} certificates in {done.Elapsed.TotalSeconds:0.0} s.");
        if (damaged.Count == 0)
        {
            Console.Out.WriteLine("Every record reads and verifies.");
            return;
        }

        var table = new Table().Column("Record").Column("Problem", priority: 1, freeText: true);
        foreach (var d in damaged)
            table.Row(d.Record, (d.Unverifiable ? "cannot be checked: " : "") + d.Problem);
        table.Write();
        var bad = damaged.Count(d => !d.Unverifiable);
        if (report is null)
        {
            if (bad > 0)
                Console.Out.WriteLine($"{bad} damaged record{(bad == 1 ? "" : "s")}. Rebuild the store without them: kpnode store check --config FILE --rebuild");
            return;
        }

        Console.Out.WriteLine($"Rebuilt: kept {report.MessagesKept} messages, {report.CertificatesKept} certificates and {report.AuditEntriesKept} audit entries"
            + (report.AuditBrokenAt is null ? "" : $" (the audit chain broke at {report.AuditBrokenAt}; entries after it are in the old file)") + ".");
        Console.Out.WriteLine($"The old store is kept as {report.DamagedFile}.");
        if (report.RebuiltFromMessages.Count > 0)
            Console.Out.WriteLine($"Rebuilt from their signed messages: {string.Join(", ", report.RebuiltFromMessages)}.");
        if (report.LeftToReconciliation.Count > 0)
            Console.Out.WriteLine($"Not rebuilt, left to reconciliation with the partner: {string.Join(", ", report.LeftToReconciliation)}.");
        Console.Out.WriteLine("Start the node: it serves the rebuilt store.");
    }

    private static void WriteJson(StoreCheckProgress done, List<DamagedRecordException> damaged, RebuildReport? report)
    {
        using var stream = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("auditEntries", done.AuditEntries);
            w.WriteNumber("messages", done.Messages);
            w.WriteNumber("certificates", done.Certificates);
            w.WriteStartArray("damaged");
            foreach (var d in damaged)
            {
                w.WriteStartObject();
                w.WriteString("record", d.Record);
                w.WriteString("problem", d.Problem);
                w.WriteBoolean("unverifiable", d.Unverifiable);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (report is not null)
            {
                w.WriteStartObject("rebuilt");
                w.WriteNumber("messagesKept", report.MessagesKept);
                w.WriteNumber("certificatesKept", report.CertificatesKept);
                w.WriteNumber("auditEntriesKept", report.AuditEntriesKept);
                w.WriteString("auditBrokenAt", report.AuditBrokenAt);
                w.WriteString("lastGoodAuditHash", report.LastGoodHash);
                w.WriteString("damagedFile", report.DamagedFile);
                w.WriteStartArray("dropped");
                foreach (var d in report.Dropped)
                    w.WriteStringValue(d);
                w.WriteEndArray();
                w.WriteStartArray("rebuiltFromMessages");
                foreach (var n in report.RebuiltFromMessages)
                    w.WriteStringValue(n);
                w.WriteEndArray();
                w.WriteStartArray("leftToReconciliation");
                foreach (var n in report.LeftToReconciliation)
                    w.WriteStringValue(n);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
    }
}
