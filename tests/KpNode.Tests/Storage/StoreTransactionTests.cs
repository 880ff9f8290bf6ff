using KpNode.Domain;
using KpNode.Storage;

namespace KpNode.Tests.Storage;

public sealed class StoreTransactionTests : IDisposable
{
    private readonly StoreFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Work_that_throws_after_inserting_a_certificate_and_a_message_leaves_neither_stored()
    {
        using var store = _folder.Open();

        var thrown = Assert.Throws<InvalidOperationException>(() => store.Write<int>(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001"));
            w.InsertMessage(Sample.OutboundMessage("m-1", "BE", Sample.Noon));
            w.Audit("workflow", "certificate.issue", "ZA-2025-000001", "issued");
            throw new InvalidOperationException("signing failed");
        }));

        Assert.Equal("signing failed", thrown.Message);
        Assert.Null(store.FindCertificate("ZA-2025-000001"));
        Assert.Null(store.FindMessage("m-1"));
        Assert.Empty(store.ReadAudit(1, 10));
        Assert.Null(store.NextDueAt());
    }

    [Fact]
    public void Inside_a_write_reads_see_the_writes_made_before_them()
    {
        using var store = _folder.Open();

        var seen = store.Write(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001"));
            return w.FindCertificate("ZA-2025-000001");
        });

        Assert.NotNull(seen);
    }

    [Fact]
    public void A_duplicate_certificate_number_throws_DuplicateKeyException_and_nothing_from_that_write_is_stored()
    {
        using var store = _folder.Open();
        store.Write(w => { w.InsertCertificate(Sample.Certificate("ZA-2025-000001")); return 0; });

        var thrown = Assert.Throws<DuplicateKeyException>(() => store.Write(w =>
        {
            w.InsertMessage(Sample.OutboundMessage("m-2", "BE", Sample.Noon));
            w.Audit("workflow", "certificate.issue", "ZA-2025-000001", "second attempt");
            w.NextSequence("ZA-2025");
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001"));
            return 0;
        }));

        Assert.Equal("certificates", thrown.Collection);
        Assert.Equal("ZA-2025-000001", thrown.Key);
        Assert.Contains("ZA-2025-000001", thrown.Message);
        Assert.Null(store.FindMessage("m-2"));
        Assert.Empty(store.ReadAudit(1, 10));
        Assert.Equal(1, store.Write(w => w.NextSequence("ZA-2025")));
    }

    [Fact]
    public void A_duplicate_message_id_throws_DuplicateKeyException_naming_the_messages()
    {
        using var store = _folder.Open();
        store.Write(w => { w.InsertMessage(Sample.OutboundMessage("m-1", "BE", Sample.Noon)); return 0; });

        var thrown = Assert.Throws<DuplicateKeyException>(() => store.Write(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000002"));
            w.InsertMessage(Sample.OutboundMessage("m-1", "AE", Sample.Noon));
            return 0;
        }));

        Assert.Equal("messages", thrown.Collection);
        Assert.Equal("m-1", thrown.Key);
        Assert.Null(store.FindCertificate("ZA-2025-000002"));
        Assert.Equal("BE", store.FindMessage("m-1")!.Partner);
    }

    [Fact]
    public void Certificate_numbers_differing_only_in_case_are_the_same_number()
    {
        using var store = _folder.Open();
        store.Write(w => { w.InsertCertificate(Sample.Certificate("ZA-2025-000001")); return 0; });

        Assert.Throws<DuplicateKeyException>(() => store.Write(w => { w.InsertCertificate(Sample.Certificate("za-2025-000001")); return 0; }));
    }

    [Fact]
    public void Work_that_catches_a_duplicate_may_carry_on_and_commit_the_rest()
    {
        using var store = _folder.Open();
        store.Write(w => { w.InsertMessage(Sample.OutboundMessage("m-1", "BE", Sample.Noon)); return 0; });

        // The idempotent-redelivery pattern: try to record, and on a duplicate use what is stored.
        var partner = store.Write(w =>
        {
            w.Audit("peer:BE", "message.receive", "m-1", "redelivered");
            try
            {
                w.InsertMessage(Sample.OutboundMessage("m-1", "XX", Sample.Noon));
            }
            catch (DuplicateKeyException)
            {
            }
            return w.FindMessage("m-1")!.Partner;
        });

        Assert.Equal("BE", partner);
        Assert.Single(store.ReadAudit(1, 10));
    }

    [Fact]
    public void A_key_found_missing_and_then_inserted_is_refused_a_second_time_and_the_work_may_carry_on()
    {
        using var store = _folder.Open();

        // The first insert needs no second lookup (the write found the id missing); the second must still get one.
        store.Write(w =>
        {
            Assert.Null(w.FindMessage("m-1"));
            w.InsertMessage(Sample.OutboundMessage("m-1", "BE", Sample.Noon));
            Assert.Throws<DuplicateKeyException>(() => w.InsertMessage(Sample.OutboundMessage("m-1", "XX", Sample.Noon)));
            w.Audit("peer:BE", "message.receive", "m-1", "stored once");
            return 0;
        });

        Assert.Equal("BE", store.FindMessage("m-1")!.Partner);
        Assert.Single(store.ReadAudit(1, 10));
    }

    [Fact]
    public void Work_that_swallows_a_failed_store_operation_cannot_commit_what_it_wrote_before()
    {
        using var store = _folder.Open();
        var oversized = Sample.Certificate("ZA-2025-000002", statusReason: new string('x', 20 * 1024 * 1024)); // beyond LiteDB's document size limit

        var thrown = Assert.Throws<InvalidOperationException>(() => store.Write(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001"));
            try
            {
                w.InsertCertificate(oversized);
            }
            catch (Exception)
            {
            }
            return 0;
        }));

        Assert.NotNull(thrown.InnerException);
        Assert.Null(store.FindCertificate("ZA-2025-000001"));
        Assert.Null(store.FindCertificate("ZA-2025-000002"));
        // The store is usable afterwards.
        store.Write(w => { w.InsertCertificate(Sample.Certificate("ZA-2025-000003")); return 0; });
        Assert.NotNull(store.FindCertificate("ZA-2025-000003"));
    }

    [Fact]
    public void Readers_on_other_threads_do_not_see_a_write_before_it_commits()
    {
        using var store = _folder.Open();
        HeldCertificate? seenMidWrite = Sample.Certificate("ZA-2025-999999");

        store.Write(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001"));
            // A thread of its own: waiting on a Task could run it inline, on this thread, inside the transaction.
            var reader = new Thread(() => seenMidWrite = store.FindCertificate("ZA-2025-000001"));
            reader.Start();
            reader.Join();
            return 0;
        });

        Assert.Null(seenMidWrite);
        Assert.NotNull(store.FindCertificate("ZA-2025-000001"));
    }

    [Fact]
    public void A_write_cannot_be_started_inside_another_write()
    {
        using var store = _folder.Open();

        Assert.Throws<InvalidOperationException>(() => store.Write(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001"));
            return store.Write(inner => inner.NextSequence("ZA-2025"));
        }));

        Assert.Null(store.FindCertificate("ZA-2025-000001"));
    }

    [Fact]
    public void A_writer_kept_beyond_its_write_refuses_to_be_used()
    {
        using var store = _folder.Open();
        var escaped = store.Write(w => w);

        Assert.Throws<ObjectDisposedException>(() => escaped.InsertCertificate(Sample.Certificate("ZA-2025-000001")));
        Assert.Null(store.FindCertificate("ZA-2025-000001"));
    }
}
