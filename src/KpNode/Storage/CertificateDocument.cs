using KpNode.Domain;

namespace KpNode.Storage;

/// <summary>The stored form of a <see cref="HeldCertificate"/>: its summary fields flattened for LiteDB's indexes, its history, its message ids.</summary>
internal sealed class CertificateDocument
{
    /// <summary>The certificate number; unique, so it is the document key.</summary>
    public string Id { get; set; } = "";
    public CertificateDirection Direction { get; set; }
    /// <summary>The other participant: the importer for an outbound certificate, the exporter for an inbound one.</summary>
    public string Partner { get; set; } = "";
    public string ExportingParticipant { get; set; } = "";
    public string ImportingParticipant { get; set; } = "";
    public CertificateStatus Status { get; set; }
    /// <summary>Date only (midnight UTC).</summary>
    public DateTime DateOfIssue { get; set; }
    /// <summary>Date only (midnight UTC).</summary>
    public DateTime DateOfExpiry { get; set; }
    public int Parcels { get; set; }
    public long CaratsHundredths { get; set; }
    public long ValueUsdCents { get; set; }
    public List<HsLineDocument> HsLines { get; set; } = [];
    public List<string> OriginCountries { get; set; } = [];
    /// <summary>
    /// Id of the CertificateIssued message that carried this certificate. The message document holds the signed
    /// envelope exactly as sent or received and the receipt for it: the evidence is stored once, there.
    /// </summary>
    public string MessageId { get; set; } = "";
    /// <summary>Id of the import confirmation message (ours or the importer's), whose document holds the signed envelope.</summary>
    public string? ConfirmationMessageId { get; set; }
    /// <summary>Id of the exporter's void message, whose document holds the signed envelope.</summary>
    public string? VoidMessageId { get; set; }
    public string? Replaces { get; set; }
    /// <summary>The certificate's seal number, indexed so that issuing finds a seal still in use.</summary>
    public string? SealNumber { get; set; }
    /// <summary>The issuing office (of our participant or the partner's), null for a participant issuing as one authority.</summary>
    public string? IssuingOffice { get; set; }
    public string? ReplacedBy { get; set; }
    public string? StatusReason { get; set; }
    public List<CertificateEventDocument> History { get; set; } = [];
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    /// <summary>Status, partner and number, "Issued/IN/AE-2026-000123": the key of the store's one index for lists and counts; the store sets it on every write.</summary>
    public string StatusKey { get; set; } = "";

    /// <summary>The stored form of a held certificate; its StatusKey is set here, so every write keeps it current.</summary>
    internal static CertificateDocument From(HeldCertificate c)
    {
        var s = c.Summary;
        var document = new CertificateDocument
        {
            Id = c.Number,
            Direction = c.Direction,
            Partner = c.Partner,
            ExportingParticipant = s.ExportingParticipant,
            ImportingParticipant = s.ImportingParticipant,
            Status = c.Status,
            DateOfIssue = s.DateOfIssue.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            DateOfExpiry = s.DateOfExpiry.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            Parcels = s.Parcels,
            CaratsHundredths = s.Carats.Hundredths,
            ValueUsdCents = s.Value.Cents,
            HsLines = s.HsLines.Select(l => new HsLineDocument { HsCode = l.HsCode, CaratsHundredths = l.Carats.Hundredths, ValueUsdCents = l.Value.Cents }).ToList(),
            OriginCountries = s.OriginCountries.ToList(),
            MessageId = c.MessageId,
            ConfirmationMessageId = c.ConfirmationMessageId,
            VoidMessageId = c.VoidMessageId,
            Replaces = s.Replaces,
            SealNumber = s.SealNumber,
            IssuingOffice = s.IssuingOffice,
            ReplacedBy = c.ReplacedBy,
            StatusReason = c.StatusReason,
            History = c.History.Select(e => new CertificateEventDocument { At = e.At, Status = e.Status, Text = e.Text }).ToList(),
            CreatedAt = c.CreatedAt,
            UpdatedAt = c.UpdatedAt,
        };
        document.StatusKey = StatusKeyOf(document);
        return document;
    }

    /// <summary>The held certificate this document stores.</summary>
    internal HeldCertificate ToHeld() => HeldCertificate.Rehydrate(
        new CertificateSummary(Id, ExportingParticipant, ImportingParticipant, DateOnly.FromDateTime(DateOfIssue), DateOnly.FromDateTime(DateOfExpiry),
            Parcels, new Carats(CaratsHundredths), new UsDollars(ValueUsdCents),
            HsLines.Select(l => new HsLine(l.HsCode, new Carats(l.CaratsHundredths), new UsDollars(l.ValueUsdCents))).ToArray(),
            OriginCountries, Replaces)
        { SealNumber = SealNumber, IssuingOffice = IssuingOffice },
        Direction, Partner, MessageId, CreatedAt, Status, StatusReason, ReplacedBy, ConfirmationMessageId, VoidMessageId, UpdatedAt,
        History.Select(e => new HistoryEntry(e.At, e.Status, e.Text)));

    internal static string StatusKeyOf(CertificateDocument certificate) => StatusKeyPrefix(certificate.Status, certificate.Partner) + certificate.Id;

    /// <summary>How every StatusKey in one status, or in one status with one partner, begins.</summary>
    internal static string StatusKeyPrefix(CertificateStatus status, string? partner = null) =>
        partner is null ? $"{status}/" : $"{status}/{partner}/";
}

/// <summary>One HS code line of a certificate (7102.10, 7102.21 or 7102.31) with its weight and value.</summary>
internal sealed class HsLineDocument
{
    public string HsCode { get; set; } = "";
    public long CaratsHundredths { get; set; }
    public long ValueUsdCents { get; set; }
}

/// <summary>A step in a certificate's life, kept so an operator can see how it got to its status.</summary>
internal sealed class CertificateEventDocument
{
    public DateTime At { get; set; }
    public CertificateStatus Status { get; set; }
    public string Text { get; set; } = "";
}
