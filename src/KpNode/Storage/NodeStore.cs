using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using KpNode.Domain;
using LiteDB;

namespace KpNode.Storage;

/// <summary>The node's store on one LiteDB file: transactional writes, durable commits on request, and the queries the workflow needs.</summary>
internal sealed class NodeStore : INodeStore, IDisposable
{
    internal const string CertificatesCollection = "certificates";
    internal const string MessagesCollection = "messages";
    internal const string AuditCollection = "audit";
    internal const string SequencesCollection = "sequences";
    internal const string SignersCollection = "signers";

    // Every index is paid for on every write: inserting or moving one key rewrites the skip-list pages around it,
    // and a commit writes each dirty 8 KiB page in full. So each collection keeps only the indexes its queries use
    // (bench/RESULTS.md measured what each costs).
    //
    // Compound keys as index expressions: LiteDB uses one index per query, and these are the selective ones.
    // Enums are stored by name (see StoreMapper), so the keys read "Outbound/Pending/IN/<message id>". A lane asks
    // for its partner's oldest pending messages each time it wakes: message ids are UUIDv7, so within one partner's
    // range the index is in creation order and LiteDB reads the first page and stops (ordering by CreatedAt made it
    // read and sort every pending message: 0.1-0.2 s per batch at 10,000 pending). The dispatcher asks for one
    // direction and status across partners: a wider range of the same index. Counting a range reads each message in
    // it (LiteDB counts index keys alone only for a one-field index), so nothing counts the delivered or received ones.
    private const string DirectionStatusPartnerIndex = "$.Direction + '/' + $.Status + '/' + $.Partner + '/' + $._id";
    private const string DirectionStatusPartnerIndexName = "DirectionStatusPartnerId";
    // Status, partner and number ("Issued/IN/AE-2026-000123", see CertificateDocument.StatusKey), the certificates'
    // one index besides the number and the date of issue. Each index costs every write about two 8 KiB pages; this
    // one replaced a status index and a partner+status+number one (bench/RESULTS.md):
    // - an operator's page ("Issued, IN") is a range of it in page order, so LiteDB reads the page and stops, where
    //   partner + status alone made it read and sort every match (seconds at 100,000 certificates); a partner's page
    //   across statuses merges one such range per status;
    // - counts by status, lists by status and the expiry check read the range of one status.
    // A stored field, not an expression over three: LiteDB counts the keys of a range without reading the documents
    // only for an index on one field (counting through an expression index read every certificate: 14-23 s and 1.2 GB
    // at a million). Numbers are letters, digits and '-', partner codes capital letters: all below '~'.
    private const string StatusKeyIndex = "$." + nameof(CertificateDocument.StatusKey);
    // Indexes of earlier versions that no query uses any more; a store that has them drops them at open.
    private static readonly string[] ObsoleteCertificateIndexes = ["PartnerStatus", "Partner", "Direction", "UpdatedAt", "Status", "PartnerStatusNumber"];
    // Certificates a store of an earlier version rewrites per transaction when it first opens, to add their StatusKey.
    private const int StatusKeyMigrationBatch = 1000;
    private static readonly string[] ObsoleteMessageIndexes = ["DirectionStatus", "DirectionStatusPartner", "Partner", "CertificateNumber"];
    private const string AfterEveryNumber = "~";
    // The store's own key order (its collation, see Open), for merging pages read from it.
    private static readonly StringComparer NumberOrder = StringComparer.Create(CultureInfo.InvariantCulture, ignoreCase: true);
    // How many audit entries RecentCertificates reads per certificate it wants: a certificate has a few entries.
    private const int AuditEntriesPerRecentCertificate = 8;

    private readonly LiteDatabase _db;
    private readonly BsonMapper _mapper;
    private readonly LogFlusher _flusher;
    private readonly string _dataPath;
    private readonly string _logPath;
    // Writers take turns through this gate. Durable writes wait for their turn asynchronously: under load
    // many callers queue here, and blocking thread-pool threads on a spinning lock burned a third of the
    // store's CPU on two cores (see bench/RESULTS.md).
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    // The managed thread id inside a write, 0 when none: refuses a write nested in another on the same thread.
    private int _writerThread;
    // Id and hash of the last committed audit entry, so appending one does not query for it every time (it was
    // a tenth of a write's cost); null until read, and forgotten whenever a write rolls back. Guarded by the gate.
    private (long Id, string Hash)? _auditTail;

