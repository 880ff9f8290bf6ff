using KpNode.Domain;
using KpNode.Storage;
using LiteDB;

namespace KpNode.Tests.Storage;

public sealed class CertificateStoreTests : IDisposable
{
    private readonly StoreFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_certificate_reads_back_as_stored_with_its_message_links_and_dates_in_utc()
    {
        var sample = Sample.Certificate("ZA-2025-000001", replaces: "ZA-2024-009999");
        var certificate = HeldCertificate.Rehydrate(sample.Summary, sample.Direction, sample.Partner, sample.MessageId, sample.CreatedAt,
            sample.Status, statusReason: "", replacedBy: null, confirmationMessageId: "msg-confirmation", voidMessageId: "msg-void",
            sample.UpdatedAt, [new HistoryEntry(Sample.Noon, CertificateStatus.Issued, "  issued by operator  ")]);

        using (var store = _folder.Open())
            store.Write(w => { w.InsertCertificate(certificate); return 0; });

        using var reopened = _folder.Open();
        var found = reopened.FindCertificate("ZA-2025-000001");

        Assert.NotNull(found);
        Assert.Equal("msg-confirmation", found.ConfirmationMessageId);
        Assert.Equal("msg-void", found.VoidMessageId);
        Assert.Equal(certificate.Summary, found.Summary);
        Assert.Equal(new DateOnly(2025, 3, 14), found.Summary.DateOfIssue);
        Assert.Equal(new DateOnly(2025, 5, 13), found.Summary.DateOfExpiry);
        Assert.Equal(DateTimeKind.Utc, found.CreatedAt.Kind);
        Assert.Equal(DateTimeKind.Utc, found.History[0].At.Kind);
        Assert.Equal(CertificateDirection.Outbound, found.Direction);
        Assert.Equal(CertificateStatus.Issued, found.Status);
        Assert.Equal("BE", found.Partner);
        Assert.Equal(3, found.Summary.Parcels);
        Assert.Equal(125_050, found.Summary.Carats.Hundredths);
        Assert.Equal(98_765_432, found.Summary.Value.Cents);
        Assert.Equal(["7102.31", "7102.21"], found.Summary.HsLines.Select(l => l.HsCode));
        Assert.Equal(25_050, found.Summary.HsLines[1].Carats.Hundredths);
        Assert.Equal(["ZA", "BW"], found.Summary.OriginCountries);
        Assert.Equal("msg-ZA-2025-000001", found.MessageId);
        Assert.Equal("ZA-2024-009999", found.Summary.Replaces);
        Assert.Null(found.ReplacedBy);
        // LiteDB's default mapper would trim this and turn "" into null.
        Assert.Equal("  issued by operator  ", found.History[0].Text);
        Assert.Equal("", found.StatusReason);
    }

    [Fact]
    public void A_date_without_a_kind_is_stored_as_utc_not_shifted_by_the_local_zone()
    {
        var sample = Sample.Certificate("ZA-2025-000002");
        var unspecified = new DateTime(2025, 3, 14, 12, 0, 0);
        var certificate = HeldCertificate.Rehydrate(sample.Summary, sample.Direction, sample.Partner, sample.MessageId, unspecified,
            sample.Status, null, null, null, null, unspecified, [new HistoryEntry(unspecified, sample.Status, "issued")]);

        using var store = _folder.Open();
        store.Write(w => { w.InsertCertificate(certificate); return 0; });

        var found = store.FindCertificate("ZA-2025-000002")!;
        Assert.Equal(new DateTime(2025, 3, 14, 12, 0, 0, DateTimeKind.Utc), found.CreatedAt);
        Assert.Equal(DateTimeKind.Utc, found.CreatedAt.Kind);
        Assert.Equal(new DateTime(2025, 3, 14, 12, 0, 0, DateTimeKind.Utc), found.History[0].At);
        Assert.Equal(new DateOnly(2025, 3, 14), found.Summary.DateOfIssue);
    }

