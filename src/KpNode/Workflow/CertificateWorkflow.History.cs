using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using KpNode.Domain;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

/// <summary>Our own receipt for a message a partner re-sends from its copy, verified as ours and about that message.</summary>
internal sealed record RestoredReceipt(byte[] Bytes, DateTimeOffset ReceivedAt, ReceiptOutcome Outcome);

/// <summary>A period of shared history, both days included (UTC); <see cref="From"/> null: from the first message.</summary>
internal sealed record HistoryPeriod(DateOnly? From, DateOnly Through)
{
    public string FromText => From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";

    public string ThroughText => Through.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public bool Holds(DateOnly day) => (From is null || day >= From) && day <= Through;

    /// <summary>A review period as people write it: 2026Q4, 2026-11 or 2026; null when it is none of these.</summary>
    public static HistoryPeriod? Parse(string text) =>
        ReportingPeriod.Parse(text) is { } p ? new(p.First, p.Last) : null;
}

internal sealed partial class CertificateWorkflow
{
    /// <summary>
    /// The messages shared with <paramref name="partner"/> in <paramref name="period"/>, as this node holds them, each
    /// verified first: a record that does not verify is a <see cref="DamagedRecordException"/> naming it, never part of
    /// a digest we sign.
    /// </summary>
    public IReadOnlyList<SharedHistoryEntry> HistoryWith(string partner, HistoryPeriod period) =>
        store.SharedMessages(partner).Select(m => Entry(m, partner)).Where(e => period.Holds(DayOf(e))).ToList();

