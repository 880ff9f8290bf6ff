using KpNode.Domain;

namespace KpNode.Wire;

/// <summary>Maps between the wire contract's <c>kp.v1.Certificate</c> and the domain's draft and certificate.</summary>
internal static class CertificateMapping
{
    /// <summary>
    /// Takes a certificate off the wire as it is, unchecked: a missing exporter or importer stays
    /// null, so that <see cref="CertificateRules"/> can say so rather than this method guessing.
    /// </summary>
    public static CertificateDraft ToDraft(V1.Certificate proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        return new CertificateDraft
        {
            Number = proto.Number,
            OriginCountries = proto.OriginCountries.ToArray(),
            MixedOrigin = proto.MixedOrigin,
            ProvenanceCountry = proto.ProvenanceCountry,
            ExportingParticipant = proto.ExportingParticipant,
            ImportingParticipant = proto.ImportingParticipant,
            ExportingAuthority = proto.ExportingAuthority,
            Exporter = ToParty(proto.Exporter),
            Importer = ToParty(proto.Importer),
            Parcels = proto.Parcels,
            Carats = new Carats(proto.CaratsHundredths),
            Value = new UsDollars(proto.ValueUsdCents),
            HsLines = proto.HsLines.Select(l => new HsLine(l.HsCode, new Carats(l.CaratsHundredths), new UsDollars(l.ValueUsdCents))).ToArray(),
            DateOfIssue = proto.DateOfIssue,
            DateOfExpiry = proto.DateOfExpiry,
            SealNumber = proto.SealNumber,
            InTransit = proto.InTransit,
            QualityCharacteristics = proto.QualityCharacteristics,
            Remarks = proto.Remarks,
            Replaces = proto.Replaces,
            OriginZone = proto.OriginZone,
            IssuingOffice = proto.IssuingOffice,
        };
    }

    /// <summary>
    /// The summary fields of a signed certificate, read straight from its payload: what the store's derived fields
    /// must equal. Null when the payload's dates are not dates (it was then never accepted, so the store is damaged).
    /// </summary>
    public static CertificateSummary? ToSummary(V1.Certificate proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        if (KpDate.Parse(proto.DateOfIssue) is not { } issued || KpDate.Parse(proto.DateOfExpiry) is not { } expiry)
            return null;
        return new CertificateSummary(proto.Number, proto.ExportingParticipant, proto.ImportingParticipant, issued, expiry, proto.Parcels,
            new Carats(proto.CaratsHundredths), new UsDollars(proto.ValueUsdCents),
            proto.HsLines.Select(l => new HsLine(l.HsCode, new Carats(l.CaratsHundredths), new UsDollars(l.ValueUsdCents))).ToArray(),
            proto.OriginCountries.ToArray(), proto.Replaces.Length == 0 ? null : proto.Replaces)
        {
            SealNumber = proto.SealNumber.Length == 0 ? null : proto.SealNumber,
            IssuingOffice = proto.IssuingOffice.Length == 0 ? null : proto.IssuingOffice,
        };
    }

    /// <summary>Puts a validated certificate on the wire; absent optional text becomes the empty string proto3 uses for it.</summary>
    public static V1.Certificate ToProto(Certificate c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var proto = new V1.Certificate
        {
            Number = c.Number,
            MixedOrigin = c.MixedOrigin,
            ProvenanceCountry = c.ProvenanceCountry ?? "",
            ExportingParticipant = c.ExportingParticipant,
            ImportingParticipant = c.ImportingParticipant,
            ExportingAuthority = c.ExportingAuthority,
            Exporter = ToProto(c.Exporter),
            Importer = ToProto(c.Importer),
            Parcels = c.Parcels,
            CaratsHundredths = c.Carats.Hundredths,
            ValueUsdCents = c.Value.Cents,
            DateOfIssue = KpDate.Text(c.DateOfIssue),
            DateOfExpiry = KpDate.Text(c.DateOfExpiry),
            SealNumber = c.SealNumber ?? "",
            InTransit = c.InTransit,
            QualityCharacteristics = c.QualityCharacteristics ?? "",
            Remarks = c.Remarks ?? "",
            Replaces = c.Replaces ?? "",
            OriginZone = c.OriginZone ?? "",
            IssuingOffice = c.IssuingOffice ?? "",
        };
        proto.OriginCountries.Add(c.OriginCountries);
        proto.HsLines.Add(c.HsLines.Select(l => new V1.HsLine
        {
            HsCode = l.HsCode,
            CaratsHundredths = l.Carats.Hundredths,
            ValueUsdCents = l.Value.Cents,
        }));
        return proto;
    }

    private static Party? ToParty(V1.Party? proto) =>
        proto is null ? null : new Party(proto.Name, proto.Address, proto.Country);

    private static V1.Party ToProto(Party party) =>
        new() { Name = party.Name, Address = party.Address, Country = party.Country };
}
