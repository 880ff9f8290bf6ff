namespace KpNode.Domain;

/// <summary>
/// A KP certificate that has passed <see cref="CertificateRules"/>: the same fields as the wire
/// contract, with dates and amounts typed and absent optional text as null.
/// </summary>
internal sealed record Certificate
{
    /// <summary>Empty only while a certificate validated for issuing waits for the node to number it.</summary>
    public required string Number { get; init; }
    /// <summary>Empty exactly when <see cref="MixedOrigin"/> is set.</summary>
    public required IReadOnlyList<string> OriginCountries { get; init; }
    public required bool MixedOrigin { get; init; }
    public string? ProvenanceCountry { get; init; }
    public required string ExportingParticipant { get; init; }
    public required string ImportingParticipant { get; init; }
    public required string ExportingAuthority { get; init; }
    public required Party Exporter { get; init; }
    public required Party Importer { get; init; }
    public required int Parcels { get; init; }
    public required Carats Carats { get; init; }
    public required UsDollars Value { get; init; }
    public required IReadOnlyList<HsLine> HsLines { get; init; }
    public required DateOnly DateOfIssue { get; init; }
    public required DateOnly DateOfExpiry { get; init; }
    public string? SealNumber { get; init; }
    public bool InTransit { get; init; }
    public string? QualityCharacteristics { get; init; }
    public string? Remarks { get; init; }
    public string? Replaces { get; init; }
    public string? OriginZone { get; init; }

    /// <summary>The issuing office of a participant with several (e.g. BE-ANTWERP); null otherwise.</summary>
    public string? IssuingOffice { get; init; }

    // Written out because a record compares lists by reference, and two certificates with the
    // same origins and lines are the same certificate (e.g. after a trip over the wire).
    public bool Equals(Certificate? other) =>
        other is not null
        && Number == other.Number
        && OriginCountries.SequenceEqual(other.OriginCountries)
        && MixedOrigin == other.MixedOrigin
        && ProvenanceCountry == other.ProvenanceCountry
        && ExportingParticipant == other.ExportingParticipant
        && ImportingParticipant == other.ImportingParticipant
        && ExportingAuthority == other.ExportingAuthority
        && Exporter == other.Exporter
        && Importer == other.Importer
        && Parcels == other.Parcels
        && Carats == other.Carats
        && Value == other.Value
        && HsLines.SequenceEqual(other.HsLines)
        && DateOfIssue == other.DateOfIssue
        && DateOfExpiry == other.DateOfExpiry
        && SealNumber == other.SealNumber
        && InTransit == other.InTransit
        && QualityCharacteristics == other.QualityCharacteristics
        && Remarks == other.Remarks
        && Replaces == other.Replaces
        && OriginZone == other.OriginZone
        && IssuingOffice == other.IssuingOffice;

    public override int GetHashCode() =>
        HashCode.Combine(Number, ExportingParticipant, ImportingParticipant, Carats, Value, DateOfIssue);
}