    [Fact]
    public void A_message_reads_back_with_envelope_and_bookkeeping()
    {
        var message = Sample.OutboundMessage("m-1", "BE", Sample.Noon);
        message.LastError = "Unavailable: connection refused";
        message.LastAttemptAt = Sample.Noon.AddMinutes(-1);
        message.Attempts = 2;

        using (var store = _folder.Open())
            store.Write(w => { w.InsertMessage(message); return 0; });

        using var reopened = _folder.Open();
        var found = reopened.FindMessage("m-1")!;
        Assert.Equal(message.Envelope, found.Envelope);
        Assert.Equal(message.PayloadSha256, found.PayloadSha256);
        Assert.Equal(MessageStatus.Pending, found.Status);
        Assert.Equal(MessageDirection.Outbound, found.Direction);
        Assert.Equal(2, found.Attempts);
        Assert.Equal("Unavailable: connection refused", found.LastError);
        Assert.Equal(Sample.Noon.AddMinutes(-1), found.LastAttemptAt);
        Assert.Equal(DateTimeKind.Utc, found.LastAttemptAt!.Value.Kind);
        Assert.Null(found.CompletedAt);
        Assert.Null(found.ReceiptEnvelope);
    }

    [Fact]
    public void An_updated_certificate_keeps_its_new_status_and_history()
    {
        using var store = _folder.Open();
        store.Write(w => { w.InsertCertificate(Sample.Certificate("ZA-2025-000003")); return 0; });

        store.Write(w =>
        {
            var certificate = w.FindCertificate("ZA-2025-000003")!;
            w.UpdateCertificate(Sample.Moved(certificate, CertificateStatus.Delivered, "receipt from BE"));
            return 0;
        });

        var found = store.FindCertificate("ZA-2025-000003")!;
        Assert.Equal(CertificateStatus.Delivered, found.Status);
        Assert.Equal("receipt from BE", found.StatusReason);
        Assert.Single(found.History);
    }

    [Fact]
    public void Updating_a_certificate_that_is_not_stored_fails_and_stores_nothing()
    {
        using var store = _folder.Open();

        Assert.Throws<KeyNotFoundException>(() => store.Write(w =>
        {
            w.InsertMessage(Sample.OutboundMessage("m-2", "BE", Sample.Noon));
            w.UpdateCertificate(Sample.Certificate("ZA-2025-404404"));
            return 0;
        }));

        Assert.Null(store.FindMessage("m-2"));
    }

    [Fact]
    public void Everything_written_is_found_again_after_the_store_is_reopened()
    {
        using (var store = _folder.Open())
        {
            store.Write(w =>
            {
                w.InsertCertificate(Sample.Certificate("ZA-2025-000010"));
                w.InsertMessage(Sample.OutboundMessage("m-10", "BE", Sample.Noon));
                w.Audit("operator:alice", "certificate.issue", "ZA-2025-000010", "issued");
                return w.NextSequence("ZA-2025");
            });
            Assert.True(store.FileSizeBytes > 0);
        }

        using var reopened = _folder.Open();
        Assert.NotNull(reopened.FindCertificate("ZA-2025-000010"));
        Assert.NotNull(reopened.FindMessage("m-10"));
        Assert.Single(reopened.ReadAudit(1, 10));
        Assert.Equal(2, reopened.Write(w => w.NextSequence("ZA-2025")));
    }

    [Fact]
    public void Listing_filters_by_status_partner_and_direction()
    {
        using var store = _folder.Open();
        store.Write(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001", CertificateStatus.Issued, "BE"));
            w.InsertCertificate(Sample.Certificate("ZA-2025-000002", CertificateStatus.Delivered, "BE"));
            w.InsertCertificate(Sample.Certificate("ZA-2025-000003", CertificateStatus.Issued, "AE"));
            w.InsertCertificate(Sample.Certificate("ZA-2025-000004", CertificateStatus.Issued, "BE"));
            w.InsertCertificate(Sample.Certificate("BE-2025-000777", CertificateStatus.Received, "BE", CertificateDirection.Inbound));
            return 0;
        });