    // Durable writes wait here for the next group commit, which the store's own writer thread runs (see
    // DrainQueue). A thread of its own, not the thread pool: it holds the gate for as long as writes keep
    // coming, and on two cores a pool thread kept busy that way left the gRPC and TLS work queued behind it
    // (bench/RESULTS.md). Guarded by _queueGate: the queue, whether the writer is draining, whether it stopped.
    private const int MaxGroup = 64;
    // LiteDB copies its write-ahead log into the data file (and fsyncs it) inside whichever commit takes the log
    // past this many pages: that commit takes ~10 ms instead of ~0.2. Checkpointing from the writer thread instead,
    // whenever it found nothing queued, made every fsync slower (the checkpoint's writes to the data file overlapped
    // the flushes of the commits before it): steady p99 21-57 ms against 17-18 ms with LiteDB's own
    // (bench/RESULTS.md). So the store keeps LiteDB's checkpoint, and only counts it.
    internal const int CheckpointPages = 1000;
    private readonly Lock _queueGate = new();
    private readonly List<IQueuedWrite> _queued = [];
    private readonly SemaphoreSlim _drainWake = new(0);
    private Thread? _drainThread;
    private bool _draining;
    private bool _drainStopped;
    private volatile bool _disposed;
    // Group commits, the durable writes they committed and the Stopwatch ticks they took (see Activity).
    private long _groupCommits;
    private long _groupWrites;
    private long _groupTicks;
    private long _checkpoints;
    private long _checkpointTicks;

    private NodeStore(LiteDatabase db, BsonMapper mapper, TimeProvider time, string dataPath, string logPath)
    {
        _db = db;
        _mapper = mapper;
        Time = time;
        _dataPath = dataPath;
        _logPath = logPath;
        _flusher = new LogFlusher(dataPath, logPath);
        Certificates = db.GetCollection<CertificateDocument>(CertificatesCollection);
        Messages = db.GetCollection<PartnerMessage>(MessagesCollection);
        AuditLog = db.GetCollection<AuditEntry>(AuditCollection);
        Sequences = db.GetCollection<SequenceDocument>(SequencesCollection);
        Signers = db.GetCollection<SignerDocument>(SignersCollection);
        Packing.Committed(Signers.FindAll());
    }

    internal TimeProvider Time { get; }
    internal ILiteCollection<CertificateDocument> Certificates { get; }
    internal ILiteCollection<PartnerMessage> Messages { get; }
    internal ILiteCollection<AuditEntry> AuditLog { get; }
    internal ILiteCollection<SequenceDocument> Sequences { get; }
    internal ILiteCollection<SignerDocument> Signers { get; }
    internal EnvelopePacking Packing { get; } = new();

