using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KpNode.Bench.Common;
using KpNode.Domain;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Certificate = KpNode.Wire.V1.Certificate;
using CertificateDirection = KpNode.Domain.CertificateDirection;

namespace KpNode.Bench.Store;

/// <summary>One generated certificate as the node would hold it: the document, its messages (the certificate's first), its audit entries.</summary>
internal sealed record FilledCertificate(HeldCertificate Certificate, PartnerMessage[] Messages, (string Actor, string Action, string Detail)[] Audits)
{
    public PartnerMessage Message => Messages[0];
}

/// <summary>
/// Generates a node's history: certificates issued to and received from partners in the trade mix, over the
/// last two years, each with its real signed envelope, the partner's real signed receipt, its outbox or inbox
/// message and its audit entries, in the statuses a running node would have left them: a certificate past its
/// expiry was confirmed by the importer (with the signed confirmation and its receipt) or, one in
/// <see cref="ExpiredOneIn"/>, expired unconfirmed; a few were voided; the newest ones are still open.
/// </summary>
internal sealed class StoreFiller(string node, TradeMix mix, IReadOnlyDictionary<string, EnvelopeSigner> signers, int total, int seed)
{
    private static readonly DateOnly FirstDay = new(2025, 1, 1);
    private static readonly DateOnly LastDay = new(2026, 11, 20);
    private const int ExpiredOneIn = 30;

    private readonly Random _random = new(seed);
    private readonly Dictionary<string, long> _sequences = new(StringComparer.Ordinal);
    private int _next;

    /// <summary>The highest sequence used per "PREFIX-YEAR", to store so the node numbers on from there.</summary>
    public IReadOnlyDictionary<string, long> Sequences => _sequences;

    private sealed record Plan(int Index, string Partner, CertificateDirection Direction, string Number, DateOnly Issued, Certificate Draft, string MessageId);

    /// <summary>The next <paramref name="count"/> certificates; numbering is sequential, signing runs in parallel.</summary>
    public FilledCertificate[] NextBatch(int count)
    {
        var plans = new Plan[Math.Min(count, total - _next)];
        for (var i = 0; i < plans.Length; i++)
            plans[i] = PlanNext();
        var batch = new FilledCertificate[plans.Length];
        Parallel.For(0, plans.Length, i => batch[i] = Build(plans[i]));
        return batch;
    }

    private Plan PlanNext()
    {
        var index = _next++;
        var partner = mix.Pick(_random).Code;
        var direction = _random.Next(2) == 0 ? CertificateDirection.Outbound : CertificateDirection.Inbound;
        var issued = FirstDay.AddDays((int)((long)index * (LastDay.DayNumber - FirstDay.DayNumber) / Math.Max(1, total)));
        var exporter = direction == CertificateDirection.Outbound ? node : partner;
        var importer = direction == CertificateDirection.Outbound ? partner : node;
        var key = $"{exporter}-{issued.Year}";
        var sequence = _sequences[key] = _sequences.GetValueOrDefault(key) + 1;
        var draft = TradeMix.Draft(_random, exporter, importer);
        draft.Number = CertificateNumber.Format(exporter, issued.Year, sequence);
        draft.ExportingParticipant = exporter;
        draft.ExportingAuthority = $"KP authority of {exporter}";
        draft.DateOfIssue = issued.ToString("yyyy-MM-dd");
        draft.DateOfExpiry = issued.AddDays(60).ToString("yyyy-MM-dd");
        var at = issued.ToDateTime(new TimeOnly(9, 0), DateTimeKind.Utc).AddSeconds(index % 28_800);
        var messageId = Guid.CreateVersion7(new DateTimeOffset(at)).ToString("D");
        return new Plan(index, partner, direction, draft.Number, issued, draft, messageId);
    }

