using KpNode.Domain;
using LiteDB;

namespace KpNode.Storage;

/// <summary>The handle a write's work uses; every call runs inside the store's open transaction.</summary>
internal sealed class StoreWriter(NodeStore store, NodeStore.OpenFile file) : IStoreWriter
{
    private const int LiteDbDuplicateKey = 110; // LiteException.INDEX_DUPLICATE_KEY
    private bool _closed;
    // Keys this write looked up and found missing (ordinal: a conservative subset of the store's case-insensitive
    // keys). Nothing else writes while this write holds the store, so inserting one of them needs no second lookup;
    // an insert takes its key out again.
    private readonly HashSet<(string Collection, string Key)> _missing = [];

    /// <summary>Something was inserted or updated, so the commit writes to the log.</summary>
    public bool Wrote { get; private set; }

    /// <summary>A store operation failed; LiteDB may already have rolled the transaction back.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>The last audit entry this write appended, which becomes the store's tail if it commits.</summary>
    public (long Id, string Hash)? AuditTail { get; private set; }

    /// <summary>Signer certificates this write stored, which become known committed if it commits.</summary>
    public List<SignerDocument> NewSigners { get; } = [];

    public void Close() => _closed = true;

    public void InsertCertificate(HeldCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentException.ThrowIfNullOrWhiteSpace(certificate.Number, nameof(certificate) + "." + nameof(certificate.Number));
        Insert(file.Certificates, NodeStore.CertificatesCollection, certificate.Number, CertificateDocument.From(certificate));
    }

    public void UpdateCertificate(HeldCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Update(file.Certificates, NodeStore.CertificatesCollection, certificate.Number, CertificateDocument.From(certificate));
    }

    public void InsertMessage(PartnerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrWhiteSpace(message.Id, nameof(message) + "." + nameof(message.Id));
        Insert(file.Messages, NodeStore.MessagesCollection, message.Id, Packed(message));
    }

    public void UpdateMessage(PartnerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Update(file.Messages, NodeStore.MessagesCollection, message.Id, Packed(message));
    }

    // The stored form of a message: a copy whose envelopes do not repeat their signers' certificates.
    private PartnerMessage Packed(PartnerMessage message)
    {
        EnsureOpen();
        var stored = message.Copy();
        stored.Envelope = store.Packing.Pack(message.Envelope, StoreSigner);
        if (message.ReceiptEnvelope is { } receipt)
            stored.ReceiptEnvelope = store.Packing.Pack(receipt, StoreSigner);
        return stored;
    }

    private void StoreSigner(SignerDocument signer)
    {
        if (NewSigners.Any(s => s.Id == signer.Id))
            return;
        Engine(() => file.Signers.Upsert(signer));
        NewSigners.Add(signer);
        Wrote = true;
    }

    public AuditEntry Audit(string actor, string action, string subject, string detail)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(detail);
        EnsureOpen();

