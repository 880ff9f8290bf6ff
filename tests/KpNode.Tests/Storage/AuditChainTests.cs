using KpNode.Storage;
using LiteDB;

namespace KpNode.Tests.Storage;

public sealed class AuditChainTests : IDisposable
{
    private readonly StoreFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Entries_appended_across_writes_form_an_intact_chain()
    {
        using var store = _folder.Open();
        AppendFive(store);

        var check = store.VerifyAuditChain();

        Assert.True(check.IsIntact, check.Detail);
        Assert.Equal(5, check.EntriesChecked);
        Assert.Null(check.BrokenEntryId);

        var entries = store.ReadAudit(1, 100);
        Assert.Equal([1L, 2, 3, 4, 5], entries.Select(e => e.Id));
        Assert.Equal(AuditEntry.GenesisHash, entries[0].PreviousHash);
        for (var i = 1; i < entries.Count; i++)
            Assert.Equal(entries[i - 1].Hash, entries[i].PreviousHash);
        Assert.All(entries, e => Assert.Matches("^[0-9a-f]{64}$", e.Hash));
    }

    [Fact]
    public void Entries_are_stamped_by_the_store_clock_to_the_millisecond_in_utc()
    {
        using var store = _folder.Open();
        var written = store.Write(w => w.Audit("operator:alice", "pki.rotate", "signing-key", "rotated"));
        _folder.Time.Advance(TimeSpan.FromMinutes(5));
        store.Write(w => w.Audit("operator:alice", "pki.rotate", "tls-key", "rotated"));

        var entries = store.ReadAudit(1, 10);

        var expected = new DateTime(2025, 3, 14, 9, 26, 53, 589, DateTimeKind.Utc);
        Assert.Equal(expected, written.At);
        Assert.Equal(expected, entries[0].At);
        Assert.Equal(DateTimeKind.Utc, entries[0].At.Kind);
        Assert.Equal(expected.AddMinutes(5), entries[1].At);
        Assert.Equal(written.Hash, entries[0].Hash);
    }

    [Fact]
    public void Reading_from_an_id_returns_that_entry_and_the_ones_after_it()
    {
        using var store = _folder.Open();
        AppendFive(store);

        Assert.Equal([3L, 4], store.ReadAudit(3, 2).Select(e => e.Id));
        Assert.Empty(store.ReadAudit(6, 10));
    }

    [Fact]
    public void An_entry_from_a_rolled_back_write_leaves_no_trace_in_the_chain()
    {
        using var store = _folder.Open();
        store.Write(w => w.Audit("workflow", "a", "s", "d"));
        Assert.ThrowsAny<Exception>(() => store.Write<int>(w =>
        {
            w.Audit("workflow", "b", "s", "d");
            throw new TimeoutException();
        }));
        store.Write(w => w.Audit("workflow", "c", "s", "d"));

        Assert.Equal(["a", "c"], store.ReadAudit(1, 10).Select(e => e.Action));
        Assert.True(store.VerifyAuditChain().IsIntact);
    }

    [Fact]
    public void The_chain_continues_from_the_stored_tail_after_reopening_and_after_a_rolled_back_write()
    {
        using (var store = _folder.Open())
        {
            AppendFive(store);
        }

        using (var reopened = _folder.Open())
        {
            reopened.Write(w => w.Audit("workflow", "sixth", "s", "d"));
            Assert.ThrowsAny<Exception>(() => reopened.Write<int>(w =>
            {
                w.Audit("workflow", "lost", "s", "d");
                w.Audit("workflow", "lost too", "s", "d");
                throw new TimeoutException();
            }));
            var seventh = reopened.Write(w => w.Audit("workflow", "seventh", "s", "d"));

            Assert.Equal(7, seventh.Id);
            var check = reopened.VerifyAuditChain();
            Assert.True(check.IsIntact, check.Detail);
            Assert.Equal(7, check.EntriesChecked);
        }
    }

