namespace KpNode.Domain;

/// <summary>
/// The fields of a held certificate the node lists, counts and checks by. The signed envelope that carried the
/// certificate is the authoritative copy of its content; these are derived from it here, in <see cref="Of"/>, only.
/// </summary>
internal sealed record CertificateSummary(
    string Number,
    string ExportingParticipant,
    string ImportingParticipant,
    DateOnly DateOfIssue,
    DateOnly DateOfExpiry,
    int Parcels,
    Carats Carats,
    UsDollars Value,
    IReadOnlyList<HsLine> HsLines,
    IReadOnlyList<string> OriginCountries,
    string? Replaces)
{
    /// <summary>The container or seal number, null when the certificate names none: one seal closes one shipment.</summary>
    public string? SealNumber { get; init; }

    /// <summary>The issuing office, null for a participant that issues as one authority.</summary>
    public string? IssuingOffice { get; init; }

    public static CertificateSummary Of(Certificate c) => new(
        c.Number, c.ExportingParticipant, c.ImportingParticipant, c.DateOfIssue, c.DateOfExpiry, c.Parcels, c.Carats, c.Value,
        c.HsLines, c.OriginCountries, string.IsNullOrEmpty(c.Replaces) ? null : c.Replaces)
    {
        SealNumber = string.IsNullOrEmpty(c.SealNumber) ? null : c.SealNumber,
        IssuingOffice = string.IsNullOrEmpty(c.IssuingOffice) ? null : c.IssuingOffice,
    };

    // Written out because a record compares lists by reference.
    public bool Equals(CertificateSummary? other) =>
        other is not null && Number == other.Number && ExportingParticipant == other.ExportingParticipant
        && ImportingParticipant == other.ImportingParticipant && DateOfIssue == other.DateOfIssue && DateOfExpiry == other.DateOfExpiry
        && Parcels == other.Parcels && Carats == other.Carats && Value == other.Value && HsLines.SequenceEqual(other.HsLines)
        && OriginCountries.SequenceEqual(other.OriginCountries) && Replaces == other.Replaces && SealNumber == other.SealNumber
        && IssuingOffice == other.IssuingOffice;

    public override int GetHashCode() => HashCode.Combine(Number, DateOfIssue, Carats, Value);
}

/// <summary>A step in a held certificate's life, kept so an operator can see how it got to its status.</summary>
internal sealed record HistoryEntry(DateTime At, CertificateStatus Status, string Text);
