using Google.Protobuf.Collections;
using KpNode.Domain;

namespace KpNode.Wire;

/// <summary>An authenticity question and answer between the Local and Peer APIs' messages and the domain.</summary>
internal static class AuthenticityMapping
{
    public static AuthenticityQuestion ToDomain(V1.CheckCertificateRequest r) =>
        Question(r.CertificateNumber, r.Parcels, r.CaratsHundredths, r.ValueUsdCents, r.HsLines, r.Exporter, r.Importer, r.DateOfIssue, r.DateOfExpiry);

    public static AuthenticityQuestion ToDomain(V1.CheckAuthenticityRequest r) =>
        Question(r.CertificateNumber, r.Parcels, r.CaratsHundredths, r.ValueUsdCents, r.HsLines, r.Exporter, r.Importer, r.DateOfIssue, r.DateOfExpiry);

    private static AuthenticityQuestion Question(string number, int parcels, long carats, long value, RepeatedField<V1.HsLine> lines,
        V1.Party? exporter, V1.Party? importer, string dateOfIssue, string dateOfExpiry) => new(number, parcels, carats)
        {
            ValueUsdCents = value,
            HsLines = lines.Select(l => new HsLine(l.HsCode, new Carats(l.CaratsHundredths), new UsDollars(l.ValueUsdCents))).ToArray(),
            Exporter = exporter is null ? null : new Party(exporter.Name, exporter.Address, exporter.Country),
            Importer = importer is null ? null : new Party(importer.Name, importer.Address, importer.Country),
            DateOfIssue = dateOfIssue,
            DateOfExpiry = dateOfExpiry,
        };

    public static V1.CheckAuthenticityRequest ToRequest(AuthenticityQuestion q)
    {
        var request = new V1.CheckAuthenticityRequest
        {
            CertificateNumber = q.CertificateNumber,
            Parcels = q.Parcels,
            CaratsHundredths = q.CaratsHundredths,
            ValueUsdCents = q.ValueUsdCents,
            Exporter = ToProto(q.Exporter),
            Importer = ToProto(q.Importer),
            DateOfIssue = q.DateOfIssue,
            DateOfExpiry = q.DateOfExpiry,
        };
        request.HsLines.Add(q.HsLines.Select(l => new V1.HsLine { HsCode = l.HsCode, CaratsHundredths = l.Carats.Hundredths, ValueUsdCents = l.Value.Cents }));
        return request;
    }

    private static V1.Party? ToProto(Party? p) => p is null ? null : new V1.Party { Name = p.Name, Address = p.Address, Country = p.Country };

    /// <summary>The issuer's statement of its judgement, to be signed.</summary>
    public static V1.AuthenticityStatement ToStatement(AuthenticityJudgement judgement, string number, string issuer, string askedBy, DateTimeOffset now)
    {
        var statement = new V1.AuthenticityStatement
        {
            CertificateNumber = number,
            Issuer = issuer,
            AskedBy = askedBy,
            AnsweredAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now),
            Verdict = StatusMapping.ToWire(judgement.Verdict),
            ReplacedBy = judgement.ReplacedBy ?? "",
            Detail = judgement.Verdict == Authenticity.Genuine ? "" : judgement.Detail,
        };
        statement.Mismatches.AddRange(judgement.Mismatches);
        return statement;
    }

    public static V1.CheckCertificateResponse ToResponse(V1.AuthenticityStatement statement, V1.Envelope signed) => new V1.CheckCertificateResponse
    {
        Verdict = StatusMapping.ToDomain(statement.Verdict) is { } known ? StatusMapping.ToWire(known) : V1.AuthenticityVerdict.Unspecified,
        Statement = signed,
        ReplacedBy = statement.ReplacedBy,
        Detail = statement.Detail,
        Mismatches = { statement.Mismatches },
    };
}
