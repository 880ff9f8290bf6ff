using System.Globalization;
using System.Text;
using KpNode.Storage;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.LocalApi;

/// <summary>
/// A ListCertificates request as a store query, every filter checked at once, and its opaque page token: the last
/// number of the page in base64url, so a client never builds or parses one.
/// </summary>
internal static class CertificateListing
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    /// <summary>The store query for one page, asking for one certificate more than the page to learn whether another follows.</summary>
    /// <summary>The query a listing asks for; <paramref name="callerOffice"/> (an office's operator) narrows it to that office's view.</summary>
    public static CertificateQuery ToQuery(ListCertificatesRequest request, string? callerOffice = null)
    {
        var violations = new List<Domain.Violation>();
        if (request.PageSize is < 0 or > MaxPageSize)
            violations.Add(new("pageSize", $"must be 1 to {MaxPageSize} (0 means {DefaultPageSize}); more come page by page with the next page token"));
        string? after = null;
        if (request.PageToken.Length > 0 && (after = FromPageToken(request.PageToken)) is null)
            violations.Add(new("pageToken", "is not a token this node gave out; start again without one"));
        var from = Date("issuedFrom", request.IssuedFrom, violations);
        var to = Date("issuedTo", request.IssuedTo, violations);
        if (from > to)
            violations.Add(new("issuedTo", $"{request.IssuedTo} is before issuedFrom {request.IssuedFrom}"));
        var office = string.IsNullOrWhiteSpace(request.Office) ? callerOffice : request.Office.Trim().ToUpperInvariant();
        if (callerOffice is not null && office != callerOffice)
            violations.Add(new("office", $"you act for office {callerOffice} only: leave it empty or name {callerOffice}"));
        else if (office is not null && !Domain.OfficeCode.IsWellFormed(office))
            violations.Add(new("office", $"'{Domain.Printable.Of(office, 40)}' is not an office code (e.g. BE-ANTWERP)"));
        if (violations.Count > 0)
            throw ApiErrors.Refuse(Grpc.Core.StatusCode.InvalidArgument, string.Join("; ", violations.Select(v => $"{v.Field}: {v.Rule}")), violations);

        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        return new CertificateQuery(
            StatusMapping.ToDomain(request.Status),
            Code(request.Partner),
            StatusMapping.ToDomain(request.Direction),
            pageSize + 1,
            after,
            NumberPrefix: request.NumberPrefix.Length == 0 ? null : request.NumberPrefix.Trim().ToUpperInvariant(),
            Exporter: Code(request.Exporter),
            Importer: Code(request.Importer),
            IssuedFrom: from,
            IssuedTo: to,
            NewestFirst: !request.OldestFirst,
            SealNumber: string.IsNullOrWhiteSpace(request.SealNumber) ? null : request.SealNumber.Trim(),
            Office: office);
    }

    public static string PageToken(string lastNumber) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(lastNumber)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? FromPageToken(string token)
    {
        var base64 = token.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        var bytes = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, bytes, out var length))
            return null;
        var number = Encoding.UTF8.GetString(bytes, 0, length);
        return number.Length > 0 && number.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? number : null;
    }

    private static string? Code(string code) => string.IsNullOrWhiteSpace(code) ? null : code.Trim().ToUpperInvariant();

    private static DateOnly? Date(string field, string text, List<Domain.Violation> violations)
    {
        if (text.Length == 0)
            return null;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return date;
        violations.Add(new(field, $"'{text}' is not a date written like 2026-11-26"));
        return null;
    }
}