    /// <summary>Opens (or creates) the store file at <paramref name="path"/>, creating its folder; one instance per file per process.</summary>
    public static NodeStore Open(string path, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(time);

        var dataPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(dataPath)!;
        Directory.CreateDirectory(folder);
        // LiteDB's own naming of the write-ahead log: "kpnode.db" -> "kpnode-log.db".
        var logPath = Path.Combine(folder, Path.GetFileNameWithoutExtension(dataPath) + "-log" + Path.GetExtension(dataPath));

        var mapper = StoreMapper.Create();
        var connection = new ConnectionString
        {
            Filename = dataPath,
            Connection = ConnectionType.Direct,
            // Applies when the file is created. Set explicitly so ordering and key uniqueness do
            // not depend on the host's culture; keys compare ignoring case, so "za-1" and "ZA-1"
            // are the same certificate number.
            Collation = new Collation(CultureInfo.InvariantCulture.LCID, CompareOptions.IgnoreCase),
        };
        var db = new LiteDatabase(connection, mapper);
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

    private void EnsureIndexes()
    {
        // DateOfIssue: quarterly statistics. StatusKey: everything by status or partner (see StatusKeyIndex).
        Certificates.EnsureIndex(x => x.DateOfIssue);
        if (!HasIndex(CertificatesCollection, nameof(CertificateDocument.StatusKey)))
            AddStatusKeys();
        Certificates.EnsureIndex(x => x.StatusKey);
        foreach (var obsolete in ObsoleteCertificateIndexes)
            Certificates.DropIndex(obsolete);

        // Delivered and received messages pile up for ever as evidence; the pending outbound ones
        // are the small set the dispatcher polls, reached through this index.
        Messages.EnsureIndex(DirectionStatusPartnerIndexName, DirectionStatusPartnerIndex);
        foreach (var obsolete in ObsoleteMessageIndexes)
            Messages.DropIndex(obsolete);
    }

    private bool HasIndex(string collection, string name) =>
        _db.GetCollection("$indexes").Exists("$.collection = @0 AND $.name = @1", collection, name);

    // A store of an earlier version: its certificates have no StatusKey yet. Each batch commits on its own, so a
    // node stopped halfway starts over at its next start (the index is made only after the last batch).
    private void AddStatusKeys()
    {
        string? after = null;
        while (true)
        {
            var batch = Certificates.Query().Where("$._id > @0", after ?? "").OrderBy(x => x.Id).Limit(StatusKeyMigrationBatch).ToList();
            if (batch.Count == 0)
                return;
            Write(w =>
            {
                foreach (var certificate in batch)
                    w.UpdateCertificate(certificate.ToHeld());
                return 0;
            });
            after = batch[^1].Id;
        }
    }

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

    public long FileSizeBytes => LengthOrZero(_dataPath) + LengthOrZero(_logPath);

    public T Write<T>(Func<IStoreWriter, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfInsideWrite("A store write cannot start inside another store write; do all of it in one.");
        _writeGate.Wait();
        try
        {
            return WriteHoldingGate(work);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private T WriteHoldingGate<T>(Func<IStoreWriter, T> work)
    {
        Volatile.Write(ref _writerThread, Environment.CurrentManagedThreadId);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            var logBefore = LengthOrZero(_logPath);
            if (!_db.BeginTrans())
                throw new InvalidOperationException("A LiteDB transaction is already open on this thread.");

            var writer = new StoreWriter(this);
            T result;
            long commitStarted;
            try
            {
                result = work(writer);
                writer.Close();
                // LiteDB rolls its transaction back itself when one of its operations fails, so if
                // the work caught that and returned, what it wrote before is gone: committing now
                // would store only part of the work.
                if (writer.Failure is { } failure)
                    throw new InvalidOperationException("A store operation failed inside this write, so the transaction was rolled back; the work must not continue past such a failure.", failure);
                commitStarted = Stopwatch.GetTimestamp();
                if (!_db.Commit())
                    throw new InvalidOperationException("The store transaction was lost before it could commit; nothing was stored.");
            }
            catch (Exception original)
            {
                writer.Close();
                _auditTail = null;
                try
                {
                    _db.Rollback();
                }
                catch (Exception rollbackFailure)
                {
                    throw new AggregateException("A store write failed and rolling it back failed too.", original, rollbackFailure);
                }
                throw;
            }

            AfterCommit(writer, logBefore, Stopwatch.GetTimestamp() - commitStarted);
            return result;
        }
        finally
        {
            Volatile.Write(ref _writerThread, 0);
        }
    }

    // What a committed write leaves behind: the audit tail and signers it stored become known committed, and the
    // flusher learns of the commit (if it wrote anything) so that a flush covers it.
    private void AfterCommit(StoreWriter writer, long logBefore, long commitTicks)
    {
        if (writer.AuditTail is { } tail)
            _auditTail = tail;
        Packing.Committed(writer.NewSigners);
        if (writer.Wrote)
        {
            // LiteDB checkpoints inside Commit, copying the log into the data file and
            // truncating the log to zero; a log that did not grow means that happened.
            var checkpointed = LengthOrZero(_logPath) <= logBefore;
            _flusher.Committed(dataFileWritten: checkpointed);
            if (checkpointed)
            {
                // The commit's own work is a small part of that time (about 0.2 ms against ~10).
                Interlocked.Increment(ref _checkpoints);
                Interlocked.Add(ref _checkpointTicks, commitTicks);
            }
        }
    }

    private static ObjectDisposedException ClosedBeforeRun() =>
        new(nameof(NodeStore), "The store was closed before this write could run; nothing of it was stored.");

    /// <summary>The last committed audit entry (0 and the genesis hash for an empty log); only inside a write.</summary>
    internal (long Id, string Hash) CommittedAuditTail()
    {
        if (_auditTail is { } known)
            return known;
        var last = AuditLog.Query().OrderByDescending(x => x.Id).Limit(1).FirstOrDefault();
        return last is null ? (0, AuditEntry.GenesisHash) : (last.Id, last.Hash);
    }

    // The gate is not reentrant, and LiteDB would fold a nested transaction into the outer one.
    private void ThrowIfInsideWrite(string message)
    {
        if (Volatile.Read(ref _writerThread) == Environment.CurrentManagedThreadId)
            throw new InvalidOperationException(message);
    }

    public async Task<T> WriteDurableAsync<T>(Func<IStoreWriter, T> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfInsideWrite("A store write cannot start inside another store write; do all of it in one.");
        ct.ThrowIfCancellationRequested();
        // Refuse before committing: after a failed fsync nothing could be confirmed durable.
        _flusher.ThrowIfFaulted();
        ObjectDisposedException.ThrowIf(_disposed, this);

        var queued = new QueuedWrite<T>(work);
        bool startDrain;
        lock (_queueGate)
        {
            ObjectDisposedException.ThrowIf(_drainStopped, this);
            _queued.Add(queued);
            startDrain = !_draining;
            _draining = true;
            if (_drainThread is null)
            {
                _drainThread = new Thread(WriterThread) { IsBackground = true, Name = "kpnode store writer" };
                _drainThread.Start();
            }
        }

        // Woken once per run of the queue: the writer sets _draining back only when it found the queue empty.
        if (startDrain)
            _drainWake.Release();

        T result;
        // Cancelling while the write waits in the queue takes it out and stores nothing; once its group has run, the commit stands.
        using (ct.Register(() => Dequeue(queued, ct)))
            result = await queued.Outcome.ConfigureAwait(false);
        // Cancelling stops only the wait: the commit stands and a later flush or the close makes it durable.
        // Not FlushAsync: a store closed meanwhile has made this commit durable, and the caller hears so.
        await _flusher.FlushAsync(ct).ConfigureAwait(false);
        return result;
    }

    private void Dequeue<T>(QueuedWrite<T> queued, CancellationToken ct)
    {
        lock (_queueGate)
        {
            if (!_queued.Remove(queued))
                return;
        }

        queued.Cancelled(ct);
    }

    private void WriterThread()
    {
        while (true)
        {
            _drainWake.Wait();
            DrainQueue();
            lock (_queueGate)
            {
                if (_drainStopped)
                    return;
            }
        }
    }

    /// <summary>
    /// Group commit: runs the queued durable writes, up to <see cref="MaxGroup"/> at a time, in one LiteDB
    /// transaction each group. A commit writes every page it dirtied (index pages included) to the log, so
    /// one transaction per certificate wrote about 540 KiB and one per group of 1,000 about 19 KiB per
    /// certificate (bench/RESULTS.md); concurrent deliveries and receipts now share their pages and commit.
    /// </summary>
    private void DrainQueue()
    {
        _writeGate.Wait();
        try
        {
            while (true)
            {
                List<IQueuedWrite> group;
                lock (_queueGate)
                {
                    if (_queued.Count == 0)
                    {
                        _draining = false;
                        return;
                    }

                    group = _queued.Take(MaxGroup).ToList();
                    _queued.RemoveRange(0, group.Count);
                }

                var started = Stopwatch.GetTimestamp();
                RunGroup(group);
                Interlocked.Add(ref _groupTicks, Stopwatch.GetTimestamp() - started);
            }
        }
        catch (Exception unexpected)
        {
            // RunGroup reports failures to the writes themselves; anything escaping it fails what is still queued.
            List<IQueuedWrite> stranded;
            lock (_queueGate)
            {
                stranded = [.. _queued];
                _queued.Clear();
                _draining = false;
            }

            foreach (var queued in stranded)
                queued.Failed(unexpected);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="group"/> as one transaction, in order, as if each ran alone after the ones before
    /// it. When one fails, the transaction rolls back: that write gets its failure (it saw exactly the state it
    /// would have seen alone), the ones before it run again as their own group, and the ones after it go on.
    /// </summary>
    private void RunGroup(List<IQueuedWrite> group)
    {
        var start = 0;
        while (start < group.Count)
        {
            if (_disposed)
            {
                var closed = ClosedBeforeRun();
                foreach (var queued in group.Skip(start))
                    queued.Failed(closed);
                return;
            }

            Volatile.Write(ref _writerThread, Environment.CurrentManagedThreadId);
            var failedAt = -1;
            Exception? failure = null;
            try
            {
                var logBefore = LengthOrZero(_logPath);
                if (!_db.BeginTrans())
                    throw new InvalidOperationException("A LiteDB transaction is already open on this thread.");

                var writer = new StoreWriter(this);
                for (var i = start; i < group.Count && failedAt < 0; i++)
                {
                    try
                    {
                        group[i].Run(writer);
                        if (writer.Failure is { } storeFailure)
                            throw new InvalidOperationException("A store operation failed inside this write, so the transaction was rolled back; the work must not continue past such a failure.", storeFailure);
                    }
                    catch (Exception e)
                    {
                        (failedAt, failure) = (i, e);
                    }
                }

                writer.Close();
                if (failedAt >= 0)
                {
                    _auditTail = null;
                    _db.Rollback();
                    group[failedAt].Failed(failure!);
                    if (failedAt > start)
                        RunGroup(group.GetRange(start, failedAt - start));
                    start = failedAt + 1;
                    continue;
                }

                var commitStarted = Stopwatch.GetTimestamp();
                if (!_db.Commit())
                    throw new InvalidOperationException("The store transaction was lost before it could commit; nothing was stored.");
                AfterCommit(writer, logBefore, Stopwatch.GetTimestamp() - commitStarted);
                Interlocked.Increment(ref _groupCommits);
                Interlocked.Add(ref _groupWrites, group.Count - start);
                foreach (var queued in group.Skip(start))
                    queued.Committed();
                return;
            }
            catch (Exception e)
            {
                // Beginning, committing or rolling back failed: nothing of this group is stored.
                _auditTail = null;
                try
                {
                    _db.Rollback();
                }
                catch (Exception rollbackFailure)
                {
                    e = new AggregateException("A store write failed and rolling it back failed too.", e, rollbackFailure);
                }

                foreach (var queued in group.Skip(start))
                    queued.Failed(e);
                return;
            }
            finally
            {
                Volatile.Write(ref _writerThread, 0);
            }
        }
    }

    public Task FlushAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _flusher.FlushAsync(ct);
    }

    public HeldCertificate? FindCertificate(string number)
    {
        ArgumentNullException.ThrowIfNull(number);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Certificates.FindById(number)?.ToHeld();
    }

    public PartnerMessage? FindMessage(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Unpacked(Messages.FindById(id));
    }

    // A message as the workflow sees it: its envelope and receipt byte for byte as sent or received.
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(message))]
    private PartnerMessage? Unpacked(PartnerMessage? message)
    {
        if (message is null)
            return null;
        message.Envelope = Packing.Unpack(message.Envelope, FindSigner);
        if (message.ReceiptEnvelope is { } receipt)
            message.ReceiptEnvelope = Packing.Unpack(receipt, FindSigner);
        return message;
    }

    private byte[]? FindSigner(string id) => Signers.FindById(id)?.Der;

    public IReadOnlyList<HeldCertificate> ListCertificates(CertificateQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageSize);
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Fixed expression texts with parameters: LiteDB re-parses each new text (see NOTES).
        var terms = new List<string>();
        var args = new List<BsonValue>();
        void Term(string expression, BsonValue value)
        {
            terms.Add($"{expression} = @{args.Count}");
            args.Add(value);
        }

        if (query.Partner is not null)
        {
            // A range of the partner+status+number index per status, each read only as far as one page, then
            // merged in number order: a page costs a few pages of index whatever the partner's history.
            var statuses = query.Status is { } status ? [status] : Enum.GetValues<CertificateStatus>();
            return statuses
                .SelectMany(s => PartnerPage(query.Partner, s, query.Direction, query.After, query.PageSize))
                .OrderBy(c => c.Id, NumberOrder)
                .Take(query.PageSize)
                .Select(c => c.ToHeld())
                .ToList();
        }

        if (query.Status is { } onlyStatus)
        {
            var (from, to) = OneStatus(onlyStatus);
            terms.Add($"{StatusKeyIndex} BETWEEN @{args.Count} AND @{args.Count + 1}");
            args.Add(from);
            args.Add(to);
        }

        if (query.Direction is not null)
            Term("$.Direction", Bson(query.Direction.Value));
        if (query.After is not null)
        {
            terms.Add($"$._id > @{args.Count}");
            args.Add(query.After);
        }

        var found = Certificates.Query();
        if (terms.Count > 0)
            found = found.Where(string.Join(" AND ", terms), args.ToArray());
        return found.OrderBy(x => x.Id).Limit(query.PageSize).ToEnumerable().Select(c => c.ToHeld()).ToList();
    }