    [Fact]
    public void A_changed_detail_is_reported_at_the_entry_that_was_changed()
    {
        using (var store = _folder.Open())
            AppendFive(store);

        using (var raw = OpenRaw())
        {
            var audit = raw.GetCollection("audit");
            var entry = audit.FindById(3);
            entry["Detail"] = "shipment value 1 USD";
            audit.Update(entry);
        }

        using var reopened = _folder.Open();
        var check = reopened.VerifyAuditChain();

        Assert.False(check.IsIntact);
        Assert.Equal(3, check.BrokenEntryId);
        Assert.Equal(AuditChainFault.HashMismatch, check.Fault);
        Assert.Equal(2, check.EntriesChecked);
        Assert.Contains("3", check.Detail);
    }

    [Fact]
    public void An_entry_rewritten_with_a_fresh_hash_is_caught_by_the_next_entry_link()
    {
        using (var store = _folder.Open())
            AppendFive(store);

        using (var raw = OpenRaw())
        {
            var audit = raw.GetCollection<AuditEntry>("audit");
            var entry = audit.FindById(2);
            entry.Detail = "forged";
            entry.Hash = entry.ComputeHash();
            audit.Update(entry);
        }

        using var reopened = _folder.Open();
        var check = reopened.VerifyAuditChain();

        Assert.Equal(3, check.BrokenEntryId);
        Assert.Equal(AuditChainFault.LinkMismatch, check.Fault);
    }

    [Fact]
    public void A_deleted_middle_entry_is_reported_as_a_gap()
    {
        using (var store = _folder.Open())
            AppendFive(store);

        using (var raw = OpenRaw())
            Assert.True(raw.GetCollection("audit").Delete(3));

        using var reopened = _folder.Open();
        var check = reopened.VerifyAuditChain();

        Assert.False(check.IsIntact);
        Assert.Equal(AuditChainFault.Gap, check.Fault);
        Assert.Equal(3, check.BrokenEntryId);
        Assert.Contains("missing", check.Detail);
    }

    [Fact]
    public void Moving_text_between_fields_changes_the_hash()
    {
        var at = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var one = new AuditEntry { Id = 1, At = at, Actor = "a|b", Action = "c", Subject = "", Detail = "" };
        var other = new AuditEntry { Id = 1, At = at, Actor = "a", Action = "b|c", Subject = "", Detail = "" };
        var shifted = new AuditEntry { Id = 1, At = at, Actor = "a", Action = "", Subject = "b|c", Detail = "" };

        Assert.NotEqual(one.ComputeHash(), other.ComputeHash());
        Assert.NotEqual(other.ComputeHash(), shifted.ComputeHash());
    }

    [Fact]
    public void An_empty_log_is_an_intact_chain()
    {
        using var store = _folder.Open();

        var check = store.VerifyAuditChain();

        Assert.True(check.IsIntact);
        Assert.Equal(0, check.EntriesChecked);
    }

    private void AppendFive(NodeStore store)
    {
        store.Write(w => w.Audit("operator:alice", "certificate.issue", "ZA-2025-000001", "issued to BE"));
        _folder.Time.Advance(TimeSpan.FromSeconds(1.2345));
        store.Write(w =>
        {
            w.Audit("peer:BE", "receipt.accept", "ZA-2025-000001", "delivered");
            return w.Audit("workflow", "certificate.status", "ZA-2025-000001", "Issued -> Delivered");
        });
        _folder.Time.Advance(TimeSpan.FromMinutes(3));
        store.Write(w => w.Audit("peer:BE", "confirmation.accept", "ZA-2025-000001", "confirmed 3 parcels"));
        store.Write(w => w.Audit("operator:bob", "certificate.void", "ZA-2025-000002", "shipment cancelled"));
    }

    // What someone with file access could do: edit the file directly, bypassing the store.
    private LiteDatabase OpenRaw() =>
        new(new ConnectionString { Filename = _folder.DataFile, Connection = ConnectionType.Direct });
}
