using KpNode.Domain;

namespace KpNode.Storage;

/// <summary>
/// Filters and one page of a certificate listing, ordered by number (the highest first when <paramref name="NewestFirst"/>:
/// each issuer numbers in order, so its newest come first); <paramref name="After"/> is the last number of the previous page.
/// <paramref name="Office"/> is one office's view: what it issued, and everything received.
/// </summary>
internal sealed record CertificateQuery(
    CertificateStatus? Status,
    string? Partner,
    CertificateDirection? Direction,
    int PageSize,
    string? After,
    string? NumberPrefix = null,
    string? Exporter = null,
    string? Importer = null,
    DateOnly? IssuedFrom = null,
    DateOnly? IssuedTo = null,
    bool NewestFirst = false,
    string? SealNumber = null,
    string? Office = null);
