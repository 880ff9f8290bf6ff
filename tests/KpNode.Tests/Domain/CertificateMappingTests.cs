using KpNode.Domain;
using KpNode.Wire;
using static KpNode.Tests.Domain.Drafts;

namespace KpNode.Tests.Domain;

public class CertificateMappingTests
{
    [Fact]
    public void A_certificate_survives_the_trip_over_the_wire_unchanged()
    {
        var original = AssertValid(ZaToBe() with { InTransit = true, OriginCountries = ["ZA", "BW"] });

        var proto = CertificateMapping.ToProto(original);
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(proto);
        var received = KpNode.Wire.V1.Certificate.Parser.ParseFrom(bytes);
        var again = AssertValid(CertificateMapping.ToDraft(received));

        Assert.Equal(original, again);
    }

    [Fact]
    public void A_certificate_without_optional_text_survives_the_trip_too()
    {
        var original = AssertValid(ZaToBe() with
        {
            OriginCountries = [],
            MixedOrigin = true,
            ProvenanceCountry = null,
            SealNumber = null,
            QualityCharacteristics = null,
            Remarks = null,
        });

        var again = AssertValid(CertificateMapping.ToDraft(CertificateMapping.ToProto(original)));

        Assert.Equal(original, again);
        Assert.Null(again.Remarks);
    }

    [Fact]
    public void Dates_go_on_the_wire_as_year_month_day()
    {
        var proto = CertificateMapping.ToProto(AssertValid(ZaToBe()));

        Assert.Equal("2026-07-10", proto.DateOfIssue);
        Assert.Equal("2026-09-08", proto.DateOfExpiry);
        Assert.Equal(120450, proto.CaratsHundredths);
        Assert.Equal("7102.21", proto.HsLines[1].HsCode);
        Assert.Equal(409_000, proto.HsLines[1].ValueUsdCents);
        Assert.Equal("BE", proto.Importer.Country);
        Assert.Equal("", proto.Replaces);
    }

    [Fact]
    public void A_proto_without_exporter_or_importer_becomes_a_draft_the_rules_refuse()
    {
        var draft = CertificateMapping.ToDraft(new KpNode.Wire.V1.Certificate());

        Assert.Null(draft.Exporter);
        Assert.Null(draft.Importer);
        var result = CertificateRules.Validate(draft, Received);
        Assert.Contains(result.Violations, v => v.Field == "exporter");
        Assert.Contains(result.Violations, v => v.Field == "importer");
    }

    [Fact]
    public void Certificates_with_different_lines_are_not_equal()
    {
        var a = AssertValid(ZaToBe());
        var b = a with { HsLines = [a.HsLines[0], a.HsLines[1] with { Value = new UsDollars(1) }] };

        Assert.NotEqual(a, b);
        Assert.Equal(a, a with { OriginCountries = ["ZA"] });
    }
}
