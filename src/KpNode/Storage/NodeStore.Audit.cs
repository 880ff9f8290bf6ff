
namespace KpNode.Storage;

/// <summary>Reading and checking the audit log (entries are appended inside writes, by the store writer), and waiting for new entries.</summary>
internal sealed partial class NodeStore
{
    // Completed and replaced by each commit that appended audit entries: what a reader tailing the log waits on.
    private TaskCompletionSource _auditCommitted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // The last entry a commit of this process appended (0 before the first); set before _auditCommitted is replaced.
    private long _lastCommittedAuditId;

    public long LastAuditId()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading("the audit log's index", () => AuditLog.Query().OrderByDescending("$._id").Select("$._id").Limit(1)
            .ToEnumerable().Select(d => d["_id"].AsInt64).FirstOrDefault());
    }

    public Task WaitForAuditAfterAsync(long id, CancellationToken ct)
    {
        // The signal before the id: a commit between the two reads has set the id, one after them completes this signal.
        var committed = Volatile.Read(ref _auditCommitted);
        return Interlocked.Read(ref _lastCommittedAuditId) > id ? Task.CompletedTask : committed.Task.WaitAsync(ct);
    }

    // After the commit, on the writing thread: wakes every reader waiting for an entry past the one it last read.
    private void AuditCommitted(long lastId)
    {
        Interlocked.Exchange(ref _lastCommittedAuditId, lastId);
        Interlocked.Exchange(ref _auditCommitted, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public IReadOnlyList<AuditEntry> ReadAudit(long fromId, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading($"an audit entry from {fromId} on", () => AuditLog.Query()
            .Where("$._id >= @0", fromId)
            .OrderBy(x => x.Id)
            .Limit(max)
            .ToList());
    }

    public AuditChainCheck VerifyAuditChain()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading("the audit log", WalkAuditChain);
    }

    private AuditChainCheck WalkAuditChain()
    {
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
}
