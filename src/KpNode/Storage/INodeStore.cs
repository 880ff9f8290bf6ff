using KpNode.Domain;

namespace KpNode.Storage;

/// <summary>The node's durable state as the workflow sees it: certificates, inbox/outbox messages, audit log and sequences.</summary>
internal interface INodeStore : IStoreReader
{
    /// <summary>
    /// Runs <paramref name="work"/> as one transaction: everything it writes is stored, or nothing
    /// is (an exception rolls back and propagates). Writers take turns. The transaction is bound to
    /// the calling thread, so <paramref name="work"/> must not await.
    /// </summary>
    T Write<T>(Func<IStoreWriter, T> work);

    /// <summary>
    /// <see cref="Write{T}"/>, then waits until the commit is on stable storage (fsync), so the
    /// caller may acknowledge it to a partner or user. Concurrent callers share one transaction
    /// (group commit) and one fsync; each still succeeds or fails on its own, as if it ran alone
    /// after the writes queued before it. So that a group can be retried without a write that
    /// failed, <paramref name="work"/> may run more than once: it must act only through the writer.
    /// </summary>
    Task<T> WriteDurableAsync<T>(Func<IStoreWriter, T> work, CancellationToken ct);

    /// <summary>Completes once everything committed before the call is on stable storage.</summary>
    Task FlushAsync(CancellationToken ct = default);

    /// <summary>Walks the whole audit log, recomputing every hash and link.</summary>
    AuditChainCheck VerifyAuditChain();

    /// <summary>The id of the audit log's last committed entry, from the index alone; 0 when the log is empty.</summary>
    long LastAuditId();

    /// <summary>
    /// Completes once a commit has appended an audit entry after <paramref name="id"/> (at once if one of this process
    /// already has): read the log from there then. A commit before this call that the caller has not read is the
    /// caller's to read first.
    /// </summary>
    Task WaitForAuditAfterAsync(long id, CancellationToken ct);

    /// <summary>
    /// Copies the whole store, as of one instant, into a new file at <paramref name="targetPath"/> while writes go on;
    /// blocks the calling thread until the copy is durable.
    /// </summary>
    BackupCut Backup(string targetPath, CancellationToken ct);

    /// <summary>What the store's group commits and fsyncs have done since it opened.</summary>
    StoreActivity Activity { get; }

    /// <summary>Durable writes waiting now for their group commit (the writer is busy with the group or write before).</summary>
    int QueuedWrites { get; }

    /// <summary>Bytes on disk: the data file plus its write-ahead log.</summary>
    long FileSizeBytes { get; }

    /// <summary>A partner's backlog in figures, without loading the envelopes: for status and metrics.</summary>
    OutboxSummary SummarizePending(string partner);

    /// <summary>The certificates changed most recently, newest first.</summary>
    IReadOnlyList<HeldCertificate> RecentCertificates(int max);

    /// <summary>Each damaged record a read met (a list leaves it out and goes on), on the reading thread; the same record may come again.</summary>
    event Action<DamagedRecordException>? DamageFound;

    /// <summary>For the store check: up to <paramref name="max"/> certificate numbers after <paramref name="after"/> (null: from the first), from the index alone.</summary>
    IReadOnlyList<string> CertificateNumbersAfter(string? after, int max);

    /// <summary>For the store check: up to <paramref name="max"/> message ids after <paramref name="after"/> (null: from the first), from the index alone.</summary>
    IReadOnlyList<string> MessageIdsAfter(string? after, int max);

    /// <summary>For the store check: up to <paramref name="max"/> authenticity statement ids after <paramref name="after"/> (null: from the first), from the index alone.</summary>
    IReadOnlyList<string> AuthenticityStatementIdsAfter(string? after, int max);

    /// <summary>For the store check: one kept authenticity statement by its id, or null.</summary>
    StoredAuthenticityStatement? FindAuthenticityStatement(string id);
}

/// <summary>A partner's pending outbound messages in figures: how many, the oldest, and the next attempt due.</summary>
internal sealed record OutboxSummary(int Count, DateTime? OldestCreatedAt, DateTime? NextAttemptAt);

/// <summary>Queries the workflow and operators need; also available inside a write, where they see its uncommitted changes.</summary>
internal interface IStoreReader
{
    HeldCertificate? FindCertificate(string number);

    PartnerMessage? FindMessage(string id);

    /// <summary>One page ordered by certificate number, starting after <see cref="CertificateQuery.After"/>.</summary>
    IReadOnlyList<HeldCertificate> ListCertificates(CertificateQuery query);

    /// <summary>Pending outbound messages whose next attempt is due at <paramref name="now"/>, earliest first.</summary>
    IReadOnlyList<PartnerMessage> DueOutbound(DateTime now, int max);

    /// <summary>The earliest next attempt among pending outbound messages, or null when nothing is pending.</summary>
    DateTime? NextDueAt();

