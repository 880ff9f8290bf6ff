
namespace KpNode.Storage;

/// <summary>Reading and checking the audit log (entries are appended inside writes, by the store writer).</summary>
internal sealed partial class NodeStore
{
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
