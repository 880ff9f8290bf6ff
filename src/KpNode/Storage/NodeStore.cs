using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using KpNode.Domain;
using LiteDB;

namespace KpNode.Storage;

/// <summary>
/// The node's store on one LiteDB file: open and close, here; transactions (NodeStore.Transactions), the group-commit
/// queue and its writer thread (NodeStore.GroupCommit), schema and upgrades (NodeStore.Schema), and the certificate,
/// outbox and audit queries each in a file of their own.
/// </summary>
internal sealed partial class NodeStore : INodeStore, IDisposable
{
    internal const string CertificatesCollection = "certificates";
    internal const string MessagesCollection = "messages";
    internal const string AuditCollection = "audit";
    internal const string SequencesCollection = "sequences";
    internal const string SignersCollection = "signers";
    internal const string RevocationListsCollection = "revocation_lists";
    internal const string PartnerHistoriesCollection = "partner_histories";
    internal const string AuthenticityStatementsCollection = "authenticity_statements";
    internal const string ApprovalsCollection = "approvals";

    // The open file; replaced when LiteDB closed its engine on meeting a damaged page or document (NodeStore.Damage).
    private volatile OpenFile _file;
    private readonly BsonMapper _mapper;
    private readonly LogFlusher _flusher;
    private readonly string _dataPath;
    private readonly string _logPath;
    // Writers take turns through this gate, waiting asynchronously: blocking pool threads on a lock starves the node under load.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    // The managed thread id inside a write, 0 when none: refuses a write nested in another on the same thread.
    private int _writerThread;
    // Id and hash of the last committed audit entry, so appending one does not query for it; null until read, and
    // forgotten whenever a write rolls back. Guarded by the gate.
    private (long Id, string Hash)? _auditTail;

    // LiteDB checkpoints its write-ahead log inside whichever commit takes it past this many pages; the store keeps
    // that and only counts it, because checkpoints of our own slowed every fsync (bench/RESULTS.md, "Decisions").
    internal const int CheckpointPages = 1000;
    private volatile bool _disposed;
    // Group commits, the durable writes they committed and the Stopwatch ticks they took (see Activity).
    private long _groupCommits;
    private long _groupWrites;
    private long _groupTicks;
    private long _checkpoints;
    private long _checkpointTicks;

    private NodeStore(LiteDatabase db, BsonMapper mapper, TimeProvider time, string dataPath, string logPath)
    {
        _file = new OpenFile(db);
        _mapper = mapper;
        Time = time;
        _dataPath = dataPath;
        _logPath = logPath;
        _flusher = new LogFlusher(dataPath, logPath);
        Packing.Committed(ReadableSigners());
    }

    internal TimeProvider Time { get; }
    private LiteDatabase Db => _file.Db;
    internal ILiteCollection<CertificateDocument> Certificates => _file.Certificates;
    internal ILiteCollection<PartnerMessage> Messages => _file.Messages;
    internal ILiteCollection<AuditEntry> AuditLog => _file.AuditLog;
    internal ILiteCollection<SequenceDocument> Sequences => _file.Sequences;
    internal ILiteCollection<SignerDocument> Signers => _file.Signers;
    internal ILiteCollection<RevocationListDocument> RevocationLists => _file.RevocationLists;
    internal ILiteCollection<PartnerHistoryDocument> PartnerHistories => _file.PartnerHistories;
    internal ILiteCollection<AuthenticityStatementDocument> AuthenticityStatements => _file.AuthenticityStatements;
    internal ILiteCollection<ApprovalDocument> Approvals => _file.Approvals;
    internal EnvelopePacking Packing { get; } = new();

    /// <summary>Opens (or creates) the store file at <paramref name="path"/>, creating its folder; one instance per file per process.</summary>
    public static NodeStore Open(string path, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(time);

        var dataPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(dataPath)!);
        var logPath = LogPathOf(dataPath);

        var mapper = StoreMapper.Create();
        var db = OpenDatabase(dataPath, mapper);
        try
        {
            // Dates read back as UTC in every reader of the file, not only through our mapper.
            if (!db.UtcDate)
                db.UtcDate = true;
            // Set explicitly (it is LiteDB's default): see CheckpointPages.
            if (db.CheckpointSize != CheckpointPages)
                db.CheckpointSize = CheckpointPages;

            var store = new NodeStore(db, mapper, time, dataPath, logPath);
            store.EnsureIndexes();
            return store;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    private static LiteDatabase OpenDatabase(string dataPath, BsonMapper mapper) => new(new ConnectionString
    {
        Filename = dataPath,
        Connection = ConnectionType.Direct,
        // Applies when the file is created. Set explicitly so ordering and key uniqueness do
        // not depend on the host's culture; keys compare ignoring case, so "za-1" and "ZA-1"
        // are the same certificate number.
        Collation = new Collation(CultureInfo.InvariantCulture.LCID, CompareOptions.IgnoreCase),
    }, mapper);

    public StoreActivity Activity
    {
        get
        {
            var (fsyncs, fsyncSeconds) = _flusher.Fsyncs;
            return new StoreActivity(Interlocked.Read(ref _groupCommits), Interlocked.Read(ref _groupWrites),
                Interlocked.Read(ref _groupTicks) / (double)Stopwatch.Frequency, fsyncs, fsyncSeconds,
                Interlocked.Read(ref _checkpoints), Interlocked.Read(ref _checkpointTicks) / (double)Stopwatch.Frequency);
        }
    }

    public int QueuedWrites
    {
        get
        {
            lock (_queueGate)
                return _queued.Count;
        }
    }

    public long FileSizeBytes => LengthOrZero(_dataPath) + LengthOrZero(_logPath);

    /// <summary>Closes the database, which checkpoints its log into the data file and fsyncs it; pending flushes then complete.</summary>
    public void Dispose()
    {
        ThrowIfInsideWrite("The store cannot be disposed from inside a store write.");
        Exception? failure = null;
        _writeGate.Wait();
        try
        {
            OpenFile file;
            // Under the reopen gate, so that no read opens the file again after it was closed here.
            lock (_reopenGate)
            {
                if (_disposed)
                    return;
                _disposed = true;
                file = _file;
            }

            try
            {
                file.Db.Dispose();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            _flusher.Close(failure);
        }
        finally
        {
            // Writers still queued find the store disposed; the gate itself stays usable for them.
            _writeGate.Release();
        }

        StopWriterThread();
        if (failure is not null)
            ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>Whether the store's writer or flush thread is still running (they end when the store is disposed).</summary>
    internal bool ThreadsRunning
    {
        get
        {
            lock (_queueGate)
                return _drainThread?.IsAlive == true || _flusher.ThreadRunning;
        }
    }

    // After the database closed: the writer fails what it still holds (RunGroup sees the store disposed) and
    // ends; writes queued after it last looked fail here, and later ones are refused at the queue.
    private void StopWriterThread()
    {
        Thread? writer;
        List<IQueuedWrite> stranded;
        lock (_queueGate)
        {
            _drainStopped = true;
            writer = _drainThread;
            stranded = [.. _queued];
            _queued.Clear();
        }

        _drainWake.Release();
        if (writer is not null && writer != Thread.CurrentThread)
            writer.Join();

        var closed = ClosedBeforeRun();
        foreach (var queued in stranded)
            queued.Failed(closed);
    }

    internal BsonValue Bson<TValue>(TValue value) where TValue : notnull => _mapper.Serialize(typeof(TValue), value);

    private static long LengthOrZero(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? file.Length : 0;
    }
}
