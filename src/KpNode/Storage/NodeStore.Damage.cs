using System.Globalization;
using KpNode.Domain;
using LiteDB;

namespace KpNode.Storage;

/// <summary>
/// One damaged record refused, not the whole store: a read that LiteDB or the mapper cannot make sense of becomes a
/// <see cref="DamagedRecordException"/> naming the record; a list that meets one is read again a record at a time,
/// the damaged ones left out and named (<see cref="PartialList{T}"/>); and when LiteDB closes its engine on such a
/// record (its consistency checks do: every later call would fail), the store opens the file again.
/// </summary>
internal sealed partial class NodeStore
{
    private const int LiteDbDatafileState = 999; // LiteException.INVALID_DATAFILE_STATE: LiteDB closes its engine on it
    private const int LiteDbLockTimeout = 120;
    private const int LiteDbInvalidTransactionState = 126;
    private const int LiteDbEngineDisposed = 137;
    private const int LiteDbDuplicateKey = 110;
    private const int OneByOneBatch = 500;
    private readonly Lock _reopenGate = new();
    // Reads share it; the read again after LiteDB closed its engine holds it alone, so that what it meets is its own.
    private readonly ReaderWriterLockSlim _reads = new(LockRecursionPolicy.SupportsRecursion);
    private long _reopens;

    /// <summary>Each damaged record a read of the store met, as it met it (the same record may come again); any thread.</summary>
    public event Action<DamagedRecordException>? DamageFound;

    /// <summary>How often the store opened its file again after LiteDB closed it on a damaged record.</summary>
    internal long Reopens => Interlocked.Read(ref _reopens);

    /// <summary>The file as LiteDB has it open, and its collections: replaced as a whole when the store opens the file again.</summary>
    internal sealed class OpenFile(LiteDatabase db)
    {
        public LiteDatabase Db { get; } = db;
        public ILiteCollection<CertificateDocument> Certificates { get; } = db.GetCollection<CertificateDocument>(CertificatesCollection);
        public ILiteCollection<PartnerMessage> Messages { get; } = db.GetCollection<PartnerMessage>(MessagesCollection);
        public ILiteCollection<AuditEntry> AuditLog { get; } = db.GetCollection<AuditEntry>(AuditCollection);
        public ILiteCollection<SequenceDocument> Sequences { get; } = db.GetCollection<SequenceDocument>(SequencesCollection);
        public ILiteCollection<SignerDocument> Signers { get; } = db.GetCollection<SignerDocument>(SignersCollection);
        public ILiteCollection<RevocationListDocument> RevocationLists { get; } = db.GetCollection<RevocationListDocument>(RevocationListsCollection);
        public ILiteCollection<PartnerHistoryDocument> PartnerHistories { get; } = db.GetCollection<PartnerHistoryDocument>(PartnerHistoriesCollection);
        public ILiteCollection<AuthenticityStatementDocument> AuthenticityStatements { get; } =
            db.GetCollection<AuthenticityStatementDocument>(AuthenticityStatementsCollection);
        public ILiteCollection<ApprovalDocument> Approvals { get; } = db.GetCollection<ApprovalDocument>(ApprovalsCollection);
    }

    internal OpenFile CurrentFile => _file;

    private bool InsideWrite => Volatile.Read(ref _writerThread) == Environment.CurrentManagedThreadId;

    /// <summary>
    /// Runs one read of <paramref name="record"/>; what LiteDB or the mapper cannot read becomes a
    /// <see cref="DamagedRecordException"/> naming it. When LiteDB closed its engine during the read, the store opens
    /// the file again and reads once more with no other read running: only if that fails too is the record damaged
    /// (another read may have closed the engine under this one).
    /// </summary>
    internal T Reading<T>(string record, Func<T> read, bool report = true)
    {
        var file = _file;
        var nested = _reads.IsReadLockHeld || _reads.IsWriteLockHeld;
        if (!nested)
            _reads.EnterReadLock();
        try
        {
            return read();
        }
        catch (Exception e) when (!nested && ClosedEngine(e))
        {
            // Read again below, once this read lock is let go.
        }
        catch (Exception e) when (IsDamage(e))
        {
            throw Damaged(record, e, report);
        }
        finally
        {
            if (!nested)
                _reads.ExitReadLock();
        }

        return AloneAfterClose(record, read, file, report);
    }

