using LiteDB;

namespace KpNode.Storage;

/// <summary>
/// What an offline rebuild needs beyond the workflow's reads and writes: the audit log and the sequences read a record
/// at a time, and copies that keep an audit entry's id, time and hash and set a sequence to a value.
/// </summary>
internal sealed partial class NodeStore
{
    /// <summary>Up to <paramref name="max"/> audit entry ids after <paramref name="after"/>, from the index alone.</summary>
    internal IReadOnlyList<long> AuditIdsAfter(long after, int max) => Reading("the audit log's index", () =>
        AuditLog.Query().Where("$._id > @0", after).OrderBy("$._id").Select("$._id").Limit(max).ToEnumerable()
            .Select(d => d["_id"].AsInt64).ToList());

    internal AuditEntry? AuditEntryAt(long id) => Reading($"audit entry {id}", () => AuditLog.FindById(id));

    /// <summary>Every sequence's key, from the index alone.</summary>
    internal IReadOnlyList<string> SequenceKeys() =>
        Reading("the sequences' index", () => KeysBeyond(Sequences, null, int.MaxValue, descending: false));

    internal long? SequenceValue(string key) => Reading($"sequence {key}", () => Sequences.FindById(key)?.Value);

    /// <summary>Copies audit entries as they are (id, time, links and hash), in one transaction.</summary>
    internal void CopyAudit(IReadOnlyList<AuditEntry> entries) => Write(_ =>
    {
        CurrentFile.AuditLog.InsertBulk(entries);
        return 0;
    });

    /// <summary>Sets sequence <paramref name="key"/> to <paramref name="value"/>, so that the next number issued under it follows it.</summary>
    internal void SetSequence(string key, long value) => Write(_ => CurrentFile.Sequences.Upsert(new SequenceDocument { Id = key, Value = value }));
}
