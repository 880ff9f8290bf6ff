namespace KpNode.Storage;

/// <summary>What a four-eyes approval is for.</summary>
internal enum ApprovalKind
{
    Issue = 1,
    Void = 2,
}

/// <summary>Where a four-eyes approval stands; only a pending one may be approved or rejected.</summary>
internal enum ApprovalState
{
    Pending = 1,
    Approved = 2,
    Rejected = 3,
}

/// <summary>
/// An issue or void one officer submitted, waiting for a second officer: for an issue the draft exactly as submitted
/// (the wire draft's bytes; nothing numbered or signed), for a void the certificate and the reason. Officers are kept by
/// operator id and display name ("n.dlamini", "N. Dlamini").
/// </summary>
internal sealed record StoredApproval(
    string Id, ApprovalKind Kind, ApprovalState State, string SubmittedById, string SubmittedByName, string? Office,
    DateTime SubmittedAt, string Partner, string Summary, byte[] Draft, string? CertificateNumber, string? Reason)
{
    public string? DecidedById { get; init; }
    public string? DecidedByName { get; init; }
    public DateTime? DecidedAt { get; init; }
    /// <summary>A rejection's reason.</summary>
    public string? DecisionReason { get; init; }
}

/// <summary>The document of <see cref="StoredApproval"/>, keyed by its id (AP-000012).</summary>
internal sealed class ApprovalDocument
{
    public string Id { get; set; } = "";
    public ApprovalKind Kind { get; set; }
    public ApprovalState State { get; set; }
    public string SubmittedById { get; set; } = "";
    public string SubmittedByName { get; set; } = "";
    public string? Office { get; set; }
    public DateTime SubmittedAt { get; set; }
    public string Partner { get; set; } = "";
    public string Summary { get; set; } = "";
    public byte[] Draft { get; set; } = [];
    public string? CertificateNumber { get; set; }
    public string? Reason { get; set; }
    public string? DecidedById { get; set; }
    public string? DecidedByName { get; set; }
    public DateTime? DecidedAt { get; set; }
    public string? DecisionReason { get; set; }

    public static ApprovalDocument From(StoredApproval a) => new()
    {
        Id = a.Id,
        Kind = a.Kind,
        State = a.State,
        SubmittedById = a.SubmittedById,
        SubmittedByName = a.SubmittedByName,
        Office = a.Office,
        SubmittedAt = a.SubmittedAt,
        Partner = a.Partner,
        Summary = a.Summary,
        Draft = a.Draft,
        CertificateNumber = a.CertificateNumber,
        Reason = a.Reason,
        DecidedById = a.DecidedById,
        DecidedByName = a.DecidedByName,
        DecidedAt = a.DecidedAt,
        DecisionReason = a.DecisionReason,
    };

    public StoredApproval ToStored() =>
        new(Id, Kind, State, SubmittedById, SubmittedByName, Office, DateTime.SpecifyKind(SubmittedAt, DateTimeKind.Utc), Partner, Summary, Draft,
            CertificateNumber, Reason)
        {
            DecidedById = DecidedById,
            DecidedByName = DecidedByName,
            DecidedAt = DecidedAt is { } at ? DateTime.SpecifyKind(at, DateTimeKind.Utc) : null,
            DecisionReason = DecisionReason,
        };
}