    /// <summary>
    /// A partner's pending outbound messages, oldest first: its backlog. With <paramref name="after"/> (a message id),
    /// only those created after that message, to read the backlog a page at a time.
    /// </summary>
    IReadOnlyList<PartnerMessage> PendingOutbound(string partner, int max, string? after = null);

    /// <summary>Every status with its count, zero included.</summary>
    IReadOnlyDictionary<CertificateStatus, long> CountCertificatesByStatus();

    /// <summary>The certificates one of our offices issued (numbered with its prefix), by status; statuses with none left out.</summary>
    IReadOnlyDictionary<CertificateStatus, long> CountIssuedByOffice(string office, string numberPrefix);

    /// <summary>Audit entries from id <paramref name="fromId"/> on, in order.</summary>
    IReadOnlyList<AuditEntry> ReadAudit(long fromId, int max);

    /// <summary>Certificates in <paramref name="status"/> whose date of expiry is before <paramref name="date"/>, by number.</summary>
    IReadOnlyList<HeldCertificate> ExpiringBefore(DateTime date, CertificateStatus status, int max);

    /// <summary>Up to <paramref name="max"/> certificates (either direction) that carry this seal number, by number.</summary>
    IReadOnlyList<HeldCertificate> SealedWith(string sealNumber, int max);

    /// <summary>Every certificate whose date of issue is in [<paramref name="from"/>, <paramref name="until"/>), for statistics.</summary>
    IReadOnlyList<HeldCertificate> IssuedBetween(DateTime from, DateTime until);

    /// <summary>The revocation list held for <paramref name="participant"/> (ours or a partner's), or null.</summary>
    StoredRevocationList? FindRevocationList(string participant);

    /// <summary>Every revocation list held, one per participant.</summary>
    IReadOnlyList<StoredRevocationList> AllRevocationLists();

    /// <summary>What the node keeps of its history with <paramref name="partner"/>, or null before the first exchange.</summary>
    StoredPartnerHistory? FindPartnerHistory(string partner);

    /// <summary>Every message exchanged with <paramref name="partner"/> that has its receipt, either way: the shared history.</summary>
    IReadOnlyList<PartnerMessage> SharedMessages(string partner);

    /// <summary>Every authenticity statement kept about certificate <paramref name="number"/>, signed or received, oldest first.</summary>
    IReadOnlyList<StoredAuthenticityStatement> AuthenticityStatementsAbout(string number);

    /// <summary>Every authenticity statement signed or received in [<paramref name="from"/>, <paramref name="until"/>), oldest first.</summary>
    IReadOnlyList<StoredAuthenticityStatement> AuthenticityStatementsBetween(DateTime from, DateTime until);

    /// <summary>One four-eyes approval by its id (AP-000012), or null.</summary>
    StoredApproval? FindApproval(string id);

    /// <summary>The pending approvals, oldest first; with <paramref name="includeDecided"/> also the newest decided ones.</summary>
    IReadOnlyList<StoredApproval> ListApprovals(bool includeDecided);
}

/// <summary>What a transaction started by <see cref="INodeStore.Write{T}"/> may do; valid only until that call returns.</summary>
internal interface IStoreWriter : IStoreReader
{
    /// <exception cref="DuplicateKeyException">A certificate with that number is already stored.</exception>
    void InsertCertificate(HeldCertificate certificate);

    /// <exception cref="KeyNotFoundException">No certificate with that number is stored.</exception>
    void UpdateCertificate(HeldCertificate certificate);

    /// <exception cref="DuplicateKeyException">A message with that id is already stored.</exception>
    void InsertMessage(PartnerMessage message);

    /// <exception cref="KeyNotFoundException">No message with that id is stored.</exception>
    void UpdateMessage(PartnerMessage message);

    /// <summary>Appends an entry to the audit chain, timestamped by the store's clock; it commits with the rest of the transaction.</summary>
    AuditEntry Audit(string actor, string action, string subject, string detail);

    /// <summary>Increments the counter named <paramref name="key"/> and returns the new value; the first call returns 1.</summary>
    long NextSequence(string key);

    /// <summary>Raises the counter named <paramref name="key"/> to at least <paramref name="value"/>, so that the next number follows it.</summary>
    void RaiseSequence(string key, long value);

    /// <summary>Keeps <paramref name="list"/> as its participant's current revocation list, replacing the one held.</summary>
    void PutRevocationList(StoredRevocationList list);

    /// <summary>The audit log's last entry as this write sees it: its id and hash (0 and the genesis hash when empty).</summary>
    (long Sequence, string Hash) AuditHead();

    /// <summary>Replaces what the node keeps of its history with the partner.</summary>
    void PutPartnerHistory(StoredPartnerHistory history);

    /// <summary>Keeps a signed authenticity statement as evidence, its envelope byte for byte.</summary>
    /// <exception cref="DuplicateKeyException">A statement with that id is already stored.</exception>
    void InsertAuthenticityStatement(StoredAuthenticityStatement statement);

    /// <summary>Keeps a new four-eyes approval, or its decision (the same id again).</summary>
    void PutApproval(StoredApproval approval);
}