    private T AloneAfterClose<T>(string record, Func<T> read, OpenFile closed, bool report)
    {
        _reads.EnterWriteLock();
        try
        {
            Reopen(closed);
            T again;
            try
            {
                again = read();
            }
            catch (Exception e) when (e is LiteException { ErrorCode: LiteDbDatafileState })
            {
                Reopen(_file);
                throw Damaged(record, e, report);
            }
            catch (Exception e) when (IsDamage(e))
            {
                throw Damaged(record, e, report);
            }

            // The write's transaction went with the closed engine: what it read here is outside it.
            return InsideWrite
                ? throw new InvalidOperationException("The store opened its file again during this write (a read met a damaged record); nothing of the write was stored, try it again.")
                : again;
        }
        finally
        {
            _reads.ExitWriteLock();
        }
    }

    // LiteDB closes its engine on its consistency checks and on I/O errors; a read then running on it sees the file closed.
    private bool ClosedEngine(Exception e) =>
        e is LiteException { ErrorCode: LiteDbDatafileState } or IOException || (e is ObjectDisposedException && !_disposed);

    // What a read of a damaged page or document throws, from LiteDB's pages and BSON reader or from the mapper; not
    // the store's own refusals (closed, busy, duplicate) nor a cancellation.
    private static bool IsDamage(Exception e) => e switch
    {
        DamagedRecordException or ObjectDisposedException or OperationCanceledException or DuplicateKeyException => false,
        LiteException l => l.ErrorCode is not (LiteDbLockTimeout or LiteDbInvalidTransactionState or LiteDbEngineDisposed or LiteDbDuplicateKey),
        NotSupportedException or InvalidCastException or FormatException or IndexOutOfRangeException or ArgumentException
            or OverflowException or EndOfStreamException or InvalidDataException or NullReferenceException or KeyNotFoundException => true,
        _ => false,
    };

    private DamagedRecordException Damaged(string record, Exception e, bool report)
    {
        var damage = new DamagedRecordException(record, $"it cannot be read ({e.GetType().Name}: {e.Message})", e);
        if (report)
            DamageFound?.Invoke(damage);
        return damage;
    }

    // Opens the file again after LiteDB closed its engine on it; only the first of the reads that saw it closed does.
    internal bool Reopen(OpenFile failed)
    {
        lock (_reopenGate)
        {
            if (_file != failed || _disposed)
                return false;
            try
            {
                // LiteDB closed it already; this only lets go of what is left.
                failed.Db.Dispose();
            }
            catch (Exception e) when (e is LiteException or IOException or ObjectDisposedException)
            {
                // Closed: nothing more to let go of.
            }

            _file = new OpenFile(OpenDatabase(_dataPath, _mapper));
            Interlocked.Increment(ref _reopens);
            return true;
        }
    }

    /// <summary>
    /// <paramref name="query"/>, or when it meets a damaged record, <paramref name="oneByOne"/>: the same answer read a
    /// record at a time. Inside a write whose file was reopened meanwhile, nothing more is read (the write failed).
    /// </summary>
    private IReadOnlyList<T> OrOneByOne<T>(string what, Func<IReadOnlyList<T>> query, Func<IReadOnlyList<T>> oneByOne)
    {
        var file = _file;
        try
        {
            return Reading(what, query, report: false);
        }
        catch (DamagedRecordException) when (!InsideWrite || _file == file)
        {
            return oneByOne();
        }
    }

