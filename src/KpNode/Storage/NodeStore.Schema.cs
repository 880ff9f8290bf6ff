namespace KpNode.Storage;

/// <summary>The store's indexes, made at open, and the upgrades a file of an earlier version gets.</summary>
internal sealed partial class NodeStore
{
    // Every index is paid for on every write: inserting or moving one key rewrites the skip-list pages around it,
    // and a commit writes each dirty 8 KiB page in full. So each collection keeps only the indexes its queries use.
    //
    // Compound keys as index expressions: LiteDB uses one index per query, and these are the selective ones.
    // Enums are stored by name (see StoreMapper), so the keys read "Outbound/Pending/IN/<message id>". A lane asks
    // for its partner's oldest pending messages each time it wakes: message ids are UUIDv7, so within one partner's
    // range the index is in creation order and LiteDB reads the first page and stops, where ordering by CreatedAt
    // would read and sort every pending message. The dispatcher asks for one
    // direction and status across partners: a wider range of the same index. Counting a range reads each message in
    // it (LiteDB counts index keys alone only for a one-field index), so nothing counts the delivered or received ones.
    private const string DirectionStatusPartnerIndex = "$.Direction + '/' + $.Status + '/' + $.Partner + '/' + $._id";
    private const string DirectionStatusPartnerIndexName = "DirectionStatusPartnerId";
    // Status, partner and number ("Issued/IN/AE-2026-000123", see CertificateDocument.StatusKey), the certificates'
    // one index besides the number and the date of issue, serving:
    // - an operator's page ("Issued, IN") is a range of it in page order, so LiteDB reads the page and stops, where
    //   partner + status alone made it read and sort every match (seconds at 100,000 certificates); a partner's page
    //   across statuses merges one such range per status;
    // - counts by status, lists by status and the expiry check read the range of one status.
    // A stored field, not an expression over three: LiteDB counts the keys of a range without reading the documents
    // only for an index on one field (counting through an expression index read every certificate: 14-23 s and 1.2 GB
    // at a million). Numbers are letters, digits and '-', partner codes capital letters: all below '~'.
    private const string StatusKeyIndex = "$." + nameof(CertificateDocument.StatusKey);
    // Indexes of earlier versions that no query uses any more; a store that has them drops them at open.
    private static readonly string[] ObsoleteCertificateIndexes = ["PartnerStatus", "Partner", "Direction", "UpdatedAt", "Status", "PartnerStatusNumber"];
    // Certificates a store of an earlier version rewrites per transaction when it first opens, to add their StatusKey.
    private const int StatusKeyMigrationBatch = 1000;
    private static readonly string[] ObsoleteMessageIndexes = ["DirectionStatus", "DirectionStatusPartner", "Partner", "CertificateNumber"];
    private const string AfterEveryNumber = "~";

    private void EnsureIndexes()
    {
        // DateOfIssue: quarterly statistics. StatusKey: everything by status or partner (see StatusKeyIndex).
        Certificates.EnsureIndex(x => x.DateOfIssue);
        if (!HasIndex(CertificatesCollection, nameof(CertificateDocument.StatusKey)))
            AddStatusKeys();
        Certificates.EnsureIndex(x => x.StatusKey);
        // SealNumber: issuing refuses a seal that one of our certificates still in validity carries.
        if (!HasIndex(CertificatesCollection, nameof(CertificateDocument.SealNumber)))
            AddSealNumbers();
        Certificates.EnsureIndex(x => x.SealNumber);
        foreach (var obsolete in ObsoleteCertificateIndexes)
            Certificates.DropIndex(obsolete);

        // Delivered and received messages pile up for ever as evidence; the pending outbound ones
        // are the small set the dispatcher polls, reached through this index.
        Messages.EnsureIndex(DirectionStatusPartnerIndexName, DirectionStatusPartnerIndex);
        foreach (var obsolete in ObsoleteMessageIndexes)
            Messages.DropIndex(obsolete);

        // Authenticity statements: a certificate's export reads those about it, a period's those kept in it.
        AuthenticityStatements.EnsureIndex(x => x.CertificateNumber);
        AuthenticityStatements.EnsureIndex(x => x.At);
    }

    private bool HasIndex(string collection, string name) =>
        Db.GetCollection("$indexes").Exists("$.collection = @0 AND $.name = @1", collection, name);

    // A store of an earlier version: its certificates do not carry their seal number beside the signed certificate,
    // which does; read it from there, so that a seal on a certificate issued before the upgrade is still found.
    // Batches commit on their own, as for the status keys; the index is made after the last.
    private void AddSealNumbers()
    {
        string? after = null;
        while (true)
        {
            var batch = Certificates.Query().Where("$._id > @0", after ?? "").OrderBy(x => x.Id).Limit(StatusKeyMigrationBatch).ToList();
            if (batch.Count == 0)
                return;
            var withSeal = new List<CertificateDocument>();
            foreach (var certificate in batch.Where(c => c.SealNumber is null))
            {
                if (FindMessage(certificate.MessageId) is { } issued
                    && Wire.CertificateRecordMapping.ReadCertificate(issued).SealNumber is { Length: > 0 } seal)
                {
                    certificate.SealNumber = seal;
                    withSeal.Add(certificate);
                }
            }

            if (withSeal.Count > 0)
            {
                Write(w =>
                {
                    foreach (var certificate in withSeal)
                        w.UpdateCertificate(certificate.ToHeld());
                    return 0;
                });
            }

            after = batch[^1].Id;
        }
    }

    // A store of an earlier version: its certificates have no StatusKey yet. Each batch commits on its own, so a
    // node stopped halfway starts over at its next start (the index is made only after the last batch).
    private void AddStatusKeys()
    {
        string? after = null;
        while (true)
        {
            var batch = Certificates.Query().Where("$._id > @0", after ?? "").OrderBy(x => x.Id).Limit(StatusKeyMigrationBatch).ToList();
            if (batch.Count == 0)
                return;
            Write(w =>
            {
                foreach (var certificate in batch)
                    w.UpdateCertificate(certificate.ToHeld());
                return 0;
            });
            after = batch[^1].Id;
        }
    }
}
