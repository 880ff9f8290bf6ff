namespace KpNode.Domain;

/// <summary>Whether a certificate is genuine, as its issuer answers an importer that asks.</summary>
internal enum Authenticity
{
    /// <summary>Issued to the one asking, delivered, valid today, and every figure asked about matches.</summary>
    Genuine = 1,
    /// <summary>Genuine, but the figures presented differ from those certified.</summary>
    Mismatch = 2,
    Voided = 3,
    /// <summary>Not a certificate the issuer issued to the one asking (or none at all): nothing leaks.</summary>
    Unknown = 4,
    /// <summary>Issued to the one asking, but past its date of expiry.</summary>
    Expired = 5,
    /// <summary>Issued, but never accepted by the importer's node: refused, given up, or still on its way.</summary>
    NotDelivered = 6,
}

/// <summary>The issuer's verdict, the figures that differ (in words), the replacement of a voided certificate, and why it is not genuine.</summary>
internal sealed record AuthenticityJudgement(Authenticity Verdict, IReadOnlyList<string> Mismatches, string? ReplacedBy, string Detail);

/// <summary>
/// An importer's question to an issuer: is this certificate genuine, with these figures? Each figure is optional
/// (0 or empty = not compared): an officer asks about what the paper in front of them shows.
/// </summary>
internal sealed record AuthenticityQuestion(string CertificateNumber, int Parcels, long CaratsHundredths)
{
    public long ValueUsdCents { get; init; }

    public IReadOnlyList<HsLine> HsLines { get; init; } = [];

    public Party? Exporter { get; init; }

    public Party? Importer { get; init; }

    /// <summary>YYYY-MM-DD, or empty.</summary>
    public string DateOfIssue { get; init; } = "";

    /// <summary>YYYY-MM-DD, or empty.</summary>
    public string DateOfExpiry { get; init; } = "";

    /// <summary>The problems with the question's own fields (a date not written YYYY-MM-DD), each naming its field.</summary>
    public List<Violation> Problems()
    {
        var problems = new List<Violation>();
        if (string.IsNullOrWhiteSpace(CertificateNumber))
            problems.Add(new Violation("certificateNumber", "required"));
        foreach (var (field, text) in new[] { ("dateOfIssue", DateOfIssue), ("dateOfExpiry", DateOfExpiry) })
        {
            if (text.Length > 0 && KpDate.Parse(text) is null)
                problems.Add(new Violation(field, $"'{text}' is not a date written YYYY-MM-DD"));
        }

        if (Parcels < 0)
            problems.Add(new Violation("parcels", "cannot be negative (0 = not compared)"));
        if (CaratsHundredths < 0)
            problems.Add(new Violation("caratsHundredths", "cannot be negative (0 = not compared)"));
        if (ValueUsdCents < 0)
            problems.Add(new Violation("valueUsdCents", "cannot be negative (0 = not compared)"));
        return problems;
    }

    /// <summary>
    /// The issuer's verdict on <paramref name="held"/>, whose signed content is <paramref name="content"/>, for
    /// <paramref name="asker"/> on <paramref name="today"/>: only the importer named on it learns anything, and only a
    /// certificate valid today is genuine. The figures are compared whatever the state, so the importer learns both.
    /// </summary>
    public AuthenticityJudgement JudgeAs(HeldCertificate? held, CertificateDraft? content, string asker, DateOnly today)
    {
        if (held is null || content is null || held.Direction != CertificateDirection.Outbound || held.Partner != asker)
            return new AuthenticityJudgement(Authenticity.Unknown, [], null, "no such certificate was issued to " + asker);

        var mismatches = Compare(held.Summary, content);
        var expiry = KpDate.Text(held.Summary.DateOfExpiry);
        return held.Status switch
        {
            CertificateStatus.Voided => new(Authenticity.Voided, mismatches, held.ReplacedBy,
                $"voided by its issuer: {held.StatusReason}" + (held.ReplacedBy is { } by ? $"; replaced by {by}" : "; not replaced")),
            CertificateStatus.Rejected => new(Authenticity.NotDelivered, mismatches, null, $"refused by {asker}'s node: {held.StatusReason}"),
            CertificateStatus.Undeliverable => new(Authenticity.NotDelivered, mismatches, null, $"never delivered: {held.StatusReason}"),
            CertificateStatus.Issued when held.Summary.DateOfExpiry >= today =>
                new(Authenticity.NotDelivered, mismatches, null, $"not yet delivered to {asker}'s node"),
            _ when held.Summary.DateOfExpiry < today => new(Authenticity.Expired, mismatches, null,
                $"expired on {expiry}" + (held.Status == CertificateStatus.Expired ? " without import confirmation" : $" ({held.Status})")),
            _ when mismatches.Count > 0 => new(Authenticity.Mismatch, mismatches, null, $"{mismatches.Count} figure(s) differ from the certificate"),
            _ => new(Authenticity.Genuine, [], null, $"{held.Status}, valid until {expiry}"),
        };
    }

