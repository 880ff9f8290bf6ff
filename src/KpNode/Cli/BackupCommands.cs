using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode backup</c> (a consistent copy of a running node's store) and <c>kpnode restore</c> (verified, onto a stopped node).</summary>
internal static class BackupCommands
{
    /// <summary>Exit code of a backup that does not verify: the restore refused it and changed nothing.</summary>
    internal const int NotVerified = 3;

    public static Command Backup()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var output = new Option<FileInfo>("--out") { Description = "The file to write the backup to (must not exist)", Required = true };
        var command = new Command("backup", "Copy the running node's whole store, as of one instant, into a file (deliveries go on meanwhile); restore it with 'kpnode restore'")
        {
            config, output, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var configFile = parse.GetRequiredValue(config);
            var target = parse.GetRequiredValue(output);
            if (target.Exists)
                return KpNodeCli.Fail($"--out: {target.FullName} exists; a backup never overwrites a file, so name a new one");
            Directory.CreateDirectory(target.DirectoryName!);
            var partial = target.FullName + ".partial";
            using var client = LocalApiClient.Connect(NodeConfig.Load(configFile.FullName));
            BackupSummary? summary = null;
            try
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write))
                {
                    using var call = client.Backup.TakeBackup(new TakeBackupRequest(), cancellationToken: ct);
                    await foreach (var part in call.ResponseStream.ReadAllAsync(ct))
                    {
                        if (part.PartCase == TakeBackupResponse.PartOneofCase.Chunk)
                        {
                            hash.AppendData(part.Chunk.Span);
                            await file.WriteAsync(part.Chunk.Memory, ct);
                        }
                        else if (part.PartCase == TakeBackupResponse.PartOneofCase.Summary)
                        {
                            summary = part.Summary;
                        }
                    }

                    file.Flush(flushToDisk: true);
                }

                if (summary is null)
                    return KpNodeCli.Fail("the node ended the backup without its summary; nothing was kept. Try again, and see the node's log");
                var received = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (received != summary.Sha256)
                    return KpNodeCli.Fail($"the backup arrived damaged (SHA-256 {received[..16]}…, the node sent {summary.Sha256[..16]}…); nothing was kept. Try again");
                File.Move(partial, target.FullName);
            }
            finally
            {
                File.Delete(partial);
            }

            if (parse.GetValue(json))
            {
                Output.Json(summary);
                return 0;
            }

            var documents = summary.Collections.ToDictionary(c => c.Name, c => c.Documents, StringComparer.Ordinal);
            AnsiConsole.MarkupLine(Markup.Escape(
                $"Backup of {summary.Participant}'s store as of {Output.Time(summary.TakenAt)} written to {target.FullName}: "
                + $"{summary.SizeBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes, SHA-256 {summary.Sha256}."));
            AnsiConsole.MarkupLine(Markup.Escape(
                $"It holds {Count(documents, NodeStore.CertificatesCollection)} certificates, {Count(documents, NodeStore.MessagesCollection)} messages "
                + $"and the audit log through entry {summary.AuditHeadId}; writes paused {summary.WritesPaused.ToTimeSpan().TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture)} ms for the copy."));
            AnsiConsole.MarkupLine(Markup.Escape($"Restore it onto the stopped node with: kpnode restore {target.FullName} --config {configFile.FullName}"));
            return 0;
        }));
        return command;
    }

    public static Command Restore()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var backup = new Argument<FileInfo>("backup") { Description = "A file written by 'kpnode backup'" };
        var data = new Option<DirectoryInfo>("--data") { Description = "The stopped node's data directory (default: the one its config names)" };
        var command = new Command("restore",
            "Verify a backup (the audit chain and every envelope and receipt, against the roots the config names) and, only if it verifies, make it the "
            + $"stopped node's store; the store it replaces is kept. Exit codes: 0 restored, {NotVerified} the backup does not verify (nothing changed), "
            + $"{KpNodeCli.ConfigurationUnusable} the node is running or the config cannot be used, 1 another failure")
        {
            backup, config, data, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() =>
        {
            var nodeConfig = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            var file = parse.GetRequiredValue(backup);
            var directory = parse.GetValue(data)?.FullName ?? Path.GetFullPath(nodeConfig.Options.DataDirectory);
            return Task.FromResult(Run(nodeConfig, file, directory, parse.GetValue(json), ct));
        }));
        return command;
    }

    private static int Run(NodeConfig config, FileInfo file, string directory, bool json, CancellationToken ct)
    {
        if (!file.Exists)
            return KpNodeCli.Fail($"there is no backup at {file.FullName}");
        DataDirectoryLock held;
        try
        {
            held = DataDirectoryLock.Acquire(directory);
        }
        catch (DataDirectoryInUseException e)
        {
            return KpNodeCli.Fail($"{e.Message}: the node is running. Stop it first; a store is never replaced under a running node.", KpNodeCli.ConfigurationUnusable);
        }

        using var _ = held;
        string workPath;
        BackupCut described;
        try
        {
            (workPath, described) = StoreRestore.Prepare(file.FullName, directory);
        }
        catch (InvalidDataException e)
        {
            Directory.Delete(Path.Combine(directory, StoreRestore.WorkFolder), recursive: true);
            return Refused(file, [$"{file.Name}: {e.Message}"], json);
        }

        var now = DateTimeOffset.UtcNow;
        List<string> problems;
        var advanced = new List<string>();
        using (var store = NodeStore.Open(workPath, TimeProvider.System))
        {
            var verified = AuditCommands.VerifyStopped(config, store, ct);
            problems = [.. verified.Problems.Select(p => $"{p.Record}: {p.Problem}")];
            if (!verified.Chain.Intact && !problems.Any(p => p.StartsWith("audit entry", StringComparison.Ordinal)))
                problems.Insert(0, $"audit entry {verified.Chain.BrokenEntryId}: {verified.Chain.Detail}");
            // A backup cut short at its end would still link: its own description says where the chain ended.
            var head = store.Write(w => w.AuditHead());
            if (head != (described.AuditHeadId, described.AuditHeadHash))
                problems.Add($"audit log: ends at entry {head.Sequence}, but the backup was taken through entry {described.AuditHeadId} ({described.AuditHeadHash[..16]}…)");
            if (problems.Count == 0)
            {
                // Numbers issued after the backup must not be issued again: the replaced store, where readable, knows them.
                foreach (var (key, value) in StoreRestore.SequencesOf(directory) ?? new Dictionary<string, long>())
                {
                    if (store.SequenceValue(key) is not { } restored || restored < value)
                    {
                        store.SetSequence(key, value);
                        advanced.Add($"{key} {value}");
                    }
                }

                store.Write(w => w.Audit("restore", "store.restored", $"backup as of {described.TakenAt:O}",
                    $"from {file.Name}, audit head {described.AuditHeadId}; the replaced store is kept under {StoreRestore.ReplacedFolder}/"
                    + (advanced.Count > 0 ? $"; numbering carried on from it: {string.Join(", ", advanced)}" : "")));
            }
        }

        if (problems.Count > 0)
        {
            Directory.Delete(Path.GetDirectoryName(workPath)!, recursive: true);
            return Refused(file, problems, json);
        }

        var kept = StoreRestore.Replace(directory, workPath, now);
        var certificates = described.Documents.GetValueOrDefault(NodeStore.CertificatesCollection);
        var messages = described.Documents.GetValueOrDefault(NodeStore.MessagesCollection);
        if (json)
        {
            Output.JsonRecord(new RestoreReport(file.FullName, directory, described.TakenAt, described.AuditHeadId, certificates, messages, kept, advanced));
            return 0;
        }

        AnsiConsole.MarkupLine(Markup.Escape(
            $"Restored the store as of {described.TakenAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z into {directory}: {certificates} certificates, {messages} messages, "
            + $"the audit chain through entry {described.AuditHeadId} and every envelope verified."));
        if (kept is not null)
            AnsiConsole.MarkupLine(Markup.Escape($"The store it replaced is kept as {kept}."));
        if (advanced.Count > 0)
            AnsiConsole.MarkupLine(Markup.Escape($"Numbering carries on from the replaced store, so no number is issued twice: {string.Join(", ", advanced)}."));
        var partners = Partners.Load(config).All.Select(p => p.Code).ToList();
        AnsiConsole.MarkupLine(Markup.Escape("Start the node, then recover what partners hold since the backup: "
            + (partners.Count == 0 ? "kpnode reconcile PARTNER" : string.Join("; ", partners.Select(p => $"kpnode reconcile {p} --config {config.FilePath}")))));
        return 0;
    }

    private static int Refused(FileInfo file, List<string> problems, bool json)
    {
        if (json)
        {
            Output.JsonRecord(new RestoreRefusal(file.FullName, problems));
            return NotVerified;
        }

        Output.Line($"[red]The backup {Markup.Escape(file.FullName)} does not verify; nothing was changed.[/]");
        foreach (var p in problems)
            Output.Line("  " + Output.Text(p));
        Output.Line("What to do: keep this file as evidence, and restore an older backup that verifies.");
        return NotVerified;
    }

    private static long Count(Dictionary<string, long> documents, string collection) => documents.GetValueOrDefault(collection);

    private sealed record RestoreReport(string Backup, string DataDirectory, DateTimeOffset TakenAt, long AuditHeadId, long Certificates, long Messages, string? ReplacedStoreKeptAs,
        IReadOnlyList<string> NumberingCarriedOn);

    private sealed record RestoreRefusal(string Backup, IReadOnlyList<string> Problems);
}
