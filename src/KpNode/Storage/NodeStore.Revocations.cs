namespace KpNode.Storage;

/// <summary>The revocation lists held: ours as published, each partner's from its latest notice.</summary>
internal sealed partial class NodeStore
{
    public StoredRevocationList? FindRevocationList(string participant)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading($"revocation list of {participant}", () => RevocationLists.FindById(participant)?.ToStored());
    }

    public IReadOnlyList<StoredRevocationList> AllRevocationLists()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading("the revocation lists", () => RevocationLists.FindAll().Select(d => d.ToStored()).ToList());
    }
}
