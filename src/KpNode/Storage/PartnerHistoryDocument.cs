namespace KpNode.Storage;

/// <summary>
/// What the node keeps of its history with one partner: the partner's latest signed history digest (with the
/// partner's audit head, which the partner can later be held to) and the outcome of the last reconciliation.
/// </summary>
internal sealed record StoredPartnerHistory(
    string Partner,
    byte[] HeldDigest,
    long HeldAuditSequence,
    string HeldAuditHash,
    DateTime? HeldAt,
    DateTime? ReconciledAt,
    string? MatchesThrough,
    IReadOnlyList<string> Differences)
{
    public static StoredPartnerHistory Empty(string partner) => new(partner, [], 0, "", null, null, null, []);
}

/// <summary>The document of <see cref="StoredPartnerHistory"/>, keyed by partner code.</summary>
internal sealed class PartnerHistoryDocument
{
    public string Id { get; set; } = "";
    public byte[] HeldDigest { get; set; } = [];
    public long HeldAuditSequence { get; set; }
    public string HeldAuditHash { get; set; } = "";
    public DateTime? HeldAt { get; set; }
    public DateTime? ReconciledAt { get; set; }
    public string? MatchesThrough { get; set; }
    public List<string> Differences { get; set; } = [];

    public static PartnerHistoryDocument From(StoredPartnerHistory h) => new()
    {
        Id = h.Partner,
        HeldDigest = h.HeldDigest,
        HeldAuditSequence = h.HeldAuditSequence,
        HeldAuditHash = h.HeldAuditHash,
        HeldAt = h.HeldAt,
        ReconciledAt = h.ReconciledAt,
        MatchesThrough = h.MatchesThrough,
        Differences = h.Differences.ToList(),
    };

    public StoredPartnerHistory ToStored() => new(Id, HeldDigest, HeldAuditSequence, HeldAuditHash, HeldAt, ReconciledAt, MatchesThrough, Differences);
}
