namespace KpNode.Storage;

/// <summary>The outcome of walking the audit log: intact, or the first entry where the chain breaks and why.</summary>
internal sealed record AuditChainCheck(
    bool IsIntact,
    long EntriesChecked,
    long? BrokenEntryId,
    AuditChainFault? Fault,
    string? Detail)
{
    public static AuditChainCheck Intact(long entriesChecked) => new(true, entriesChecked, null, null, null);

    public static AuditChainCheck Broken(long entriesChecked, long entryId, AuditChainFault fault, string detail) =>
        new(false, entriesChecked, entryId, fault, detail);
}

/// <summary>How an audit chain can be broken.</summary>
internal enum AuditChainFault
{
    /// <summary>The entry's stored hash does not match its content: the entry was changed.</summary>
    HashMismatch = 1,
    /// <summary>The entry does not point at its predecessor's hash: an entry before it was replaced.</summary>
    LinkMismatch = 2,
    /// <summary>An entry id is missing from the sequence: an entry was deleted.</summary>
    Gap = 3,
}
