using KpNode.Domain;

namespace KpNode.Storage;

/// <summary>A KP certificate as stored by this node, issued here or received from a partner, with its evidence and history.</summary>
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
    public string? ReplacedBy { get; set; }
    public string? StatusReason { get; set; }
    public List<CertificateEventDocument> History { get; set; } = [];
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    /// <summary>Status, partner and number, "Issued/IN/AE-2026-000123": the key of the store's one index for lists and counts; the store sets it on every write.</summary>
    public string StatusKey { get; set; } = "";

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
