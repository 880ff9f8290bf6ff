using System.Globalization;
using KpNode.Domain;
using KpNode.Storage;

namespace KpNode.Integrity;

/// <summary>What a rebuild kept and dropped, for the operator and the audit entry that records it.</summary>
internal sealed record RebuildReport(
    long MessagesKept, long CertificatesKept, IReadOnlyList<string> Dropped, IReadOnlyList<string> RebuiltFromMessages, IReadOnlyList<string> LeftToReconciliation,
    long AuditEntriesKept, string? AuditBrokenAt, string LastGoodHash, IReadOnlyDictionary<string, long> Sequences, string DamagedFile);

/// <summary>
/// <c>kpnode store check --rebuild</c>: a new store written from the records of the old one that read and verify, with
/// the numbering sequences kept past every number seen (a certificate number is never issued twice), the audit chain
/// copied as far as it verifies and one entry appended recording the rebuild. The old file is kept beside the new one,
/// renamed, never deleted. A certificate whose record is lost is rebuilt from its signed message when nothing followed
/// that message; otherwise it is left for partners' reconciliation to fill in.
/// </summary>
internal static class StoreRebuild
{
    private const int Batch = 200;

    /// <summary>Writes the rebuilt store into <paramref name="newPath"/> (a file that must not exist yet) from <paramref name="old"/>.</summary>
    public static RebuildReport Build(NodeStore old, string newPath, StoredEvidence evidence, TimeProvider time, string damagedFile, Action<string> progress)
    {
        var dropped = new List<string>();
        var seen = new List<string>();
        // Certificates not kept: rebuilt below from their signed messages where that is sound.
        var lost = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using var fresh = NodeStore.Open(newPath, time);

        long certificates = 0;
        Walk(old.CertificateNumbersAfter, number =>
        {
            seen.Add(number);
            var held = old.FindCertificate(number);
            if (held is null)
                return null;
            evidence.Certificate(held, old.FindMessage, followUps: true);
            return held;
        }, batch => fresh.Write(w =>
        {
            foreach (var c in batch)
                w.InsertCertificate(c);
            return certificates += batch.Count;
        }), dropped, damage =>
        {
            if (damage.Record.StartsWith("certificate ", StringComparison.Ordinal))
                lost.Add(damage.Record["certificate ".Length..]);
        });
        progress($"{certificates} certificates kept");

        long messages = 0;
        // For each lost certificate: the message that carried it, and whether any void or confirmation followed it.
        var carried = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var followedUp = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        // A message that cannot be read may have been a void or confirmation of any certificate.
        var unreadable = 0;
        Walk(old.MessageIdsAfter, id =>
        {
            PartnerMessage? message;
            try
            {
                message = old.FindMessage(id);
            }
            catch (DamagedRecordException)
            {
                unreadable++;
                throw;
            }

            if (message is null)
                return null;
            seen.Add(message.CertificateNumber);
            if (!lost.Contains(message.CertificateNumber))
            {
                evidence.Message(message);
                return message;
            }

            try
            {
                evidence.Message(message);
            }
            catch (DamagedRecordException)
            {
                // What this message said about the lost certificate is unknown: rebuilding it would guess.
                followedUp.Add(message.CertificateNumber);
                throw;
            }

            if (message.PayloadType == Wire.PayloadTypes.CertificateIssued)
                carried[message.CertificateNumber] = message.Id;
            else
                followedUp.Add(message.CertificateNumber);
            return message;
        }, batch => fresh.Write(w =>
        {
            foreach (var m in batch)
                w.InsertMessage(m);
            return messages += batch.Count;
        }), dropped, _ => { });
        progress($"{messages} messages kept");

        var rebuilt = new List<string>();
        var leftToReconciliation = new List<string>();
        foreach (var number in lost.Order(StringComparer.Ordinal))
        {
            if (unreadable == 0 && !followedUp.Contains(number) && carried.TryGetValue(number, out var messageId)
                && FromItsMessage(fresh, evidence, messageId, time) is { } held)
            {
                fresh.Write(w =>
                {
                    w.InsertCertificate(held);
                    return 0;
                });
                rebuilt.Add(number);
            }
            else
            {
                leftToReconciliation.Add(number);
            }
        }

        certificates += rebuilt.Count;
        var sequences = KeepSequences(old, fresh, seen);
        KeepRevocationLists(old, fresh, dropped);
        KeepApprovals(old, fresh, dropped);
        long statements = 0;
        Walk(old.AuthenticityStatementIdsAfter, id =>
        {
            var statement = old.FindAuthenticityStatement(id);
            if (statement is not null)
                evidence.Statement(statement);
            return statement;
        }, batch => fresh.Write(w =>
        {
            foreach (var s in batch)
                w.InsertAuthenticityStatement(s);
            return statements += batch.Count;
        }), dropped, _ => { });
        progress($"{statements} authenticity statements kept");
        var (auditKept, brokenAt, lastHash) = CopyAudit(old, fresh);
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"rebuilt from {Path.GetFileName(damagedFile)}: kept {messages} messages, {certificates} certificates ({rebuilt.Count} rebuilt from their signed messages"
            + $"{(rebuilt.Count == 0 ? "" : ": " + string.Join(", ", rebuilt))}) and {auditKept} audit entries "
            + $"(the old chain's last good hash {lastHash}{(brokenAt is null ? "" : $"; it broke at {brokenAt}")}); dropped {dropped.Count}: "
            + $"{(dropped.Count == 0 ? "none" : string.Join("; ", dropped))}; left to reconciliation: {(leftToReconciliation.Count == 0 ? "none" : string.Join(", ", leftToReconciliation))}");
        fresh.Write(w => w.Audit("kpnode store check", "store.rebuilt", "store", detail));
        return new RebuildReport(messages, certificates, dropped, rebuilt, leftToReconciliation, auditKept, brokenAt, lastHash, sequences, damagedFile);
    }

    // Revocation lists are signed by their roots and checked against them again when the node loads them: kept as read.
    private static void KeepRevocationLists(NodeStore old, NodeStore fresh, List<string> dropped)
    {
        IReadOnlyList<StoredRevocationList> lists;
        try
        {
            lists = old.AllRevocationLists();
        }
        catch (DamagedRecordException e)
        {
            dropped.Add($"{e.Record} (the next revocation notice, or 'kpnode pki publish' of our own crl.pem, brings it back)");
            return;
        }

        fresh.Write(w =>
        {
            foreach (var list in lists)
                w.PutRevocationList(list);
            return 0;
        });
    }

    // Four-eyes approvals carry no signature: kept as read (an approval issues only through the workflow's every rule).
    private static void KeepApprovals(NodeStore old, NodeStore fresh, List<string> dropped)
    {
        IReadOnlyList<StoredApproval> approvals;
        try
        {
            approvals = old.AllApprovals();
        }
        catch (DamagedRecordException e)
        {
            dropped.Add($"{e.Record} (what waited for approval is submitted again)");
            return;
        }

        fresh.Write(w =>
        {
            foreach (var approval in approvals)
                w.PutApproval(approval);
            return 0;
        });
    }

    // A certificate rebuilt from the signed message that carried it, when nothing followed it (a void or a confirmation
    // would need its own record's history): its figures are the signed ones, its status the one the message's receipt
    // proves. Checked as any stored certificate is before it is kept.
    private static HeldCertificate? FromItsMessage(NodeStore fresh, StoredEvidence evidence, string messageId, TimeProvider time)
    {
        var message = fresh.FindMessage(messageId);
        if (message is null)
            return null;
        var payload = Wire.V1.CertificateIssued.Parser.ParseFrom(evidence.Message(message));
        if (payload.Certificate is null || Wire.CertificateMapping.ToSummary(payload.Certificate) is not { } summary)
            return null;
        var outbound = message.Direction == MessageDirection.Outbound;
        CertificateStatus? status = (outbound, message.Status) switch
        {
            (true, MessageStatus.Delivered) => CertificateStatus.Delivered,
            (true, MessageStatus.Rejected) => CertificateStatus.Rejected,
            (true, MessageStatus.Pending) => CertificateStatus.Issued,
            (false, MessageStatus.Received) => CertificateStatus.Received,
            _ => null,
        };
        if (status is not { } known)
            return null;
        var now = time.GetUtcNow().UtcDateTime;
        var held = HeldCertificate.Rehydrate(summary, outbound ? CertificateDirection.Outbound : CertificateDirection.Inbound, message.Partner,
            message.Id, message.CreatedAt, known, statusReason: null, replacedBy: null, confirmationMessageId: null, voidMessageId: null,
            message.CompletedAt ?? message.CreatedAt,
            [new HistoryEntry(now, known, "Rebuilt from its signed message by 'kpnode store check --rebuild': its record in the store was damaged")]);
        try
        {
            evidence.Certificate(held, fresh.FindMessage, followUps: true);
            return held;
        }
        catch (DamagedRecordException)
        {
            return null;
        }
    }

    /// <summary>Puts the rebuilt file in place: the old one (and its log, if any) renamed to <paramref name="damagedFile"/>.</summary>
    public static void Swap(string dataPath, string newPath, string damagedFile)
    {
        File.Move(dataPath, damagedFile);
        var log = LogPath(dataPath);
        if (File.Exists(log))
            File.Move(log, LogPath(damagedFile));
        File.Move(newPath, dataPath);
        if (File.Exists(LogPath(newPath)))
            File.Move(LogPath(newPath), log);
        Directory.Delete(Path.GetDirectoryName(newPath)!);
    }

    // LiteDB's naming of the write-ahead log: "kpnode.db" -> "kpnode-log.db".
    private static string LogPath(string dataPath) =>
        Path.Combine(Path.GetDirectoryName(dataPath)!, Path.GetFileNameWithoutExtension(dataPath) + "-log" + Path.GetExtension(dataPath));

    private static void Walk<T>(Func<string?, int, IReadOnlyList<string>> keysAfter, Func<string, T?> read, Action<List<T>> write,
        List<string> dropped, Action<DamagedRecordException> lost) where T : class
    {
        string? after = null;
        while (true)
        {
            var keys = keysAfter(after, Batch);
            var batch = new List<T>();
            foreach (var key in keys)
            {
                try
                {
                    if (read(key) is { } record)
                        batch.Add(record);
                }
                catch (DamagedRecordException damage)
                {
                    dropped.Add($"{damage.Record}: {damage.Problem}");
                    lost(damage);
                }
            }

            if (batch.Count > 0)
                write(batch);
            if (keys.Count < Batch)
                return;
            after = keys[^1];
        }
    }

    // Each sequence at least as far as every number seen under it, damaged records' numbers included (they are in the index).
    private static Dictionary<string, long> KeepSequences(NodeStore old, NodeStore fresh, List<string> seen)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var key in old.SequenceKeys())
        {
            try
            {
                values[key] = old.SequenceValue(key) ?? 0;
            }
            catch (DamagedRecordException)
            {
                values[key] = 0;
            }
        }

        foreach (var number in seen.Where(CertificateNumber.IsWellFormed))
        {
            var dash = number.LastIndexOf('-');
            if (long.TryParse(number.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                values[number[..dash]] = Math.Max(values.GetValueOrDefault(number[..dash]), n);
        }

        foreach (var (key, value) in values)
            fresh.SetSequence(key, value);
        return values;
    }

    // Entries copied, in order, while each links to the one before and hashes to what it stores.
    private static (long Kept, string? BrokenAt, string LastHash) CopyAudit(NodeStore old, NodeStore fresh)
    {
        long expected = 1;
        var lastHash = AuditEntry.GenesisHash;
        long after = 0;
        while (true)
        {
            var ids = old.AuditIdsAfter(after, Batch);
            var batch = new List<AuditEntry>();
            foreach (var id in ids)
            {
                AuditEntry? entry;
                try
                {
                    entry = old.AuditEntryAt(id);
                }
                catch (DamagedRecordException)
                {
                    entry = null;
                }

                var broken = entry is null ? $"audit entry {id} (it cannot be read)"
                    : id != expected ? $"audit entry {expected} (missing)"
                    : entry.PreviousHash != lastHash ? $"audit entry {id} (it does not link to the one before)"
                    : entry.Hash != entry.ComputeHash() ? $"audit entry {id} (it was changed after it was written)"
                    : null;
                if (broken is not null)
                {
                    if (batch.Count > 0)
                        fresh.CopyAudit(batch);
                    return (expected - 1, broken, lastHash);
                }

                batch.Add(entry!);
                lastHash = entry!.Hash;
                expected++;
            }

            if (batch.Count > 0)
                fresh.CopyAudit(batch);
            if (ids.Count < Batch)
                return (expected - 1, null, lastHash);
            after = ids[^1];
        }
    }
}
