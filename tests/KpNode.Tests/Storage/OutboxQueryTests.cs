using KpNode.Storage;

namespace KpNode.Tests.Storage;

public sealed class OutboxQueryTests : IDisposable
{
    private static readonly DateTime Now = Sample.Noon;
    private readonly StoreFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Due_outbound_lists_pending_outbound_messages_due_by_now_earliest_first()
    {
        using var store = _folder.Open();
        store.Write(w =>
        {
            w.InsertMessage(Sample.OutboundMessage("due-late", "BE", Now));
            w.InsertMessage(Sample.OutboundMessage("due-early", "AE", Now.AddMinutes(-30)));
            w.InsertMessage(Sample.OutboundMessage("due-middle", "BE", Now.AddMinutes(-5)));
            w.InsertMessage(Sample.OutboundMessage("not-yet-due", "BE", Now.AddSeconds(1)));
            w.InsertMessage(Sample.OutboundMessage("delivered", "BE", Now.AddHours(-1), MessageStatus.Delivered));
            w.InsertMessage(Sample.OutboundMessage("given-up", "BE", Now.AddHours(-1), MessageStatus.GivenUp));
            w.InsertMessage(Sample.OutboundMessage("inbound", "BE", Now.AddHours(-1), MessageStatus.Received, MessageDirection.Inbound));
            return 0;
        });

        Assert.Equal(["due-early", "due-middle", "due-late"], store.DueOutbound(Now, 10).Select(m => m.Id));
        Assert.Equal(["due-early", "due-middle"], store.DueOutbound(Now, 2).Select(m => m.Id));
        Assert.Empty(store.DueOutbound(Now.AddHours(-2), 10));
    }

    [Fact]
    public void Next_due_is_the_earliest_attempt_among_pending_outbound_messages()
    {
        using var store = _folder.Open();
        Assert.Null(store.NextDueAt());

        store.Write(w =>
        {
            w.InsertMessage(Sample.OutboundMessage("later", "BE", Now.AddMinutes(10)));
            w.InsertMessage(Sample.OutboundMessage("sooner", "AE", Now.AddMinutes(2)));
            w.InsertMessage(Sample.OutboundMessage("delivered", "BE", Now.AddHours(-1), MessageStatus.Delivered));
            w.InsertMessage(Sample.OutboundMessage("inbound", "BE", Now.AddHours(-1), MessageStatus.Received, MessageDirection.Inbound));
            return 0;
        });

        var next = store.NextDueAt();
        Assert.Equal(Now.AddMinutes(2), next);
        Assert.Equal(DateTimeKind.Utc, next!.Value.Kind);
    }

    [Fact]
    public void A_delivered_message_leaves_the_due_list()
    {
        using var store = _folder.Open();
        store.Write(w => { w.InsertMessage(Sample.OutboundMessage("m-1", "BE", Now)); return 0; });

        store.Write(w =>
        {
            var message = w.FindMessage("m-1")!;
            message.Status = MessageStatus.Delivered;
            message.CompletedAt = Now;
            message.ReceiptEnvelope = [9, 9, 9];
            w.UpdateMessage(message);
            return 0;
        });

        Assert.Empty(store.DueOutbound(Now, 10));
        Assert.Null(store.NextDueAt());
        Assert.Equal([9, 9, 9], store.FindMessage("m-1")!.ReceiptEnvelope);
    }

    [Fact]
    public void Pending_outbound_for_a_partner_is_its_backlog_oldest_first()
    {
        using var store = _folder.Open();
        store.Write(w =>
        {
            var second = Sample.OutboundMessage("be-second", "BE", Now.AddMinutes(-1));
            second.CreatedAt = Now.AddHours(-1);
            var first = Sample.OutboundMessage("be-first", "BE", Now.AddMinutes(5));
            first.CreatedAt = Now.AddHours(-2);
            w.InsertMessage(second);
            w.InsertMessage(first);
            w.InsertMessage(Sample.OutboundMessage("ae-pending", "AE", Now));
            w.InsertMessage(Sample.OutboundMessage("be-delivered", "BE", Now, MessageStatus.Delivered));
            w.InsertMessage(Sample.OutboundMessage("be-inbound", "BE", Now, MessageStatus.Received, MessageDirection.Inbound));
            return 0;
        });

        Assert.Equal(["be-first", "be-second"], store.PendingOutbound("BE", 10).Select(m => m.Id));
        Assert.Equal(["be-first"], store.PendingOutbound("BE", 1).Select(m => m.Id));
        Assert.Empty(store.PendingOutbound("NA", 10));
    }
}
