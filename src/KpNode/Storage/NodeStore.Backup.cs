using System.Diagnostics;
using LiteDB;

namespace KpNode.Storage;

/// <summary>What a backup copied: when its cut was taken, what it holds, and how long writers waited for the cut.</summary>
internal sealed record BackupCut(
    DateTimeOffset TakenAt, IReadOnlyDictionary<string, long> Documents, long AuditHeadId, string AuditHeadHash, TimeSpan WritesPaused);

/// <summary>A consistent copy of the store into another file, taken while the node runs and writes.</summary>
internal sealed partial class NodeStore
{
    /// <summary>The collection a backup file carries its own description in; a restore reads and drops it.</summary>
    internal const string BackupCollection = "backup";
    private const int BackupBatch = 500;

    /// <summary>
    /// Copies every collection into a new LiteDB file at <paramref name="targetPath"/>, as of one instant. Writers are
    /// held only while the read snapshot of each collection is taken (LiteDB fixes a collection's snapshot at its
    /// first read in a transaction), never while documents are copied. Blocks the calling thread throughout: a LiteDB
    /// transaction is bound to its thread, so run it on a thread of its own.
    /// </summary>
    public BackupCut Backup(string targetPath, CancellationToken ct)
    {
        ThrowIfInsideWrite("A backup cannot be taken inside a store write.");
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (File.Exists(targetPath))
            throw new IOException($"'{targetPath}' exists already; a backup never overwrites a file.");

        var file = _file;
        var db = file.Db;
        if (!db.BeginTrans())
            throw new InvalidOperationException("A LiteDB transaction is already open on this thread.");
        try
        {
            var (names, takenAt, paused) = TakeCut(db, ct);
            // The head as of the cut, read in the same snapshot the audit log is copied from.
            var head = db.GetCollection(AuditCollection).Query().OrderByDescending("_id").Limit(1).FirstOrDefault();
            var documents = CopyCollections(db, names, targetPath, ct);
            var cut = new BackupCut(takenAt, documents, head?["_id"].AsInt64 ?? 0, head?["Hash"].AsString ?? AuditEntry.GenesisHash, paused);
            Describe(targetPath, cut);
            return cut;
        }
        catch
        {
            TryDelete(targetPath);
            throw;
        }
        finally
        {
            db.Rollback();
        }
    }

    // Under the write gate, so that no commit falls between the snapshots of two collections.
    private (List<string> Names, DateTimeOffset TakenAt, TimeSpan Paused) TakeCut(LiteDatabase db, CancellationToken ct)
    {
        _writeGate.Wait(ct);
        var held = Stopwatch.StartNew();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var names = db.GetCollectionNames().Order(StringComparer.Ordinal).ToList();
            foreach (var name in names)
                _ = db.GetCollection(name).Query().Limit(1).ToList();
            return (names, Time.GetUtcNow(), held.Elapsed);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static Dictionary<string, long> CopyCollections(LiteDatabase source, List<string> names, string targetPath, CancellationToken ct)
    {
        var documents = new Dictionary<string, long>(StringComparer.Ordinal);
        using var target = OpenDatabase(targetPath, new BsonMapper());
        target.UtcDate = true;
        target.CheckpointSize = CheckpointPages;
        foreach (var name in names)
        {
            var into = target.GetCollection(name);
            long count = 0;
            foreach (var batch in source.GetCollection(name).FindAll().Chunk(BackupBatch))
            {
                ct.ThrowIfCancellationRequested();
                count += into.InsertBulk(batch, BackupBatch);
            }

            documents[name] = count;
        }

        return documents;
    }

    // The backup says what it is in its own file, so that a restore needs nothing beside it.
    private static void Describe(string targetPath, BackupCut cut)
    {
        using (var target = OpenDatabase(targetPath, new BsonMapper()))
        {
            var counts = new BsonDocument();
            foreach (var (name, count) in cut.Documents)
                counts[name] = count;
            target.GetCollection(BackupCollection).Insert(new BsonDocument
            {
                ["_id"] = 1,
                ["TakenAt"] = cut.TakenAt.UtcDateTime,
                ["AuditHeadId"] = cut.AuditHeadId,
                ["AuditHeadHash"] = cut.AuditHeadHash,
                ["Documents"] = counts,
            });
            target.Checkpoint();
        }

        // Disposing checkpointed the log into the data file; make that file durable before the backup is called taken.
        using (var handle = File.OpenHandle(targetPath, FileMode.Open, FileAccess.ReadWrite))
            RandomAccess.FlushToDisk(handle);
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(targetPath))!);
    }

    /// <summary>Where the node writes a backup before it streams it, inside its data directory.</summary>
    internal const string BackupWorkFolder = "backup-in-progress";

    /// <summary>
    /// Removes what an interrupted backup or restore left in <paramref name="dataDirectory"/>; only for the holder of the
    /// directory's lock, when neither can be running.
    /// </summary>
    internal static void RemoveInterruptedCopies(string dataDirectory)
    {
        foreach (var folder in new[] { BackupWorkFolder, StoreRestore.WorkFolder })
        {
            var path = Path.Combine(dataDirectory, folder);
            try
            {
                if (Directory.Exists(path))
                    Directory.Delete(path, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only space is lost: the next backup or restore writes under a name of its own, or clears the folder.
            }
        }
    }

    /// <summary>The description a backup file carries, or null when the file is not a KpNode backup.</summary>
    internal static BackupCut? ReadBackupDescription(LiteDatabase backup)
    {
        if (!backup.CollectionExists(BackupCollection))
            return null;
        var doc = backup.GetCollection(BackupCollection).FindById(1);
        if (doc is null)
            return null;
        var counts = doc["Documents"].AsDocument;
        return new BackupCut(new DateTimeOffset(doc["TakenAt"].AsDateTime.ToUniversalTime(), TimeSpan.Zero),
            counts.Keys.ToDictionary(k => k, k => counts[k].AsInt64, StringComparer.Ordinal),
            doc["AuditHeadId"].AsInt64, doc["AuditHeadHash"].AsString, TimeSpan.Zero);
    }

    private static void TryDelete(string path)
    {
        foreach (var p in new[] { path, LogPathOf(path) })
        {
            try
            {
                File.Delete(p);
            }
            catch (IOException)
            {
                // Left for the operator: the error that stopped the backup is the one to report.
            }
        }
    }

    /// <summary>LiteDB's name for the write-ahead log of the file at <paramref name="dataPath"/>: "kpnode.db" -> "kpnode-log.db".</summary>
    internal static string LogPathOf(string dataPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataPath))!,
            Path.GetFileNameWithoutExtension(dataPath) + "-log" + Path.GetExtension(dataPath));
}
