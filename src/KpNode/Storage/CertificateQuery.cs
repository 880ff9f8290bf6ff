using KpNode.Domain;

namespace KpNode.Storage;

/// <summary>Filters and one page of a certificate listing, ordered by number; <paramref name="After"/> is the last number of the previous page.</summary>
internal sealed record CertificateQuery(
    CertificateStatus? Status,
    string? Partner,
    CertificateDirection? Direction,
    int PageSize,
    string? After);