    /// <summary>One day's digest over the entries: see HistoryDay.sha256 in the wire contract.</summary>
    public static IReadOnlyList<HistoryDay> Days(IEnumerable<SharedHistoryEntry> entries) =>
        entries.GroupBy(DayOf).OrderBy(g => g.Key).Select(g =>
        {
            var lines = new StringBuilder();
            foreach (var e in g.OrderBy(e => e.MessageId, StringComparer.Ordinal))
                lines.Append(CultureInfo.InvariantCulture, $"{e.MessageId} {Convert.ToHexStringLower(e.PayloadSha256.Span)} {Convert.ToHexStringLower(e.ReceiptSha256.Span)}\n");
            return new HistoryDay
            {
                Date = g.Key.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                Messages = g.Count(),
                Sha256 = ByteString.CopyFrom(SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString()))),
            };
        }).ToList();

    public static DateOnly DayOf(SharedHistoryEntry entry) => DateOnly.FromDateTime(entry.CreatedAt.ToDateTime());

    // From the signed bytes alone: the stored hash and fields are derived, and someone with the file can change them.
    private SharedHistoryEntry Entry(PartnerMessage message, string partner)
    {
        var payload = evidence.Message(message);
        var header = HeaderOnly.Parser.ParseFrom(payload).Header ?? new MessageHeader();
        return new SharedHistoryEntry
        {
            MessageId = message.Id,
            Sender = message.Direction == MessageDirection.Outbound ? Us : partner,
            PayloadType = message.PayloadType,
            PayloadSha256 = ByteString.CopyFrom(SHA256.HashData(payload)),
            ReceiptSha256 = ByteString.CopyFrom(SHA256.HashData(message.ReceiptEnvelope ?? [])),
            CertificateNumber = message.CertificateNumber,
            CreatedAt = header.CreatedAt ?? Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.SpecifyKind(message.CreatedAt, DateTimeKind.Utc)),
        };
    }

    /// <summary>Our signed digest of <paramref name="entries"/> for <paramref name="partner"/>, with our audit chain head as it is now.</summary>
    public Envelope SignHistoryDigest(string partner, HistoryPeriod period, IEnumerable<SharedHistoryEntry> entries)
    {
        var (sequence, hash) = store.Write(w => w.AuditHead());
        var digest = new HistoryDigest
        {
            Header = Header(ids.Next(), partner, time.GetUtcNow()),
            FromDate = period.FromText,
            ThroughDate = period.ThroughText,
            AuditSequence = sequence,
            AuditHash = hash,
        };
        digest.Days.Add(Days(entries));
        return signer.Sign(PayloadTypes.HistoryDigest, digest.ToByteArray());
    }

    /// <summary>
    /// Verifies a digest <paramref name="partner"/> signed for us and keeps it: the partner's audit head is what we
    /// hold it to. A head behind the one we hold (the partner's audit log lost entries) does not replace it.
    /// </summary>
    public HistoryDigest KeepPartnerDigest(Partner partner, Envelope envelope)
    {
        var now = time.GetUtcNow();
        var verified = VerifyFromPartner(partner, envelope, now, "digest");
        if (verified.PayloadType != PayloadTypes.HistoryDigest)
            throw WorkflowException.Invalid("digest.payloadType", $"'{verified.PayloadType}' is not a history digest");
        HistoryDigest digest;
        try
        {
            digest = HistoryDigest.Parser.ParseFrom(verified.Payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw WorkflowException.Invalid("digest.payload", $"not a valid HistoryDigest: {e.Message}");
        }

        CheckHeader(digest.Header, partner);
        var bytes = envelope.ToByteArray();
        store.Write(w =>
        {
            var held = w.FindPartnerHistory(partner.Code) ?? StoredPartnerHistory.Empty(partner.Code);
            if (digest.AuditSequence < held.HeldAuditSequence)
            {
                w.Audit(partner.Code, "history.head-behind", partner.Code,
                    $"{partner.Code} signed audit head {digest.AuditSequence}, behind head {held.HeldAuditSequence} it gave us before; we keep that one");
                return 0;
            }

            w.PutPartnerHistory(held with { HeldDigest = bytes, HeldAuditSequence = digest.AuditSequence, HeldAuditHash = digest.AuditHash, HeldAt = now.UtcDateTime });
            return 0;
        });
        return digest;
    }

    /// <summary>The latest digest <paramref name="partner"/> signed for us, exactly as it signed it; null when we hold none.</summary>
    public Envelope? HeldDigestOf(string partner) =>
        store.FindPartnerHistory(partner) is { HeldDigest.Length: > 0 } held ? Envelope.Parser.ParseFrom(held.HeldDigest) : null;

    /// <summary>
    /// A message of the history shared with <paramref name="partner"/>, for the partner to restore what it lost; served
    /// only once its envelope and receipt verify (else a <see cref="DamagedRecordException"/> naming it).
    /// </summary>
    public (Envelope Envelope, Envelope Receipt) SharedMessage(string partner, string messageId)
    {
        if (store.FindMessage(messageId) is not { ReceiptEnvelope: { } receipt } message || message.Partner != partner
            || message.Status is not (MessageStatus.Delivered or MessageStatus.Rejected or MessageStatus.Received))
            throw new WorkflowException(FailureKind.NotFound, $"messageId: no message {messageId} in the history shared with {partner}");
        evidence.Message(message);
        return (Envelope.Parser.ParseFrom(message.Envelope), Envelope.Parser.ParseFrom(receipt));
    }

    /// <summary>
    /// Restores a message <paramref name="partner"/> sent us, which we lost, from the partner's copy: its envelope as
    /// delivered and our own receipt, which must verify against our root and be about that envelope.
    /// </summary>
    public async Task RestoreFromPartnerAsync(Partner partner, Envelope envelope, Envelope receiptEnvelope, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        VerifiedEnvelope verified;
        try
        {
            verified = verifier.Verify(receiptEnvelope, credentials.Anchors, now);
        }
        catch (EnvelopeVerificationException)
        {
            // Our own signing leaf may have expired since: judge the receipt as at the time it states.
            var stated = Receipt.Parser.ParseFrom(receiptEnvelope.Payload).ReceivedAt?.ToDateTimeOffset() ?? now;
            try
            {
                verified = verifier.Verify(receiptEnvelope, credentials.Anchors, stated);
            }
            catch (EnvelopeVerificationException e)
            {
                throw new WorkflowException(FailureKind.Unauthenticated, $"receipt: {e.Message}");
            }
        }

        var receipt = Receipt.Parser.ParseFrom(verified.Payload.Span);
        if (verified.PayloadType != PayloadTypes.Receipt || verified.SignerParticipant != Us || receipt.Receiver != Us || receipt.Sender != partner.Code)
            throw new WorkflowException(FailureKind.PermissionDenied, $"receipt: not our receipt for a message from {partner.Code}");
        if (!receipt.PayloadSha256.Span.SequenceEqual(SHA256.HashData(envelope.Payload.Span)))
            throw new WorkflowException(FailureKind.Conflict, $"receipt: acknowledges another payload than message {receipt.MessageId}'s");
        var header = HeaderOnly.Parser.ParseFrom(envelope.Payload).Header;
        if (header?.MessageId != receipt.MessageId)
            throw new WorkflowException(FailureKind.Conflict, $"receipt: acknowledges message {receipt.MessageId}, not {header?.MessageId}");

        await RestoreDeliveryAsync(partner, envelope,
            new RestoredReceipt(receiptEnvelope.ToByteArray(), receipt.ReceivedAt.ToDateTimeOffset(), receipt.Outcome), ct);
    }

    /// <summary>Keeps the outcome of a reconciliation with <paramref name="partner"/>, for status and the page.</summary>
    public void KeepReconciliation(string partner, string? matchesThrough, IReadOnlyList<string> differences) =>
        store.Write(w =>
        {
            var held = w.FindPartnerHistory(partner) ?? StoredPartnerHistory.Empty(partner);
            w.PutPartnerHistory(held with { ReconciledAt = time.GetUtcNow().UtcDateTime, MatchesThrough = matchesThrough, Differences = differences });
            w.Audit("node", "history.reconciled", partner,
                matchesThrough is not null ? $"matches through {matchesThrough}" : $"{differences.Count} difference(s): " + string.Join("; ", differences.Take(5)));
            return 0;
        });
}