    private List<string> Compare(CertificateSummary certified, CertificateDraft content)
    {
        var mismatches = new List<string>();
        if (Parcels != 0 && Parcels != certified.Parcels)
            mismatches.Add($"parcels: {Parcels} presented, {certified.Parcels} certified");
        if (CaratsHundredths != 0 && CaratsHundredths != certified.Carats.Hundredths)
            mismatches.Add($"carats: {new Carats(CaratsHundredths)} presented, {certified.Carats} certified");
        if (ValueUsdCents != 0 && ValueUsdCents != certified.Value.Cents)
            mismatches.Add($"value: {new UsDollars(ValueUsdCents)} presented, {certified.Value} certified");
        CompareLines(certified.HsLines, mismatches);
        CompareParty("exporter", Exporter, content.Exporter, mismatches);
        CompareParty("importer", Importer, content.Importer, mismatches);
        CompareDate("dateOfIssue", "date of issue", DateOfIssue, certified.DateOfIssue, mismatches);
        CompareDate("dateOfExpiry", "date of expiry", DateOfExpiry, certified.DateOfExpiry, mismatches);
        return mismatches;
    }

    private void CompareLines(IReadOnlyList<HsLine> certified, List<string> mismatches)
    {
        if (HsLines.Count == 0)
            return;
        foreach (var line in HsLines)
        {
            var match = certified.FirstOrDefault(c => c.HsCode == line.HsCode);
            if (match is null)
                mismatches.Add($"hsLines: {line.HsCode} presented, not on the certificate");
            else if ((line.Carats.Hundredths != 0 && line.Carats != match.Carats) || (line.Value.Cents != 0 && line.Value != match.Value))
                mismatches.Add($"hsLines: {line.HsCode} presented with {line.Carats}, {line.Value}; certified {match.Carats}, {match.Value}");
        }

        foreach (var missing in certified.Where(c => HsLines.All(l => l.HsCode != c.HsCode)))
            mismatches.Add($"hsLines: {missing.HsCode} certified ({missing.Carats}, {missing.Value}), not presented");
    }

    // Names and addresses are compared as an officer reads them: case and spacing do not matter.
    private static void CompareParty(string field, Party? presented, Party? certified, List<string> mismatches)
    {
        if (presented is null || certified is null)
            return;
        foreach (var (part, shown, signed) in new[] { ("name", presented.Name, certified.Name), ("address", presented.Address, certified.Address), ("country", presented.Country, certified.Country) })
        {
            if (shown.Length > 0 && !string.Equals(Spaced(shown), Spaced(signed), StringComparison.OrdinalIgnoreCase))
                mismatches.Add($"{field}.{part}: '{shown}' presented, '{signed}' certified");
        }
    }

    private static string Spaced(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static void CompareDate(string field, string what, string presented, DateOnly certified, List<string> mismatches)
    {
        if (KpDate.Parse(presented) is { } date && date != certified)
            mismatches.Add($"{field}: {what} {KpDate.Text(date)} presented, {KpDate.Text(certified)} certified");
    }
}