    private FilledCertificate Build(Plan p)
    {
        var rules = CertificateRules.Validate(CertificateMapping.ToDraft(p.Draft), new CertificateRulesContext(p.Issued, [p.Draft.ExportingParticipant]));
        if (!rules.IsValid)
            throw new InvalidOperationException($"generated draft {p.Number} is invalid: {string.Join("; ", rules.Violations.Select(v => $"{v.Field}: {v.Rule}"))}");
        var certificate = rules.Certificate!;
        var exporter = certificate.ExportingParticipant;
        var importer = certificate.ImportingParticipant;
        var created = p.Issued.ToDateTime(new TimeOnly(9, 0), DateTimeKind.Utc).AddSeconds(p.Index % 28_800);
        var payload = new CertificateIssued
        {
            Header = new MessageHeader { MessageId = p.MessageId, Sender = exporter, Receiver = importer, CreatedAt = Timestamp.FromDateTime(created) },
            Certificate = CertificateMapping.ToProto(certificate),
        }.ToByteArray();
        var envelope = signers[exporter].Sign(PayloadTypes.CertificateIssued, payload).ToByteArray();
        var digest = SHA256.HashData(payload);
        var received = created.AddSeconds(1);

        // The newest few outbound certificates are still waiting for their receipt; a few older ones were voided.
        var pending = p.Direction == CertificateDirection.Outbound && p.Index >= total - 20;
        var receipt = pending ? null : AcceptingReceipt(p.MessageId, digest, exporter, importer, received);

        HeldCertificate doc;
        PartnerMessage message;
        PartnerMessage? confirmation = null;
        (string, string, string)[] audits;
        if (p.Direction == CertificateDirection.Outbound)
        {
            doc = HeldCertificate.Issue(certificate, p.Partner, p.MessageId, "operator", created);
            message = new PartnerMessage
            {
                Id = p.MessageId,
                Direction = MessageDirection.Outbound,
                Partner = p.Partner,
                PayloadType = PayloadTypes.CertificateIssued,
                CertificateNumber = p.Number,
                Envelope = envelope,
                PayloadSha256 = digest,
                Status = MessageStatus.Pending,
                NextAttemptAt = created,
                DeliverBy = CertificateWorkflow.EndOfDay(certificate.DateOfExpiry),
                CreatedAt = created,
                Attempts = 0,
            };
            audits = [("operator", "certificate.issued", $"to {p.Partner}; message {p.MessageId}; {certificate.Carats}; {certificate.Value}")];
            if (receipt is not null)
            {
                message.Status = MessageStatus.Delivered;
                message.ReceiptEnvelope = receipt;
                message.CompletedAt = message.LastAttemptAt = received;
                doc.Deliver(p.Partner, received);
                audits = [.. audits, (p.Partner, "receipt.accepted", $"message {p.MessageId}")];
                if (p.Index % 200 == 0)
                {
                    confirmation = Voided(p, certificate, doc, received.AddDays(2));
                    audits = [.. audits, ("operator", "certificate.voided", "shipment not sent")];
                }
                else
                {
                    confirmation = Close(p, certificate, doc, MessageDirection.Inbound, ref audits);
                }
            }
        }
        else
        {
            doc = HeldCertificate.Receive(certificate, p.Partner, p.MessageId, received);
            message = new PartnerMessage
            {
                Id = p.MessageId,
                Direction = MessageDirection.Inbound,
                Partner = p.Partner,
                PayloadType = PayloadTypes.CertificateIssued,
                CertificateNumber = p.Number,
                Envelope = envelope,
                PayloadSha256 = digest,
                Status = MessageStatus.Received,
                NextAttemptAt = received,
                DeliverBy = received,
                CreatedAt = received,
                CompletedAt = received,
                ReceiptEnvelope = receipt,
            };
            audits = [(p.Partner, "certificate.received", $"message {p.MessageId}")];
            confirmation = Close(p, certificate, doc, MessageDirection.Outbound, ref audits);
        }

        return new FilledCertificate(doc, confirmation is null ? [message] : [message, confirmation], audits);
    }

    /// <summary>The receiver's signed receipt accepting message <paramref name="id"/> (payload SHA-256 <paramref name="digest"/>) at <paramref name="at"/>.</summary>
    private byte[] AcceptingReceipt(string id, byte[] digest, string sender, string receiver, DateTime at) =>
        signers[receiver].Sign(PayloadTypes.Receipt, new Receipt
        {
            MessageId = id,
            PayloadSha256 = ByteString.CopyFrom(digest),
            Sender = sender,
            Receiver = receiver,
            ReceivedAt = Timestamp.FromDateTime(at),
            Outcome = ReceiptOutcome.Accepted,
        }.ToByteArray()).ToByteArray();

