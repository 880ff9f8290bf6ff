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
        return Reading($"certificate {number}", () => Certificates.FindById(number)?.ToHeld());
    }

    public IReadOnlyList<HeldCertificate> ListCertificates(CertificateQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.PageSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return OrOneByOne("a certificate of this list", () => ListByIndex(query),
            () => CertificatesOneByOne(Matching(query), query.NewestFirst, query.After, query.PageSize));
    }

    private IReadOnlyList<HeldCertificate> ListByIndex(CertificateQuery query)
    {
        if (query.Partner is not null)
        {
            // A range of the partner+status+number index per status, each read only as far as one page, then
            // merged in number order: a page costs a few pages of index whatever the partner's history.
            var statuses = query.Status is { } status ? [status] : Enum.GetValues<CertificateStatus>();
            var merged = statuses.SelectMany(s => PartnerPage(query with { Status = s }));
            return (query.NewestFirst ? merged.OrderByDescending(c => c.Id, NumberOrder) : merged.OrderBy(c => c.Id, NumberOrder))
                .Take(query.PageSize)
                .Select(c => c.ToHeld())
                .ToList();
        }

        var where = new Terms(this);
        if (query.Status is { } onlyStatus)
        {
            var (from, to) = OneStatus(onlyStatus);
            where.Add($"{StatusKeyIndex} BETWEEN @{{0}} AND @{{1}}", from, to);
        }

        where.AddFilters(query);
        var found = where.Apply(Certificates.Query());
        found = query.NewestFirst ? found.OrderByDescending(x => x.Id) : found.OrderBy(x => x.Id);
        return found.Limit(query.PageSize).ToEnumerable().Select(c => c.ToHeld()).ToList();
    }

    private List<CertificateDocument> PartnerPage(CertificateQuery query)
    {
        var prefix = CertificateDocument.StatusKeyPrefix(query.Status!.Value, query.Partner);
        var where = new Terms(this);
        // The page's part of this partner's range: after (or before) the last number of the previous page.
        if (query.NewestFirst)
            where.Add($"{StatusKeyIndex} BETWEEN @{{0}} AND @{{1}}", prefix, prefix + (query.After ?? AfterEveryNumber));
        else
            where.Add($"{StatusKeyIndex} BETWEEN @{{0}} AND @{{1}}", prefix + (query.After ?? ""), prefix + AfterEveryNumber);
        where.AddFilters(query);
        var page = where.Apply(Certificates.Query());
        page = query.NewestFirst ? page.OrderByDescending(StatusKeyIndex) : page.OrderBy(StatusKeyIndex);
        return page.Limit(query.PageSize).ToList();
    }

    /// <summary>
    /// A conjunction of parameterised terms: the expression texts are fixed and only the parameters change, because
    /// LiteDB parses each new text again (see NOTES). "{0}" in a term stands for its first parameter's number.
    /// </summary>
    private sealed class Terms(NodeStore store)
    {
        private readonly List<string> _terms = [];
        private readonly List<BsonValue> _args = [];

        public void Add(string term, params BsonValue[] values)
        {
            _terms.Add(string.Format(CultureInfo.InvariantCulture, term, Enumerable.Range(_args.Count, values.Length).Cast<object>().ToArray()));
            _args.AddRange(values);
        }

        /// <summary>The filters other than status and partner, which choose the index range.</summary>
        public void AddFilters(CertificateQuery query)
        {
            if (query.Direction is { } direction)
                Add("$.Direction = @{0}", store.Bson(direction));
            if (query.After is not null)
                Add(query.NewestFirst ? "$._id < @{0}" : "$._id > @{0}", query.After);
            if (query.NumberPrefix is not null)
                Add("$._id BETWEEN @{0} AND @{1}", query.NumberPrefix, query.NumberPrefix + AfterEveryNumber);
            if (query.Exporter is not null)
                Add("$.ExportingParticipant = @{0}", query.Exporter);
            if (query.Importer is not null)
                Add("$.ImportingParticipant = @{0}", query.Importer);
            if (query.SealNumber is not null)
                Add("$.SealNumber = @{0}", query.SealNumber);
            if (query.Office is not null)
                Add("($.Direction = @{0} OR $.IssuingOffice = @{1})", store.Bson(CertificateDirection.Inbound), query.Office);
            if (query.IssuedFrom is { } from)
                Add("$.DateOfIssue >= @{0}", store.Bson(from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)));
            if (query.IssuedTo is { } to)
                Add("$.DateOfIssue <= @{0}", store.Bson(to.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)));
        }

        public ILiteQueryable<CertificateDocument> Apply(ILiteQueryable<CertificateDocument> query) =>
            _terms.Count == 0 ? query : query.Where(string.Join(" AND ", _terms), _args.ToArray());
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
        // Ordered here, not by LiteDB: its ORDER BY sorts through pages of a temporary file, which inside the issuing
        // transaction cost every certificate more than the lookup itself.
        return OrOneByOne("a certificate with this seal", () => Certificates.Query().Where("$.SealNumber = @0", sealNumber).Limit(max)
                .ToEnumerable().Select(c => c.ToHeld()).OrderBy(c => c.Number, NumberOrder).ToList(),
            () => CertificatesOneByOne(d => NumberOrder.Equals(d.SealNumber, sealNumber), descending: false, after: null, max));
    }

    public IReadOnlyList<HeldCertificate> RecentCertificates(int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Every change to a certificate is audited under its number, so the newest audit entries name the
        // certificates that changed last (an index on the update time would cost every write two index moves).
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var recent = new List<HeldCertificate>();
        var subjects = Reading("the audit log", () => AuditLog.Query().OrderByDescending(x => x.Id).Select(x => x.Subject)
            .Limit(max * AuditEntriesPerRecentCertificate).ToList());
        var skipped = new List<string>();
        foreach (var subject in subjects)
        {
            if (!seen.Add(subject))
                continue;
            try
            {
                if (Reading($"certificate {subject}", () => Certificates.FindById(subject)?.ToHeld()) is { } certificate)
                    recent.Add(certificate);
            }
            catch (DamagedRecordException damage)
            {
                skipped.Add(damage.Record);
            }

            if (recent.Count == max)
                break;
        }

        return new PartialList<HeldCertificate>(recent, skipped);
    }

    public IReadOnlyList<HeldCertificate> ExpiringBefore(DateTime date, CertificateStatus status, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (from, to) = OneStatus(status);
        return OrOneByOne("a certificate expiring", () => Certificates.Query()
                .Where($"{StatusKeyIndex} BETWEEN @0 AND @1 AND $.DateOfExpiry < @2", from, to, Bson(date))
                .OrderBy(x => x.Id)
                .Limit(max)
                .ToEnumerable().Select(c => c.ToHeld()).ToList(),
            () => CertificatesOneByOne(d => d.Status == status && d.DateOfExpiry < date, descending: false, after: null, max));
    }

    public IReadOnlyList<HeldCertificate> IssuedBetween(DateTime from, DateTime until)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return OrOneByOne("a certificate of this period", () => Certificates.Query()
                .Where("$.DateOfIssue >= @0 AND $.DateOfIssue < @1", Bson(from), Bson(until))
                .OrderBy(x => x.Id)
                .ToEnumerable().Select(c => c.ToHeld()).ToList(),
            () => CertificatesOneByOne(d => d.DateOfIssue >= from && d.DateOfIssue < until, descending: false, after: null, int.MaxValue));
    }

    public IReadOnlyDictionary<CertificateStatus, long> CountIssuedByOffice(string office, string numberPrefix)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // An office numbers with a prefix of its own, so its certificates are one range of numbers: read through the
        // primary key rather than a further index, which every certificate written would pay for.
        var from = numberPrefix + "-";
        return Reading("the certificates of one office", () => Certificates.Query()
            .Where("$._id BETWEEN @0 AND @1 AND $.IssuingOffice = @2", from, from + AfterEveryNumber, office)
            .ToEnumerable().GroupBy(d => d.Status).ToDictionary(g => g.Key, g => (long)g.Count()));
    }

    public IReadOnlyDictionary<CertificateStatus, long> CountCertificatesByStatus()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var counts = new Dictionary<CertificateStatus, long>();
        // Selecting only the index key lets LiteDB count index keys; LongCount would read every document.
        foreach (var status in Enum.GetValues<CertificateStatus>())
        {
            var (from, to) = OneStatus(status);
            counts[status] = Reading("the certificates' status index", () => Certificates.Query().Where($"{StatusKeyIndex} BETWEEN @0 AND @1", from, to)
                .Select(StatusKeyIndex).ToEnumerable().LongCount());
        }
        return counts;
    }
}