    private List<CertificateDocument> PartnerPage(string partner, CertificateStatus status, CertificateDirection? direction, string? after, int pageSize)
    {
        var prefix = CertificateDocument.StatusKeyPrefix(status, partner);
        var page = Certificates.Query().Where($"{StatusKeyIndex} BETWEEN @0 AND @1", prefix + (after ?? ""), prefix + AfterEveryNumber);
        if (direction is not null)
            page = page.Where("$.Direction = @0", Bson(direction.Value));
        if (after is not null)
            page = page.Where("$._id > @0", after);
        return page.OrderBy(StatusKeyIndex).Limit(pageSize).ToList();
    }

    // Every certificate in one status: a range of the StatusKey index.
    private static (string From, string To) OneStatus(CertificateStatus status)
    {
        var prefix = CertificateDocument.StatusKeyPrefix(status);
        return (prefix, prefix + AfterEveryNumber);
    }

    // One direction and status, every partner: a range of the direction+status+partner+id index. Partner codes
    // are capital letters and ids hex digits and '-', all below '~'.
    private static (string From, string To) AllPartners(MessageDirection direction, MessageStatus status) =>
        ($"{direction}/{status}/", $"{direction}/{status}/{AfterEveryNumber}");

    // One direction and status with one partner: the range of that partner's keys, in message id order.
    private static (string From, string To) OnePartner(MessageDirection direction, MessageStatus status, string partner) =>
        ($"{direction}/{status}/{partner}/", $"{direction}/{status}/{partner}/{AfterEveryNumber}");

