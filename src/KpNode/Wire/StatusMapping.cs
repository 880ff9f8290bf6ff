using KpNode.Domain;

namespace KpNode.Wire;

/// <summary>The domain's certificate status, direction and import outcome on the wire and back; unspecified maps to null.</summary>
internal static class StatusMapping
{
    public static V1.CertificateStatus ToWire(CertificateStatus status) => status switch
    {
        CertificateStatus.Issued => V1.CertificateStatus.Issued,
        CertificateStatus.Delivered => V1.CertificateStatus.Delivered,
        CertificateStatus.Rejected => V1.CertificateStatus.Rejected,
        CertificateStatus.Received => V1.CertificateStatus.Received,
        CertificateStatus.Confirmed => V1.CertificateStatus.Confirmed,
        CertificateStatus.Discrepancy => V1.CertificateStatus.Discrepancy,
        CertificateStatus.Detained => V1.CertificateStatus.Detained,
        CertificateStatus.Voided => V1.CertificateStatus.Voided,
        CertificateStatus.Expired => V1.CertificateStatus.Expired,
        CertificateStatus.Undeliverable => V1.CertificateStatus.Undeliverable,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static CertificateStatus? ToDomain(V1.CertificateStatus status) => status switch
    {
        V1.CertificateStatus.Unspecified => null,
        V1.CertificateStatus.Issued => CertificateStatus.Issued,
        V1.CertificateStatus.Delivered => CertificateStatus.Delivered,
        V1.CertificateStatus.Rejected => CertificateStatus.Rejected,
        V1.CertificateStatus.Received => CertificateStatus.Received,
        V1.CertificateStatus.Confirmed => CertificateStatus.Confirmed,
        V1.CertificateStatus.Discrepancy => CertificateStatus.Discrepancy,
        V1.CertificateStatus.Detained => CertificateStatus.Detained,
        V1.CertificateStatus.Voided => CertificateStatus.Voided,
        V1.CertificateStatus.Expired => CertificateStatus.Expired,
        V1.CertificateStatus.Undeliverable => CertificateStatus.Undeliverable,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>A status as operators read it on the page, in the CLI and in the store ("Delivered"); "-" when unspecified.</summary>
    public static string Name(V1.CertificateStatus status) => ToDomain(status) is { } known ? Name(known) : "-";

    public static string Name(CertificateStatus status) => status.ToString();

    /// <summary>The status an operator named (any case), or null when it names none.</summary>
    public static CertificateStatus? ParseName(string name) =>
        Enum.TryParse<CertificateStatus>(name, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed : null;

    public static V1.CertificateDirection ToWire(CertificateDirection direction) => direction switch
    {
        CertificateDirection.Outbound => V1.CertificateDirection.Outbound,
        CertificateDirection.Inbound => V1.CertificateDirection.Inbound,
        _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, null),
    };

    public static CertificateDirection? ToDomain(V1.CertificateDirection direction) => direction switch
    {
        V1.CertificateDirection.Unspecified => null,
        V1.CertificateDirection.Outbound => CertificateDirection.Outbound,
        V1.CertificateDirection.Inbound => CertificateDirection.Inbound,
        _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, null),
    };

    public static V1.ImportOutcome ToWire(ImportOutcome outcome) => outcome switch
    {
        ImportOutcome.Confirmed => V1.ImportOutcome.Confirmed,
        ImportOutcome.Discrepancy => V1.ImportOutcome.Discrepancy,
        ImportOutcome.Detained => V1.ImportOutcome.Detained,
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    /// <summary>Null for unspecified and for any value this version does not know, so the rules can say which outcomes there are.</summary>
    public static ImportOutcome? ToDomain(V1.ImportOutcome outcome) => outcome switch
    {
        V1.ImportOutcome.Confirmed => ImportOutcome.Confirmed,
        V1.ImportOutcome.Discrepancy => ImportOutcome.Discrepancy,
        V1.ImportOutcome.Detained => ImportOutcome.Detained,
        _ => null,
    };

    public static V1.AuthenticityVerdict ToWire(Authenticity verdict) => verdict switch
    {
        Authenticity.Genuine => V1.AuthenticityVerdict.Genuine,
        Authenticity.Mismatch => V1.AuthenticityVerdict.Mismatch,
        Authenticity.Voided => V1.AuthenticityVerdict.Voided,
        Authenticity.Unknown => V1.AuthenticityVerdict.Unknown,
        Authenticity.Expired => V1.AuthenticityVerdict.Expired,
        Authenticity.NotDelivered => V1.AuthenticityVerdict.NotDelivered,
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, null),
    };

    /// <summary>Null for unspecified and for any value this version does not know.</summary>
    public static Authenticity? ToDomain(V1.AuthenticityVerdict verdict) => verdict switch
    {
        V1.AuthenticityVerdict.Genuine => Authenticity.Genuine,
        V1.AuthenticityVerdict.Mismatch => Authenticity.Mismatch,
        V1.AuthenticityVerdict.Voided => Authenticity.Voided,
        V1.AuthenticityVerdict.Unknown => Authenticity.Unknown,
        V1.AuthenticityVerdict.Expired => Authenticity.Expired,
        V1.AuthenticityVerdict.NotDelivered => Authenticity.NotDelivered,
        _ => null,
    };
}