    /// <summary>
    /// Certificates that <paramref name="keep"/> accepts, in number order from <paramref name="after"/>, read one at a time
    /// by the primary index: a damaged one is named in the answer's skipped records and left out.
    /// </summary>
    private PartialList<HeldCertificate> CertificatesOneByOne(Func<CertificateDocument, bool> keep, bool descending, string? after, int max)
    {
        var found = new List<HeldCertificate>();
        var skipped = new List<string>();
        while (found.Count < max)
        {
            var keys = Reading("the certificates' index", () => KeysBeyond(Certificates, after, OneByOneBatch, descending));
            foreach (var key in keys)
            {
                try
                {
                    var held = Reading($"certificate {key}", () => Certificates.FindById(key) is { } d && keep(d) ? d.ToHeld() : null);
                    if (held is not null)
                        found.Add(held);
                }
                catch (DamagedRecordException damage)
                {
                    skipped.Add(damage.Record);
                }

                if (found.Count == max)
                    break;
            }

            if (keys.Count < OneByOneBatch)
                break;
            after = keys[^1];
        }

        return new PartialList<HeldCertificate>(found, skipped);
    }

    // Up to max keys after (or, descending, before) a key, from the primary index alone.
    private static List<string> KeysBeyond<T>(ILiteCollection<T> collection, string? after, int max, bool descending)
    {
        var query = collection.Query();
        if (after is not null)
            query = query.Where(descending ? "$._id < @0" : "$._id > @0", after);
        query = descending ? query.OrderByDescending("$._id") : query.OrderBy("$._id");
        return query.Select("$._id").Limit(max).ToEnumerable().Select(d => d["_id"].AsString).ToList();
    }

    // The filters of a certificate listing, applied to one document (as the queries in NodeStore.Certificates do).
    private static Func<CertificateDocument, bool> Matching(CertificateQuery q) => d =>
        (q.Status is not { } status || d.Status == status)
        && (q.Partner is null || NumberOrder.Equals(d.Partner, q.Partner))
        && (q.Direction is not { } direction || d.Direction == direction)
        && (q.NumberPrefix is null || d.Id.StartsWith(q.NumberPrefix, true, CultureInfo.InvariantCulture))
        && (q.Exporter is null || NumberOrder.Equals(d.ExportingParticipant, q.Exporter))
        && (q.Importer is null || NumberOrder.Equals(d.ImportingParticipant, q.Importer))
        && (q.SealNumber is null || NumberOrder.Equals(d.SealNumber, q.SealNumber))
        && (q.Office is null || d.Direction == CertificateDirection.Inbound || d.IssuingOffice == q.Office)
        && (q.IssuedFrom is not { } from || d.DateOfIssue >= from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc))
        && (q.IssuedTo is not { } to || d.DateOfIssue <= to.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));

    // The signer certificates packed envelopes refer to, read one at a time so that a damaged one does not stop the
    // store opening: a message that needs it is then refused as damaged when read.
    private List<SignerDocument> ReadableSigners()
    {
        var signers = new List<SignerDocument>();
        string? after = null;
        while (true)
        {
            var keys = Reading("the signers' index", () => KeysBeyond(Signers, after, OneByOneBatch, descending: false));
            foreach (var key in keys)
            {
                try
                {
                    if (Reading($"signer certificate {key}", () => Signers.FindById(key)) is { } signer)
                        signers.Add(signer);
                }
                catch (DamagedRecordException)
                {
                    // Named again by each message that refers to it.
                }
            }

            if (keys.Count < OneByOneBatch)
                return signers;
            after = keys[^1];
        }
    }
}

/// <summary>A list read from the store that left out damaged records; <see cref="Skipped"/> names them.</summary>
internal sealed class PartialList<T>(List<T> items, IReadOnlyList<string> skipped) : IReadOnlyList<T>
{
    public IReadOnlyList<string> Skipped { get; } = skipped;

    public int Count => items.Count;

    public T this[int index] => items[index];

    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The damaged records <paramref name="list"/> left out (none when it is a whole list).</summary>
    public static IReadOnlyList<string> SkippedIn(IEnumerable<T> list) => list is PartialList<T> partial ? partial.Skipped : [];
}
