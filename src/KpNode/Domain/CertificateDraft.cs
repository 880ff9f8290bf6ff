namespace KpNode.Domain;

/// <summary>
/// A certificate as a user types it or a partner sends it, before any rule is checked: every
/// field of <c>kp.v1.Certificate</c>, with dates still as written ("YYYY-MM-DD").
/// </summary>
internal sealed record CertificateDraft
{
    /// <summary>Empty when the node is to number it.</summary>
    public string? Number { get; init; }
    public IReadOnlyList<string> OriginCountries { get; init; } = [];
    public bool MixedOrigin { get; init; }
    public string? ProvenanceCountry { get; init; }
    public string? ExportingParticipant { get; init; }
    public string? ImportingParticipant { get; init; }
    public string? ExportingAuthority { get; init; }
    public Party? Exporter { get; init; }
    public Party? Importer { get; init; }
    public int Parcels { get; init; }
    public Carats Carats { get; init; }
    public UsDollars Value { get; init; }
    public IReadOnlyList<HsLine> HsLines { get; init; } = [];
    public string? DateOfIssue { get; init; }
    public string? DateOfExpiry { get; init; }
    public string? SealNumber { get; init; }
    public bool InTransit { get; init; }
    public string? QualityCharacteristics { get; init; }
    public string? Remarks { get; init; }
    public string? Replaces { get; init; }
    public string? OriginZone { get; init; }

    /// <summary>The issuing office of a participant with several (e.g. BE-ANTWERP); empty otherwise.</summary>
    public string? IssuingOffice { get; init; }
}
