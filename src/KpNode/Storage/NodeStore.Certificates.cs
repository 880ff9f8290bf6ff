using System.Globalization;
using KpNode.Domain;
using LiteDB;

namespace KpNode.Storage;

/// <summary>The certificate queries, each answered as held certificates mapped from their documents.</summary>
internal sealed partial class NodeStore
{
    // The store's own key order (its collation, see Open), for merging pages read from it.
    private static readonly StringComparer NumberOrder = StringComparer.Create(CultureInfo.InvariantCulture, ignoreCase: true);
    // How many audit entries RecentCertificates reads per certificate it wants: a certificate has a few entries.
    private const int AuditEntriesPerRecentCertificate = 8;

    public HeldCertificate? FindCertificate(string number)
    {
        ArgumentNullException.ThrowIfNull(number);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Certificates.FindById(number)?.ToHeld();
    }

    public IReadOnlyList<HeldCertificate> ListCertificates(CertificateQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageSize);
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Fixed expression texts with parameters: LiteDB re-parses each new text (see NOTES).
        var terms = new List<string>();
        var args = new List<BsonValue>();
        void Term(string expression, BsonValue value)
        {
            terms.Add($"{expression} = @{args.Count}");
            args.Add(value);
        }

        if (query.Partner is not null)
        {
            // A range of the partner+status+number index per status, each read only as far as one page, then
            // merged in number order: a page costs a few pages of index whatever the partner's history.
            var statuses = query.Status is { } status ? [status] : Enum.GetValues<CertificateStatus>();
            return statuses
                .SelectMany(s => PartnerPage(query.Partner, s, query.Direction, query.After, query.PageSize))
                .OrderBy(c => c.Id, NumberOrder)
                .Take(query.PageSize)
                .Select(c => c.ToHeld())
                .ToList();
        }

        if (query.Status is { } onlyStatus)
        {
            var (from, to) = OneStatus(onlyStatus);
            terms.Add($"{StatusKeyIndex} BETWEEN @{args.Count} AND @{args.Count + 1}");
            args.Add(from);
            args.Add(to);
        }

        if (query.Direction is not null)
            Term("$.Direction", Bson(query.Direction.Value));
        if (query.After is not null)
        {
            terms.Add($"$._id > @{args.Count}");
            args.Add(query.After);
        }

        var found = Certificates.Query();
        if (terms.Count > 0)
            found = found.Where(string.Join(" AND ", terms), args.ToArray());
        return found.OrderBy(x => x.Id).Limit(query.PageSize).ToEnumerable().Select(c => c.ToHeld()).ToList();
    }

    private List<CertificateDocument> PartnerPage(string partner, CertificateStatus status, CertificateDirection? direction, string? after, int pageSize)
    {
        var prefix = CertificateDocument.StatusKeyPrefix(status, partner);
        var page = Certificates.Query().Where($"{StatusKeyIndex} BETWEEN @0 AND @1", prefix + (after ?? ""), prefix + AfterEveryNumber);
        if (direction is not null)
            page = page.Where("$.Direction = @0", Bson(direction.Value));
        if (after is not null)
            page = page.Where("$._id > @0", after);
        return page.OrderBy(StatusKeyIndex).Limit(pageSize).ToList();
    }

    // Every certificate in one status: a range of the StatusKey index.
    private static (string From, string To) OneStatus(CertificateStatus status)
    {
        var prefix = CertificateDocument.StatusKeyPrefix(status);
        return (prefix, prefix + AfterEveryNumber);
    }

    public IReadOnlyList<HeldCertificate> SealedWith(string sealNumber, int max)
    {
        ArgumentException.ThrowIfNullOrEmpty(sealNumber);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Certificates.Query().Where("$.SealNumber = @0", sealNumber).OrderBy(x => x.Id).Limit(max)
            .ToEnumerable().Select(c => c.ToHeld()).ToList();
    }

    public IReadOnlyList<HeldCertificate> RecentCertificates(int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Every change to a certificate is audited under its number, so the newest audit entries name the
        // certificates that changed last (an index on the update time would cost every write two index moves).
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var recent = new List<HeldCertificate>();
        var subjects = AuditLog.Query().OrderByDescending(x => x.Id).Select(x => x.Subject)
            .Limit(max * AuditEntriesPerRecentCertificate).ToEnumerable();
        foreach (var subject in subjects)
        {
            if (seen.Add(subject) && Certificates.FindById(subject) is { } certificate)
            {
                recent.Add(certificate.ToHeld());
                if (recent.Count == max)
                    break;
            }
        }

        return recent;
    }

    public IReadOnlyList<HeldCertificate> ExpiringBefore(DateTime date, CertificateStatus status, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (from, to) = OneStatus(status);
        return Certificates.Query()
            .Where($"{StatusKeyIndex} BETWEEN @0 AND @1 AND $.DateOfExpiry < @2", from, to, Bson(date))
            .OrderBy(x => x.Id)
            .Limit(max)
            .ToEnumerable().Select(c => c.ToHeld()).ToList();
    }

    public IReadOnlyList<HeldCertificate> IssuedBetween(DateTime from, DateTime until)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Certificates.Query()
            .Where("$.DateOfIssue >= @0 AND $.DateOfIssue < @1", Bson(from), Bson(until))
            .OrderBy(x => x.Id)
            .ToEnumerable().Select(c => c.ToHeld()).ToList();
    }

    public IReadOnlyDictionary<CertificateStatus, long> CountCertificatesByStatus()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var counts = new Dictionary<CertificateStatus, long>();
        // Selecting only the index key lets LiteDB count index keys; LongCount would read every document.
        foreach (var status in Enum.GetValues<CertificateStatus>())
        {
            var (from, to) = OneStatus(status);
            counts[status] = Certificates.Query().Where($"{StatusKeyIndex} BETWEEN @0 AND @1", from, to)
                .Select(StatusKeyIndex).ToEnumerable().LongCount();
        }
        return counts;
    }
}
