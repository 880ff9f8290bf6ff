namespace KpNode.Storage;

/// <summary>
/// A participant's current revocation list as the store keeps it: one per participant, the CRL exactly as signed.
/// For ours, <see cref="NoticesSent"/> names each partner a notice of this list was queued for, with that notice's id.
/// </summary>
internal sealed record StoredRevocationList(string Participant, long Number, byte[] Der, DateTime StoredAt, string MessageId)
{
    public IReadOnlyDictionary<string, string> NoticesSent { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>The document of <see cref="StoredRevocationList"/>, keyed by participant code.</summary>
internal sealed class RevocationListDocument
{
    public string Id { get; set; } = "";
    public long Number { get; set; }
    public byte[] Der { get; set; } = [];
    public DateTime StoredAt { get; set; }
    /// <summary>The notice that carried it (received), or the first notice queued for it (ours).</summary>
    public string MessageId { get; set; } = "";
    /// <summary>Ours only: partner code to the id of the notice of this list queued for it; absent in stores older than it.</summary>
    public Dictionary<string, string>? NoticesSent { get; set; }

    public static RevocationListDocument From(StoredRevocationList list) =>
        new()
        {
            Id = list.Participant,
            Number = list.Number,
            Der = list.Der,
            StoredAt = list.StoredAt,
            MessageId = list.MessageId,
            NoticesSent = list.NoticesSent.Count == 0 ? null : new Dictionary<string, string>(list.NoticesSent, StringComparer.Ordinal),
        };

    public StoredRevocationList ToStored() => new(Id, Number, Der, StoredAt, MessageId)
    {
        NoticesSent = new Dictionary<string, string>(NoticesSent ?? [], StringComparer.Ordinal),
    };
}