        return Engine(() =>
        {
            // Writers take turns through the store's gate, so the tail cannot change under us.
            var (lastId, lastHash) = AuditTail ?? store.CommittedAuditTail();
            var entry = new AuditEntry
            {
                Id = lastId + 1,
                At = StoreMapper.ToStoredPrecision(store.Time.GetUtcNow().UtcDateTime),
                Actor = actor,
                Action = action,
                Subject = subject,
                Detail = detail,
                PreviousHash = lastHash,
            };
            entry.Hash = entry.ComputeHash();
            file.AuditLog.Insert(entry);
            Wrote = true;
            AuditTail = (entry.Id, entry.Hash);
            return entry;
        });
    }

    public long NextSequence(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        EnsureOpen();

        return Engine(() =>
        {
            var sequence = store.Reading($"sequence {key}", () => file.Sequences.FindById(key)) ?? new SequenceDocument { Id = key };
            sequence.Value++;
            file.Sequences.Upsert(sequence);
            Wrote = true;
            return sequence.Value;
        });
    }

    public void RaiseSequence(string key, long value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        EnsureOpen();

        Engine(() =>
        {
            var sequence = store.Reading($"sequence {key}", () => file.Sequences.FindById(key)) ?? new SequenceDocument { Id = key };
            if (sequence.Value >= value)
                return 0;
            sequence.Value = value;
            file.Sequences.Upsert(sequence);
            Wrote = true;
            return 0;
        });
    }

    public void PutRevocationList(StoredRevocationList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        EnsureOpen();
        Engine(() => file.RevocationLists.Upsert(RevocationListDocument.From(list)));
        Wrote = true;
    }

    public StoredRevocationList? FindRevocationList(string participant) => Read(() => store.FindRevocationList(participant));

    public (long Sequence, string Hash) AuditHead()
    {
        EnsureOpen();
        return Engine(() => AuditTail ?? store.CommittedAuditTail());
    }

    public void PutPartnerHistory(StoredPartnerHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        EnsureOpen();
        Engine(() => file.PartnerHistories.Upsert(PartnerHistoryDocument.From(history)));
        Wrote = true;
    }

    public void InsertAuthenticityStatement(StoredAuthenticityStatement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentException.ThrowIfNullOrWhiteSpace(statement.Id, nameof(statement) + "." + nameof(statement.Id));
        EnsureOpen();
        var document = AuthenticityStatementDocument.From(statement, store.Packing.Pack(statement.Envelope, StoreSigner));
        Insert(file.AuthenticityStatements, NodeStore.AuthenticityStatementsCollection, statement.Id, document);
    }

    public void PutApproval(StoredApproval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentException.ThrowIfNullOrWhiteSpace(approval.Id, nameof(approval) + "." + nameof(approval.Id));
        EnsureOpen();
        Engine(() => file.Approvals.Upsert(ApprovalDocument.From(approval)));
        Wrote = true;
    }

    public StoredApproval? FindApproval(string id) => Read(() => store.FindApproval(id));

    public IReadOnlyList<StoredApproval> ListApprovals(bool includeDecided) => Read(() => store.ListApprovals(includeDecided));

    public IReadOnlyList<StoredAuthenticityStatement> AuthenticityStatementsAbout(string number) => Read(() => store.AuthenticityStatementsAbout(number));

    public IReadOnlyList<StoredAuthenticityStatement> AuthenticityStatementsBetween(DateTime from, DateTime until) =>
        Read(() => store.AuthenticityStatementsBetween(from, until));

    public StoredPartnerHistory? FindPartnerHistory(string partner) => Read(() => store.FindPartnerHistory(partner));

    public IReadOnlyList<PartnerMessage> SharedMessages(string partner) => Read(() => store.SharedMessages(partner));

    public IReadOnlyList<StoredRevocationList> AllRevocationLists() => Read(store.AllRevocationLists);

    public HeldCertificate? FindCertificate(string number) =>
        NoteIfMissing(NodeStore.CertificatesCollection, number, Read(() => store.FindCertificate(number)));

    public PartnerMessage? FindMessage(string id) => NoteIfMissing(NodeStore.MessagesCollection, id, Read(() => store.FindMessage(id)));

    private T? NoteIfMissing<T>(string collectionName, string key, T? found) where T : class
    {
        if (found is null)
            _missing.Add((collectionName, key));
        return found;
    }

    public IReadOnlyList<HeldCertificate> ListCertificates(CertificateQuery query) => Read(() => store.ListCertificates(query));

    public IReadOnlyList<PartnerMessage> DueOutbound(DateTime now, int max) => Read(() => store.DueOutbound(now, max));

    public DateTime? NextDueAt() => Read(store.NextDueAt);

    public IReadOnlyList<PartnerMessage> PendingOutbound(string partner, int max, string? after = null) => Read(() => store.PendingOutbound(partner, max, after));

    public IReadOnlyDictionary<CertificateStatus, long> CountCertificatesByStatus() => Read(store.CountCertificatesByStatus);

    public IReadOnlyDictionary<CertificateStatus, long> CountIssuedByOffice(string office, string numberPrefix) =>
        Read(() => store.CountIssuedByOffice(office, numberPrefix));

    public IReadOnlyList<AuditEntry> ReadAudit(long fromId, int max) => Read(() => store.ReadAudit(fromId, max));

    public IReadOnlyList<HeldCertificate> ExpiringBefore(DateTime date, CertificateStatus status, int max) =>
        Read(() => store.ExpiringBefore(date, status, max));

    public IReadOnlyList<HeldCertificate> SealedWith(string sealNumber, int max) => Read(() => store.SealedWith(sealNumber, max));

    public IReadOnlyList<HeldCertificate> IssuedBetween(DateTime from, DateTime until) => Read(() => store.IssuedBetween(from, until));

    private void Insert<TDocument>(ILiteCollection<TDocument> collection, string collectionName, string key, TDocument document)
    {
        EnsureOpen();
        // Checked first so the transaction stays intact: LiteDB aborts the whole transaction when
        // its unique index refuses an insert, which would leave nothing for the work to recover.
        // A key this write already found missing is still missing: one lookup less for each insert the work checked
        // first (an issued number, a received certificate, a delivered message).
        if (!_missing.Remove((collectionName, key)) && Engine(() => Exists(collection, key)))
            throw new DuplicateKeyException(collectionName, key);

        try
        {
            Engine(() => collection.Insert(document));
        }
        catch (LiteException ex) when (ex.ErrorCode == LiteDbDuplicateKey)
        {
            throw new DuplicateKeyException(collectionName, key, ex);
        }
        Wrote = true;
    }

    // From the primary index alone: a damaged document under the key is still a duplicate, and is not read.
    private static bool Exists<TDocument>(ILiteCollection<TDocument> collection, string key) =>
        collection.Query().Where("$._id = @0", key).Select("$._id").Limit(1).ToEnumerable().Any();

    private void Update<TDocument>(ILiteCollection<TDocument> collection, string collectionName, string key, TDocument document)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        EnsureOpen();
        if (!Engine(() => collection.Update(document)))
            throw new KeyNotFoundException($"'{key}' is not stored in {collectionName}, so it cannot be updated.");
        Wrote = true;
    }

    private T Read<T>(Func<T> read)
    {
        EnsureOpen();
        return Engine(read);
    }

    // Remembers a failed store operation: LiteDB rolls its transaction back when anything throws
    // inside one of its operations (a mapper error too), so the write must not commit even if the
    // work catches the exception and carries on.
    private T Engine<T>(Func<T> operation)
    {
        if (Failure is not null)
            throw new InvalidOperationException("An earlier store operation in this write failed and rolled the transaction back.", Failure);
        try
        {
            return operation();
        }
        catch (Exception ex)
        {
            Failure = ex;
            throw;
        }
    }

    private void EnsureOpen()
    {
        if (_closed)
            throw new ObjectDisposedException(nameof(IStoreWriter), "This store writer belongs to a write that has finished; use the writer only inside the work passed to Write.");
    }
}
