using KpNode.Domain;
using Microsoft.Extensions.Time.Testing;

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
    public void Message_ids_made_in_one_millisecond_still_keep_the_backlog_in_creation_order()
    {
        // A lane reads its backlog onwards from the last id it saw: an id sorting before it would be missed.
        var ids = new KpNode.Workflow.MessageIds(new FakeTimeProvider(new DateTimeOffset(Now, TimeSpan.Zero)));
        var backlog = Enumerable.Range(0, 200).Select(_ => ids.Next()).ToList();
        Assert.All(backlog, id =>
        {
            Assert.True(KpNode.Workflow.MessageIds.IsWellFormed(id));
            Assert.Equal(7, Guid.Parse(id).Version);
            Assert.InRange(Guid.Parse(id).Variant, 8, 11);
        });

        using var store = _folder.Open();
        store.Write(w =>
        {
            foreach (var id in Enumerable.Reverse(backlog))
                w.InsertMessage(Sample.OutboundMessage(id, "BE", Now));
            return 0;
        });

        Assert.Equal(backlog, store.PendingOutbound("BE", 1000).Select(m => m.Id));
        Assert.Equal(backlog.Skip(101), store.PendingOutbound("BE", 1000, after: backlog[100]).Select(m => m.Id));
    }

    [Fact]
    public void Pending_outbound_for_a_partner_is_its_backlog_oldest_first()
    {
        // Message ids are UUIDv7, as the node makes them: the index keeps each partner's backlog in creation order.
        var clock = new FakeTimeProvider(new DateTimeOffset(Now, TimeSpan.Zero));
        var ids = new KpNode.Workflow.MessageIds(clock);
        var backlog = new List<string>();
        for (var n = 0; n < 40; n++)
        {
            backlog.Add(ids.Next());
            clock.Advance(TimeSpan.FromMilliseconds(3));
        }

        using var store = _folder.Open();
        store.Write(w =>
        {
            // Inserted newest first, and every third one due later: neither changes the order.
            foreach (var (id, n) in backlog.Select((id, n) => (id, n)).Reverse())
                w.InsertMessage(Sample.OutboundMessage(id, "BE", Now.AddMinutes(n % 3 == 0 ? 5 : -1)));
            w.InsertMessage(Sample.OutboundMessage(ids.Next(), "AE", Now));
            w.InsertMessage(Sample.OutboundMessage(ids.Next(), "BEANR", Now));
            w.InsertMessage(Sample.OutboundMessage(ids.Next(), "BE", Now, MessageStatus.Delivered));
            w.InsertMessage(Sample.OutboundMessage(ids.Next(), "BE", Now, MessageStatus.Received, MessageDirection.Inbound));
            return 0;
        });

        Assert.Equal(backlog, store.PendingOutbound("BE", 100).Select(m => m.Id));
        Assert.Equal(backlog.Take(7), store.PendingOutbound("BE", 7).Select(m => m.Id));
        Assert.Empty(store.PendingOutbound("NA", 10));

        // A page at a time, each starting after the last message of the page before: the same backlog, in order.
        var paged = new List<string>();
        for (var page = store.PendingOutbound("BE", 7); page.Count > 0; page = store.PendingOutbound("BE", 7, page[^1].Id))
            paged.AddRange(page.Select(m => m.Id));
        Assert.Equal(backlog, paged);
        // The message named need not be pending any more: the page starts after where it stood.
        store.Write(w =>
        {
            var delivered = w.FindMessage(backlog[9])!;
            delivered.Status = MessageStatus.Delivered;
            w.UpdateMessage(delivered);
            return 0;
        });
        Assert.Equal(backlog.Skip(10).Take(3), store.PendingOutbound("BE", 3, backlog[9]).Select(m => m.Id));
        backlog.RemoveAt(9);
        var summary = store.SummarizePending("BE");
        Assert.Equal(39, summary.Count);
        Assert.Equal(Now.AddMinutes(-1), summary.NextAttemptAt);
    }
}
