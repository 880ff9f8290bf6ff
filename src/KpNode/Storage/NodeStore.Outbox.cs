using KpNode.Domain;

namespace KpNode.Storage;

/// <summary>The message queries: a message by id, and the outbox's pending messages by partner and due time.</summary>
internal sealed partial class NodeStore
{
    public PartnerMessage? FindMessage(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reading($"message {id}", () => Unpacked(Messages.FindById(id)));
    }

    // A message as the workflow sees it: its envelope and receipt byte for byte as sent or received.
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(message))]
    private PartnerMessage? Unpacked(PartnerMessage? message)
    {
        if (message is null)
            return null;
        message.Envelope = Packing.Unpack(message.Envelope, FindSigner);
        if (message.ReceiptEnvelope is { } receipt)
            message.ReceiptEnvelope = Packing.Unpack(receipt, FindSigner);
        return message;
    }

    private byte[]? FindSigner(string id) => Signers.FindById(id)?.Der;

    // One direction and status, every partner: a range of the direction+status+partner+id index. Partner codes
    // are capital letters and ids hex digits and '-', all below '~'.
    private static (string From, string To) AllPartners(MessageDirection direction, MessageStatus status) =>
        ($"{direction}/{status}/", $"{direction}/{status}/{AfterEveryNumber}");

    // One direction and status with one partner: the range of that partner's keys, in message id order.
    private static (string From, string To) OnePartner(MessageDirection direction, MessageStatus status, string partner) =>
        ($"{direction}/{status}/{partner}/", $"{direction}/{status}/{partner}/{AfterEveryNumber}");

    public IReadOnlyList<PartnerMessage> DueOutbound(DateTime now, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (from, to) = AllPartners(MessageDirection.Outbound, MessageStatus.Pending);
        return Reading("a pending outbound message", () => Messages.Query()
            .Where($"{DirectionStatusPartnerIndex} BETWEEN @0 AND @1 AND $.NextAttemptAt <= @2", from, to, Bson(now))
            .OrderBy(x => x.NextAttemptAt)
            .Limit(max)
            .ToEnumerable().Select(m => Unpacked(m)).ToList());
    }

    public DateTime? NextDueAt()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (from, to) = AllPartners(MessageDirection.Outbound, MessageStatus.Pending);
        return Reading("a pending outbound message", () => Messages.Query()
            .Where($"{DirectionStatusPartnerIndex} BETWEEN @0 AND @1", from, to)
            .OrderBy(x => x.NextAttemptAt)
            .Limit(1)
            .FirstOrDefault()?.NextAttemptAt);
    }

    public IReadOnlyList<PartnerMessage> PendingOutbound(string partner, int max, string? after = null)
    {
        ArgumentNullException.ThrowIfNull(partner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (from, to) = OnePartner(MessageDirection.Outbound, MessageStatus.Pending, partner);
        // The range starts at the key of the message named (if it is still pending, BETWEEN includes it: skipped).
        var query = Messages.Query()
            .Where($"{DirectionStatusPartnerIndex} BETWEEN @0 AND @1", after is null ? from : from + after, to)
            .OrderBy(DirectionStatusPartnerIndex);
        if (after is not null)
            query = query.Where("$._id != @0", after);
        return Reading($"a pending outbound message to {partner}", () => query.Limit(max).ToEnumerable().Select(m => Unpacked(m)).ToList());
    }

    public OutboxSummary SummarizePending(string partner)
    {
        ArgumentNullException.ThrowIfNull(partner);
        ObjectDisposedException.ThrowIf(_disposed, this);
        const string where = DirectionStatusPartnerIndex + " BETWEEN @0 AND @1";
        var (from, to) = OnePartner(MessageDirection.Outbound, MessageStatus.Pending, partner);
        return Reading($"a pending outbound message to {partner}", () => Summarize(where, from, to));
    }

    private OutboxSummary Summarize(string where, string from, string to)
    {
        var count = Messages.Query().Where(where, from, to).Select(DirectionStatusPartnerIndex).ToEnumerable().Count();
        if (count == 0)
            return new OutboxSummary(0, null, null);
        // Not in one transaction with the count: a delivery may have taken the last one meanwhile (seen by kpnode simulate).
        var first = Messages.Query().Where(where, from, to).OrderBy(DirectionStatusPartnerIndex).Limit(1).ToEnumerable().FirstOrDefault();
        if (first is null)
            return new OutboxSummary(0, null, null);
        var oldest = first.CreatedAt;
        var next = Messages.Query().Where(where, from, to).OrderBy(x => x.NextAttemptAt).Select(x => x.NextAttemptAt).FirstOrDefault();
        return new OutboxSummary(count, oldest, next);
    }
}
