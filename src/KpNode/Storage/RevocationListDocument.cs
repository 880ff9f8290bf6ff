namespace KpNode.Storage;

/// <summary>A participant's current revocation list as the store keeps it: one per participant, the CRL exactly as signed.</summary>
internal sealed record StoredRevocationList(string Participant, long Number, byte[] Der, DateTime StoredAt, string MessageId);

/// <summary>The document of <see cref="StoredRevocationList"/>, keyed by participant code.</summary>
internal sealed class RevocationListDocument
{
    public string Id { get; set; } = "";
    public long Number { get; set; }
    public byte[] Der { get; set; } = [];
    public DateTime StoredAt { get; set; }
    /// <summary>The notice that carried it (received), or the first notice queued for it (ours).</summary>
    public string MessageId { get; set; } = "";

    public static RevocationListDocument From(StoredRevocationList list) =>
        new() { Id = list.Participant, Number = list.Number, Der = list.Der, StoredAt = list.StoredAt, MessageId = list.MessageId };

    public StoredRevocationList ToStored() => new(Id, Number, Der, StoredAt, MessageId);
}
