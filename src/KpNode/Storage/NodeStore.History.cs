using KpNode.Domain;

namespace KpNode.Storage;

/// <summary>The history shared with each partner: the messages both sides hold, and what the node keeps of the partner's digests.</summary>
internal sealed partial class NodeStore
{
    // A message is shared history once it has its receipt: delivered or rejected by the partner, received or refused by us.
    private static readonly (MessageDirection Direction, MessageStatus Status)[] SharedStates =
    [
        (MessageDirection.Outbound, MessageStatus.Delivered), (MessageDirection.Outbound, MessageStatus.Rejected),
        (MessageDirection.Inbound, MessageStatus.Received), (MessageDirection.Inbound, MessageStatus.Rejected),
    ];

    public IReadOnlyList<PartnerMessage> SharedMessages(string partner)
    {
        ArgumentNullException.ThrowIfNull(partner);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading($"the messages exchanged with {partner}", () => SharedStates.SelectMany(state =>
        {
            var (from, to) = OnePartner(state.Direction, state.Status, partner);
            return Messages.Query().Where($"{DirectionStatusPartnerIndex} BETWEEN @0 AND @1", from, to).ToEnumerable().Select(m => Unpacked(m));
        }).ToList());
    }

    public StoredPartnerHistory? FindPartnerHistory(string partner)
    {
        ArgumentNullException.ThrowIfNull(partner);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading($"the history kept with {partner}", () => PartnerHistories.FindById(partner)?.ToStored());
    }
}
