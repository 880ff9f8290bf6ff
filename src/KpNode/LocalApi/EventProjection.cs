using System.Text.RegularExpressions;
using KpNode.Storage;
using KpNode.Wire;
using KpNode.Wire.V1;
using DomainStatus = KpNode.Domain.CertificateStatus;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;

namespace KpNode.LocalApi;

/// <summary>
/// The event stream as a projection of the audit log: every state change is already an entry there, written in the
/// same transaction as the change, numbered without gaps and kept for years, so the entry's id is a durable, ordered
/// cursor. Entries whose action is not an event (issued, asked, reconciled…) are skipped, not renumbered.
/// </summary>
internal static partial class EventProjection
{
    /// <summary>The event an audit entry records, or null when its action is none; <paramref name="partnerOf"/> finds a certificate's partner.</summary>
    public static NodeEvent? Project(AuditEntry entry, Func<string, string?> partnerOf)
    {
        var detail = entry.Detail;
        (EventKind Kind, DomainStatus? Status, string? Partner, string Text) projected = entry.Action switch
        {
            // Importer: written by the inbound workflow, the partner as actor ("certificate.accepted", "void.accepted"…).
            "certificate.accepted" => (EventKind.CertificateReceived, DomainStatus.Received, entry.Actor, $"received from {entry.Actor}"),
            "certificate.refused" => (EventKind.CertificateRejected, null, entry.Actor, $"from {entry.Actor}, refused: {Reason(detail)}"),
            "void.accepted" => (EventKind.CertificateVoided, DomainStatus.Voided, entry.Actor, $"voided by its exporter {entry.Actor}"),
            "confirmation.accepted" => (EventKind.CertificateConfirmed, Now(detail) ?? DomainStatus.Confirmed, entry.Actor,
                $"{Now(detail) ?? DomainStatus.Confirmed} in {entry.Actor}'s import confirmation"),
            "revocation.accepted" => (EventKind.RevocationReceived, null, entry.Actor, $"from {entry.Actor}: {Note(detail)}"),
            // Exporter: the partner's receipt for a message of ours; only the certificate's own moves it.
            "receipt.accepted" when Kind(detail) == "certificate" => (EventKind.CertificateDelivered, DomainStatus.Delivered, entry.Actor,
                $"delivered to {entry.Actor}, receipt signed"),
            "receipt.rejected" when Kind(detail) == "certificate" => (EventKind.CertificateRejected, DomainStatus.Rejected, entry.Actor,
                $"{entry.Actor} refused it: {Reason(detail)}"),
            // Our own operators and timers.
            "import.confirmed" or "import.discrepancy" or "import.detained" => (EventKind.CertificateConfirmed,
                Enum.Parse<DomainStatus>(entry.Action["import.".Length..], ignoreCase: true), partnerOf(entry.Subject),
                $"{entry.Action["import.".Length..]} by {entry.Actor}: {detail}"),
            "certificate.voided" => (EventKind.CertificateVoided, DomainStatus.Voided, partnerOf(entry.Subject), $"voided by {entry.Actor}: {detail}"),
            // Before certificate.undeliverable was written, an expiry never delivered said so only in its reason (HeldCertificate.Expire).
            "certificate.expired" when detail.StartsWith("never delivered to ", StringComparison.Ordinal) =>
                (EventKind.CertificateUndeliverable, DomainStatus.Undeliverable, partnerOf(entry.Subject), detail),
            "certificate.expired" => (EventKind.CertificateExpired, DomainStatus.Expired, partnerOf(entry.Subject), Or(detail, "expired")),
            "certificate.undeliverable" => (EventKind.CertificateUndeliverable, DomainStatus.Undeliverable, partnerOf(entry.Subject), detail),
            "partner.link-down" => (EventKind.PartnerLinkDown, null, entry.Subject, $"deliveries to {entry.Subject} pause: {detail}"),
            "partner.link-up" => (EventKind.PartnerLinkUp, null, entry.Subject, detail),
            _ => (EventKind.Unspecified, null, null, ""),
        };
        var (kind, status, partner, text) = projected;
        if (kind == EventKind.Unspecified)
            return null;

        var isCertificate = kind is not (EventKind.PartnerLinkDown or EventKind.PartnerLinkUp or EventKind.RevocationReceived);
        return new NodeEvent
        {
            Cursor = Cursor(entry.Id),
            Kind = kind,
            Time = Timestamp.FromDateTime(DateTime.SpecifyKind(entry.At, DateTimeKind.Utc)),
            CertificateNumber = isCertificate ? entry.Subject : "",
            Partner = partner ?? "",
            Status = status is { } s ? StatusMapping.ToWire(s) : Wire.V1.CertificateStatus.Unspecified,
            Text = text,
        };
    }

    /// <summary>The cursor of the audit entry <paramref name="id"/>: its number, which only grows.</summary>
    public static string Cursor(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // "message ID (certificate)…", the receipt entry's message kind.
    private static string? Kind(string detail) => ReceiptKind().Match(detail) is { Success: true } m ? m.Groups[1].Value : null;

    // "…; now Discrepancy…", the status an accepted message left (CertificateWorkflow.Inbound).
    private static DomainStatus? Now(string detail) =>
        NowStatus().Match(detail) is { Success: true } m && Enum.TryParse<DomainStatus>(m.Groups[1].Value, out var status) ? status : null;

    // What follows "message ID; " or "message ID (kind); ": a refusal's reason, a revocation's note.
    private static string Reason(string detail) => detail.IndexOf("; ", StringComparison.Ordinal) is var at and >= 0 ? detail[(at + 2)..] : detail;

    private static string Note(string detail) => Or(string.Join("; ", detail.Split("; ").Skip(1).Where(p => !p.StartsWith("now ", StringComparison.Ordinal))), "new list");

    private static string Or(string text, string otherwise) => text.Length > 0 ? text : otherwise;

    [GeneratedRegex(@"^message \S+ \(([a-z ]+)\)")]
    private static partial Regex ReceiptKind();

    [GeneratedRegex(@"; now ([A-Za-z]+)(?:;|$)")]
    private static partial Regex NowStatus();
}
