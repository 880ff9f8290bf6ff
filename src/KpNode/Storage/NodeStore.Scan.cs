using LiteDB;

namespace KpNode.Storage;

/// <summary>
/// Walking every record, for the store check: keys come from the primary index a page at a time, and each record is
/// then read on its own, so that one damaged record is named and the walk goes on past it.
/// </summary>
internal sealed partial class NodeStore
{
    public IReadOnlyList<string> CertificateNumbersAfter(string? after, int max) =>
        Reading("the certificates' index", () => KeysAfter(Certificates, after, max));

    public IReadOnlyList<string> MessageIdsAfter(string? after, int max) => Reading("the messages' index", () => KeysAfter(Messages, after, max));

    private List<string> KeysAfter<T>(ILiteCollection<T> collection, string? after, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Selecting only the key keeps the read on index pages: a damaged document does not stop the walk.
        var query = collection.Query();
        if (after is not null)
            query = query.Where("$._id > @0", after);
        return query.OrderBy("$._id").Select("$._id").Limit(max).ToEnumerable()
            .Select(d => d["_id"].AsString).ToList();
    }
}