    public IReadOnlyList<PartnerMessage> DueOutbound(DateTime now, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (from, to) = AllPartners(MessageDirection.Outbound, MessageStatus.Pending);
        return Messages.Query()
            .Where($"{DirectionStatusPartnerIndex} BETWEEN @0 AND @1 AND $.NextAttemptAt <= @2", from, to, Bson(now))
            .OrderBy(x => x.NextAttemptAt)
            .Limit(max)
            .ToEnumerable().Select(Unpacked).ToList()!;
    }

    public DateTime? NextDueAt()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (from, to) = AllPartners(MessageDirection.Outbound, MessageStatus.Pending);
        return Messages.Query()
            .Where($"{DirectionStatusPartnerIndex} BETWEEN @0 AND @1", from, to)
            .OrderBy(x => x.NextAttemptAt)
            .Limit(1)
            .FirstOrDefault()?.NextAttemptAt;
    }

    public IReadOnlyList<PartnerMessage> PendingOutbound(string partner, int max, string? after = null)
    {
        ArgumentNullException.ThrowIfNull(partner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (from, to) = OnePartner(MessageDirection.Outbound, MessageStatus.Pending, partner);
        // The range starts at the key of the message named (if it is still pending, BETWEEN includes it: skipped).
        var query = Messages.Query()
            .Where($"{DirectionStatusPartnerIndex} BETWEEN @0 AND @1", after is null ? from : from + after, to)
            .OrderBy(DirectionStatusPartnerIndex);
        if (after is not null)
            query = query.Where("$._id != @0", after);
        return query.Limit(max).ToEnumerable().Select(Unpacked).ToList()!;
    }

    public OutboxSummary SummarizePending(string partner)
    {
        ArgumentNullException.ThrowIfNull(partner);
        ObjectDisposedException.ThrowIf(_disposed, this);
        const string where = DirectionStatusPartnerIndex + " BETWEEN @0 AND @1";
        var (from, to) = OnePartner(MessageDirection.Outbound, MessageStatus.Pending, partner);
        var count = Messages.Query().Where(where, from, to).Select(DirectionStatusPartnerIndex).ToEnumerable().Count();
        if (count == 0)
            return new OutboxSummary(0, null, null);
        var oldest = Messages.Query().Where(where, from, to).OrderBy(DirectionStatusPartnerIndex).Limit(1).ToEnumerable().First().CreatedAt;
        var next = Messages.Query().Where(where, from, to).OrderBy(x => x.NextAttemptAt).Select(x => x.NextAttemptAt).FirstOrDefault();
        return new OutboxSummary(count, oldest, next);
    }

    public IReadOnlyList<HeldCertificate> RecentCertificates(int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Every change to a certificate is audited under its number, so the newest audit entries name the
        // certificates that changed last (an index on the update time would cost every write two index moves).
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var recent = new List<HeldCertificate>();
        var subjects = AuditLog.Query().OrderByDescending(x => x.Id).Select(x => x.Subject)
            .Limit(max * AuditEntriesPerRecentCertificate).ToEnumerable();
        foreach (var subject in subjects)
        {
            if (seen.Add(subject) && Certificates.FindById(subject) is { } certificate)
            {
                recent.Add(certificate.ToHeld());
                if (recent.Count == max)
                    break;
            }
        }

        return recent;
    }

    public IReadOnlyList<HeldCertificate> ExpiringBefore(DateTime date, CertificateStatus status, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (from, to) = OneStatus(status);
        return Certificates.Query()
            .Where($"{StatusKeyIndex} BETWEEN @0 AND @1 AND $.DateOfExpiry < @2", from, to, Bson(date))
            .OrderBy(x => x.Id)
            .Limit(max)
            .ToEnumerable().Select(c => c.ToHeld()).ToList();
    }

    public IReadOnlyList<HeldCertificate> IssuedBetween(DateTime from, DateTime until)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Certificates.Query()
            .Where("$.DateOfIssue >= @0 AND $.DateOfIssue < @1", Bson(from), Bson(until))
            .OrderBy(x => x.Id)
            .ToEnumerable().Select(c => c.ToHeld()).ToList();
    }

    public IReadOnlyDictionary<CertificateStatus, long> CountCertificatesByStatus()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var counts = new Dictionary<CertificateStatus, long>();
        // Selecting only the index key lets LiteDB count index keys; LongCount read every document
        // (a minute for `kpnode status` at a million certificates, see bench/RESULTS.md).
        foreach (var status in Enum.GetValues<CertificateStatus>())
        {
            var (from, to) = OneStatus(status);
            counts[status] = Certificates.Query().Where($"{StatusKeyIndex} BETWEEN @0 AND @1", from, to)
                .Select(StatusKeyIndex).ToEnumerable().LongCount();
        }
        return counts;
    }

    public IReadOnlyList<AuditEntry> ReadAudit(long fromId, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return AuditLog.Query()
            .Where("$._id >= @0", fromId)
            .OrderBy(x => x.Id)
            .Limit(max)
            .ToList();
    }

    public AuditChainCheck VerifyAuditChain()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        long expectedId = 1;
        var previousHash = AuditEntry.GenesisHash;
        long checkedCount = 0;
        foreach (var entry in AuditLog.Query().OrderBy(x => x.Id).ToEnumerable())
        {
            if (entry.Id != expectedId)
            {
                return AuditChainCheck.Broken(checkedCount, expectedId, AuditChainFault.Gap,
                    $"Audit entry {expectedId} is missing: the entry after {expectedId - 1} is {entry.Id}.");
            }
            if (!string.Equals(entry.PreviousHash, previousHash, StringComparison.Ordinal))
            {
                return AuditChainCheck.Broken(checkedCount, entry.Id, AuditChainFault.LinkMismatch,
                    $"Audit entry {entry.Id} links to {entry.PreviousHash}, but entry {entry.Id - 1} has hash {previousHash}.");
            }
            var recomputed = entry.ComputeHash();
            if (!string.Equals(entry.Hash, recomputed, StringComparison.Ordinal))
            {
                return AuditChainCheck.Broken(checkedCount, entry.Id, AuditChainFault.HashMismatch,
                    $"Audit entry {entry.Id} stores hash {entry.Hash}, but its content hashes to {recomputed}: it was changed after it was written.");
            }

            checkedCount++;
            expectedId++;
            previousHash = entry.Hash;
        }
        return AuditChainCheck.Intact(checkedCount);
    }

    /// <summary>Closes the database, which checkpoints its log into the data file and fsyncs it; pending flushes then complete.</summary>
    public void Dispose()
    {
        ThrowIfInsideWrite("The store cannot be disposed from inside a store write.");
        Exception? failure = null;
        _writeGate.Wait();
        try
        {
            if (_disposed)
                return;
            _disposed = true;

            try
            {
                _db.Dispose();
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