        static string[] Numbers(IReadOnlyList<HeldCertificate> page) => page.Select(c => c.Number).ToArray();

        Assert.Equal(["ZA-2025-000001", "ZA-2025-000003", "ZA-2025-000004"],
            Numbers(store.ListCertificates(new CertificateQuery(CertificateStatus.Issued, null, null, 10, null))));
        Assert.Equal(["ZA-2025-000001", "ZA-2025-000004"],
            Numbers(store.ListCertificates(new CertificateQuery(CertificateStatus.Issued, "BE", null, 10, null))));
        Assert.Equal(["BE-2025-000777", "ZA-2025-000001", "ZA-2025-000002", "ZA-2025-000004"],
            Numbers(store.ListCertificates(new CertificateQuery(null, "BE", null, 10, null))));
        Assert.Equal(["BE-2025-000777"],
            Numbers(store.ListCertificates(new CertificateQuery(null, null, CertificateDirection.Inbound, 10, null))));
        Assert.Equal(["ZA-2025-000002"],
            Numbers(store.ListCertificates(new CertificateQuery(CertificateStatus.Delivered, "BE", CertificateDirection.Outbound, 10, null))));
        Assert.Empty(store.ListCertificates(new CertificateQuery(CertificateStatus.Voided, null, null, 10, null)));
    }

    [Fact]
    public void Listing_pages_by_number_after_the_last_number_seen()
    {
        using var store = _folder.Open();
        store.Write(w =>
        {
            // Inserted out of order: pages follow the number, not the insertion.
            foreach (var n in new[] { 7, 2, 9, 1, 5, 3, 8, 4, 6 })
                w.InsertCertificate(Sample.Certificate($"ZA-2025-{n:000000}", n % 2 == 0 ? CertificateStatus.Delivered : CertificateStatus.Issued));
            return 0;
        });

        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = store.ListCertificates(new CertificateQuery(null, null, null, 4, after));
            if (page.Count == 0)
                break;
            Assert.True(page.Count <= 4);
            seen.AddRange(page.Select(c => c.Number));
            after = page[^1].Number;
        }
        Assert.Equal(Enumerable.Range(1, 9).Select(n => $"ZA-2025-{n:000000}"), seen);

        var issuedAfterThird = store.ListCertificates(new CertificateQuery(CertificateStatus.Issued, null, null, 2, "ZA-2025-000003"));
        Assert.Equal(["ZA-2025-000005", "ZA-2025-000007"], issuedAfterThird.Select(c => c.Number));
    }

    [Fact]
    public void Listing_by_partner_and_status_pages_in_number_order_within_that_pair_only()
    {
        using var store = _folder.Open();
        store.Write(w =>
        {
            foreach (var n in new[] { 7, 2, 9, 1, 5, 3, 8, 4, 6 })
                w.InsertCertificate(Sample.Certificate($"ZA-2025-{n:000000}", CertificateStatus.Issued, n % 3 == 0 ? "AE" : "BE"));
            w.InsertCertificate(Sample.Certificate("ZA-2025-000010", CertificateStatus.Delivered, "BE"));
            w.InsertCertificate(Sample.Certificate("BE-2025-000001", CertificateStatus.Received, "BE", CertificateDirection.Inbound));
            // A partner code that starts like another one, and a status that starts like another one, stay apart.
            w.InsertCertificate(Sample.Certificate("ZA-2025-000011", CertificateStatus.Issued, "BEANR"));
            return 0;
        });

        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = store.ListCertificates(new CertificateQuery(CertificateStatus.Issued, "BE", null, 2, after));
            if (page.Count == 0)
                break;
            Assert.True(page.Count <= 2);
            seen.AddRange(page.Select(c => c.Number));
            after = page[^1].Number;
        }

        Assert.Equal(new[] { 1, 2, 4, 5, 7, 8 }.Select(n => $"ZA-2025-{n:000000}"), seen);
        Assert.Equal(["ZA-2025-000003", "ZA-2025-000006", "ZA-2025-000009"],
            store.ListCertificates(new CertificateQuery(CertificateStatus.Issued, "AE", CertificateDirection.Outbound, 10, null)).Select(c => c.Number));
        Assert.Empty(store.ListCertificates(new CertificateQuery(CertificateStatus.Issued, "AE", CertificateDirection.Inbound, 10, null)));
        Assert.Equal(["ZA-2025-000010"], store.ListCertificates(new CertificateQuery(CertificateStatus.Delivered, "BE", null, 10, null)).Select(c => c.Number));
    }

    [Fact]
    public void Listing_by_partner_alone_pages_in_number_order_across_every_status()
    {
        using var store = _folder.Open();
        var statuses = Enum.GetValues<CertificateStatus>();
        store.Write(w =>
        {
            foreach (var n in new[] { 12, 7, 2, 9, 1, 11, 5, 3, 8, 4, 10, 6 })
                w.InsertCertificate(Sample.Certificate($"ZA-2025-{n:000000}", statuses[n % statuses.Length], n % 4 == 0 ? "AE" : "BE"));
            return 0;
        });

        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = store.ListCertificates(new CertificateQuery(null, "BE", null, 3, after));
            if (page.Count == 0)
                break;
            Assert.True(page.Count <= 3);
            seen.AddRange(page.Select(c => c.Number));
            after = page[^1].Number;
        }

        Assert.Equal(new[] { 1, 2, 3, 5, 6, 7, 9, 10, 11 }.Select(n => $"ZA-2025-{n:000000}"), seen);
    }

    [Fact]
    public void Recent_certificates_are_the_ones_changed_last_newest_first()
    {
        using var store = _folder.Open();
        store.Write(w =>
        {
            foreach (var n in new[] { 1, 2, 3, 4 })
            {
                w.InsertCertificate(Sample.Certificate($"ZA-2025-{n:000000}"));
                w.Audit("operator", "certificate.issued", $"ZA-2025-{n:000000}", "");
            }

            return 0;
        });
        store.Write(w =>
        {
            var first = w.FindCertificate("ZA-2025-000001")!;
            first.Deliver("BE", Sample.Noon);
            w.UpdateCertificate(first);
            w.Audit("BE", "receipt.accepted", first.Number, "");
            w.Audit("operator", "settings.changed", "not a certificate", "");
            return 0;
        });

        Assert.Equal(["ZA-2025-000001", "ZA-2025-000004", "ZA-2025-000003"], store.RecentCertificates(3).Select(c => c.Number));
        Assert.Equal(4, store.RecentCertificates(10).Count);
    }

    [Fact]
    public void Counts_by_status_include_every_status_with_zero_for_unused_ones()
    {
        using var store = _folder.Open();
        store.Write(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001", CertificateStatus.Issued));
            w.InsertCertificate(Sample.Certificate("ZA-2025-000002", CertificateStatus.Issued));
            w.InsertCertificate(Sample.Certificate("ZA-2025-000003", CertificateStatus.Confirmed));
            w.InsertCertificate(Sample.Certificate("BE-2025-000001", CertificateStatus.Received, "BE", CertificateDirection.Inbound));
            return 0;
        });

        var counts = store.CountCertificatesByStatus();

        Assert.Equal(Enum.GetValues<CertificateStatus>().Length, counts.Count);
        Assert.Equal(2, counts[CertificateStatus.Issued]);
        Assert.Equal(1, counts[CertificateStatus.Confirmed]);
        Assert.Equal(1, counts[CertificateStatus.Received]);
        Assert.Equal(0, counts[CertificateStatus.Voided]);
    }

    [Fact]
    public void A_store_from_an_earlier_version_gets_status_keys_and_one_index_for_its_two_and_answers_the_same()
    {
        using (var store = _folder.Open())
        {
            store.Write(w =>
            {
                w.InsertCertificate(Sample.Certificate("ZA-2025-000001", CertificateStatus.Issued, "BE"));
                w.InsertCertificate(Sample.Certificate("ZA-2025-000002", CertificateStatus.Delivered, "BE"));
                w.InsertCertificate(Sample.Certificate("ZA-2025-000003", CertificateStatus.Issued, "AE"));
                return 0;
            });
        }

        // Certificates as the fourth performance session left them: no StatusKey, a status index and a
        // partner+status+number index.
        using (var earlier = new LiteDatabase(new ConnectionString { Filename = _folder.DataFile, Connection = ConnectionType.Direct }))
        {
            var certificates = earlier.GetCollection("certificates");
            certificates.DropIndex("StatusKey");
            foreach (var document in certificates.FindAll().ToList())
            {
                document.Remove("StatusKey");
                certificates.Update(document);
            }
            certificates.EnsureIndex("Status", "$.Status");
            certificates.EnsureIndex("PartnerStatusNumber", "$.Partner + '/' + $.Status + '/' + $._id");
        }

        _folder.Open().Dispose();
        using (var migrated = new LiteDatabase(new ConnectionString { Filename = _folder.DataFile, Connection = ConnectionType.Direct }))
        {
            Assert.Equal(["DateOfIssue", "SealNumber", "StatusKey", "_id"], migrated.Execute("SELECT $.name FROM $indexes WHERE $.collection = 'certificates'")
                .ToEnumerable().Select(r => r["name"].AsString).Order(StringComparer.Ordinal));
            Assert.Equal(["Delivered/BE/ZA-2025-000002", "Issued/AE/ZA-2025-000003", "Issued/BE/ZA-2025-000001"],
                migrated.GetCollection("certificates").FindAll().Select(d => d["StatusKey"].AsString).Order(StringComparer.Ordinal));
        }

        using var reopened = _folder.Open();
        Assert.Equal(["ZA-2025-000001", "ZA-2025-000003"],
            reopened.ListCertificates(new CertificateQuery(CertificateStatus.Issued, null, null, 10, null)).Select(c => c.Number));
        Assert.Equal(["ZA-2025-000001", "ZA-2025-000002"],
            reopened.ListCertificates(new CertificateQuery(null, "BE", null, 10, null)).Select(c => c.Number));
        Assert.Equal(2, reopened.CountCertificatesByStatus()[CertificateStatus.Issued]);
        Assert.Equal(["ZA-2025-000001"], reopened.ExpiringBefore(new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc), CertificateStatus.Issued, 1).Select(c => c.Number));
    }

    [Fact]
    public void A_certificates_status_key_follows_its_status_through_every_write()
    {
        using var store = _folder.Open();
        store.Write(w =>
        {
            w.InsertCertificate(Sample.Certificate("ZA-2025-000001", CertificateStatus.Issued, "BE"));
            return 0;
        });
        store.Write(w =>
        {
            var certificate = w.FindCertificate("ZA-2025-000001")!;
            certificate.Deliver("BE", Sample.Noon);
            w.UpdateCertificate(certificate);
            return 0;
        });

        Assert.Equal("Delivered/BE/ZA-2025-000001", store.Certificates.FindById("ZA-2025-000001").StatusKey);
        Assert.Empty(store.ListCertificates(new CertificateQuery(CertificateStatus.Issued, null, null, 10, null)));
        Assert.Equal(0, store.CountCertificatesByStatus()[CertificateStatus.Issued]);
        Assert.Equal(1, store.CountCertificatesByStatus()[CertificateStatus.Delivered]);
    }
}