    /// <summary>The exporter voided an outbound certificate: the signed void, and the importer's signed receipt for it.</summary>
    private PartnerMessage Voided(Plan p, Domain.Certificate certificate, HeldCertificate doc, DateTime at)
    {
        var importer = certificate.ImportingParticipant;
        var exporter = certificate.ExportingParticipant;
        var id = Guid.CreateVersion7(new DateTimeOffset(at)).ToString("D");
        var payload = new CertificateVoided
        {
            Header = new MessageHeader { MessageId = id, Sender = exporter, Receiver = importer, CreatedAt = Timestamp.FromDateTime(at) },
            CertificateNumber = certificate.Number,
            Reason = "shipment not sent",
            DateVoided = KpDate.Text(at),
        }.ToByteArray();
        var digest = SHA256.HashData(payload);
        var receipt = AcceptingReceipt(id, digest, exporter, importer, at.AddSeconds(1));
        doc.Void("operator", "shipment not sent", id, importerTold: true, at);
        return new PartnerMessage
        {
            Id = id,
            Direction = MessageDirection.Outbound,
            Partner = p.Partner,
            PayloadType = PayloadTypes.CertificateVoided,
            CertificateNumber = certificate.Number,
            Envelope = signers[exporter].Sign(PayloadTypes.CertificateVoided, payload).ToByteArray(),
            PayloadSha256 = digest,
            Status = MessageStatus.Delivered,
            NextAttemptAt = at,
            DeliverBy = at.AddDays(90),
            CreatedAt = at,
            CompletedAt = at.AddSeconds(1),
            LastAttemptAt = at,
            ReceiptEnvelope = receipt,
        };
    }

    /// <summary>
    /// The end of a certificate's life once it is past its expiry: the importer confirmed it (the confirmation
    /// message, in <paramref name="direction"/> at this node, with the receiving side's signed receipt), or it expired.
    /// </summary>
    private PartnerMessage? Close(Plan p, Domain.Certificate certificate, HeldCertificate doc, MessageDirection direction,
        ref (string, string, string)[] audits)
    {
        var expiry = certificate.DateOfExpiry;
        if (expiry >= LastDay)
            return null;

        var at = expiry.AddDays(-30).ToDateTime(new TimeOnly(11, 0), DateTimeKind.Utc).AddSeconds(p.Index % 28_800);
        if (p.Index % ExpiredOneIn == 0)
        {
            doc.Expire(expiry.AddDays(1), expiry.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
            audits = [.. audits, ("expiry", "certificate.expired", doc.StatusReason!)];
            return null;
        }

        var importer = certificate.ImportingParticipant;
        var exporter = certificate.ExportingParticipant;
        var id = Guid.CreateVersion7(new DateTimeOffset(at)).ToString("D");
        var payload = new ImportConfirmation
        {
            Header = new MessageHeader { MessageId = id, Sender = importer, Receiver = exporter, CreatedAt = Timestamp.FromDateTime(at) },
            CertificateNumber = certificate.Number,
            Outcome = Wire.V1.ImportOutcome.Confirmed,
            ParcelsReceived = certificate.Parcels,
            CaratsReceivedHundredths = certificate.Carats.Hundredths,
            ValueReceivedUsdCents = certificate.Value.Cents,
            DateOfReceipt = KpDate.Text(at),
        }.ToByteArray();
        var digest = SHA256.HashData(payload);
        var receipt = AcceptingReceipt(id, digest, importer, exporter, at.AddSeconds(1));
        var message = new PartnerMessage
        {
            Id = id,
            Direction = direction,
            Partner = p.Partner,
            PayloadType = PayloadTypes.ImportConfirmation,
            CertificateNumber = certificate.Number,
            Envelope = signers[importer].Sign(PayloadTypes.ImportConfirmation, payload).ToByteArray(),
            PayloadSha256 = digest,
            Status = direction == MessageDirection.Outbound ? MessageStatus.Delivered : MessageStatus.Received,
            NextAttemptAt = at,
            DeliverBy = at.AddDays(90),
            CreatedAt = at,
            CompletedAt = at.AddSeconds(1),
            LastAttemptAt = at,
            ReceiptEnvelope = receipt,
        };
        var report = new ImportReport(certificate.Number, Domain.ImportOutcome.Confirmed, certificate.Parcels, certificate.Carats.Hundredths,
            certificate.Value.Cents, KpDate.Text(at), "");
        var refusal = direction == MessageDirection.Outbound
            ? doc.ConfirmImport(report, "operator", id, at)
            : doc.RecordConfirmation(report, p.Partner, id, at);
        if (refusal is not null)
            throw new InvalidOperationException($"the filler planned a confirmation its lifecycle refuses: {refusal}");
        audits = [.. audits, (direction == MessageDirection.Outbound ? "operator" : p.Partner, "import.confirmed", "figures match")];
        return message;
    }
}
