using LiteDB;

namespace KpNode.Storage;

/// <summary>
/// The file work of a restore, on a stopped node's data directory: a working copy of the backup made ready to verify,
/// then swapped in, the store it replaces kept (nothing is deleted within the retention period).
/// </summary>
internal static class StoreRestore
{
    internal const string WorkFolder = "restore-in-progress";
    internal const string ReplacedFolder = "replaced";
    internal const string StoreFileName = "kpnode.db";

    /// <summary>
    /// Copies <paramref name="backupFile"/> to a working file in <paramref name="dataDirectory"/> and reads the description the
    /// backup carries; throws <see cref="InvalidDataException"/> when the file is not a KpNode backup or holds other
    /// documents than it says.
    /// </summary>
    public static (string WorkPath, BackupCut Described) Prepare(string backupFile, string dataDirectory)
    {
        var work = Path.Combine(dataDirectory, WorkFolder);
        if (Directory.Exists(work))
            Directory.Delete(work, recursive: true);
        Directory.CreateDirectory(work);
        var path = Path.Combine(work, StoreFileName);
        File.Copy(backupFile, path);

        BackupCut? described;
        try
        {
            using var db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
            described = NodeStore.ReadBackupDescription(db);
            if (described is null)
                throw new InvalidDataException("it is not a KpNode backup (it carries no backup description); take one with 'kpnode backup'");
            foreach (var (name, expected) in described.Documents)
            {
                var held = db.CollectionExists(name) ? db.GetCollection(name).LongCount() : 0;
                if (held != expected)
                    throw new InvalidDataException($"collection {name} holds {held} documents, but the backup was taken with {expected}");
            }

            db.DropCollection(NodeStore.BackupCollection);
        }
        catch (LiteException e)
        {
            throw new InvalidDataException($"it cannot be read as a store: {e.Message}", e);
        }

        return (path, described);
    }

    /// <summary>
    /// The numbering sequences of the store a restore replaces, read without changing it; null when there is none, or it
    /// cannot be read (then only partners' copies tell which numbers were issued after the backup).
    /// </summary>
    public static IReadOnlyDictionary<string, long>? SequencesOf(string dataDirectory)
    {
        var live = Path.Combine(dataDirectory, StoreFileName);
        if (!File.Exists(live))
            return null;
        try
        {
            using var db = new LiteDatabase(new ConnectionString { Filename = live, Connection = ConnectionType.Direct, ReadOnly = true });
            return db.GetCollection(NodeStore.SequencesCollection).FindAll()
                .ToDictionary(d => d["_id"].AsString, d => d["Value"].AsInt64, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is LiteException or IOException or InvalidCastException)
        {
            return null;
        }
    }

    /// <summary>
    /// Puts the verified working file in place as the store, keeping the store it replaces (with its log) under
    /// <c>replaced/</c>; returns where that was kept, or null when there was none.
    /// </summary>
    public static string? Replace(string dataDirectory, string workPath, DateTimeOffset now)
    {
        var live = Path.Combine(dataDirectory, StoreFileName);
        string? kept = null;
        if (File.Exists(live))
        {
            var replaced = Path.Combine(dataDirectory, ReplacedFolder);
            Directory.CreateDirectory(replaced);
            kept = Path.Combine(replaced, $"kpnode-{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.db");
            File.Move(live, kept);
            if (File.Exists(NodeStore.LogPathOf(live)))
                File.Move(NodeStore.LogPathOf(live), NodeStore.LogPathOf(kept));
            DirectorySync.Flush(replaced);
        }

        File.Move(workPath, live);
        if (File.Exists(NodeStore.LogPathOf(workPath)))
            File.Move(NodeStore.LogPathOf(workPath), NodeStore.LogPathOf(live));
        DirectorySync.Flush(dataDirectory);
        Directory.Delete(Path.GetDirectoryName(workPath)!, recursive: true);
        return kept;
    }
}
