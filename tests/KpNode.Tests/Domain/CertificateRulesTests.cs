using KpNode.Domain;
using static KpNode.Tests.Domain.Drafts;

namespace KpNode.Tests.Domain;

public class CertificateRulesTests
{
    private static readonly CertificateDraft Good = ZaToBe();

    [Fact]
    public void A_realistic_certificate_passes_every_rule()
    {
        var certificate = AssertValid(Good);

        Assert.Equal("ZA-2026-000123", certificate.Number);
        Assert.Equal(new DateOnly(2026, 7, 10), certificate.DateOfIssue);
        Assert.Equal(new DateOnly(2026, 9, 8), certificate.DateOfExpiry);
        Assert.Equal(new Carats(120450), certificate.Carats);
        Assert.Equal(2, certificate.HsLines.Count);
    }

    [Fact]
    public void A_draft_with_several_errors_reports_all_of_them_at_once()
    {
        var draft = Good with
        {
            Number = "ZA-26-1",
            OriginCountries = ["za"],
            ImportingParticipant = "ZA",
            Parcels = 0,
            HsLines = [new HsLine("7104.20", new Carats(120450), new UsDollars(100_409_000))],
            DateOfIssue = "2026-07-32",
            Remarks = "bell\a",
        };

        var result = Validate(draft);

        Assert.Equal(
            ["number", "originCountries[0]", "importingParticipant", "importer.country", "parcels", "hsLines[0].hsCode", "dateOfIssue", "remarks"],
            result.Violations.Select(v => v.Field));
        Assert.Null(result.Certificate);
    }

    [Fact]
    public void Optional_fields_may_be_left_empty()
    {
        var certificate = AssertValid(Good with
        {
            ProvenanceCountry = "",
            SealNumber = null,
            QualityCharacteristics = "",
            Remarks = null,
            Replaces = "",
        });

        Assert.Null(certificate.ProvenanceCountry);
        Assert.Null(certificate.SealNumber);
        Assert.Null(certificate.QualityCharacteristics);
        Assert.Null(certificate.Remarks);
        Assert.Null(certificate.Replaces);
    }

    // --- number

    [Fact]
    public void A_received_certificate_must_carry_a_number()
    {
        AssertViolation(Good with { Number = "" }, "number", "missing");
    }

    [Fact]
    public void A_certificate_being_issued_may_leave_the_number_to_the_node()
    {
        var certificate = AssertValid(Good with { Number = "" }, Issuing);

        Assert.Equal("", certificate.Number);
    }

    [Theory]
    [InlineData("ZA-2026-123")]
    [InlineData("za-2026-000123")]
    [InlineData("ZA/2026/000123")]
    [InlineData("ZA-2026-000123 ")]
    public void The_number_must_read_prefix_year_sequence(string number)
    {
        AssertViolation(Good with { Number = number }, "number", "not a certificate number", "PREFIX-YYYY-NNNNNN");
    }

    [Fact]
    public void The_number_must_begin_with_the_issuers_prefix()
    {
        var violation = AssertViolation(Good with { Number = "NA-2026-000123" }, "number", "must begin with", "ZA-");

        Assert.Equal("number: 'NA-2026-000123' must begin with ZA-, the issuing authority's prefix", violation.ToString());
    }

    [Fact]
    public void A_node_may_accept_several_prefixes_for_one_partner()
    {
        var ctx = CertificateRulesContext.ForReceived(Today, ["BE", "BEANR"]);
        var draft = Good with { Number = "BEANR-2026-000001", ExportingParticipant = "BE", ImportingParticipant = "ZA", Exporter = Good.Importer, Importer = Good.Exporter };

        AssertValid(draft, ctx);
        AssertViolation(Validate(draft with { Number = "DE-2026-000001" }, ctx), "number", "BE- or BEANR-");
    }

    // --- origin

    [Fact]
    public void Goods_of_mixed_origin_name_no_countries()
    {
        var certificate = AssertValid(Good with { OriginCountries = [], MixedOrigin = true });

        Assert.True(certificate.MixedOrigin);
        Assert.Empty(certificate.OriginCountries);
    }

    [Fact]
    public void Origin_is_either_mixed_or_named_not_both()
    {
        AssertViolation(Good with { MixedOrigin = true }, "mixedOrigin", "not both");
    }

    [Fact]
    public void Origin_must_be_given()
    {
        AssertViolation(Good with { OriginCountries = [] }, "originCountries", "at least one country of origin", "mixed origin");
    }

    [Fact]
    public void Several_countries_of_origin_may_be_named()
    {
        AssertValid(Good with { OriginCountries = ["ZA", "BW", "NA"] });
    }

    [Fact]
    public void Origin_countries_must_be_assigned_iso_codes()
    {
        AssertViolation(Good with { OriginCountries = ["ZA", "XK"] }, "originCountries[1]", "'XK'", "not an officially assigned ISO 3166-1");
    }

    [Fact]
    public void Country_codes_in_lower_case_are_refused_with_the_capitalised_code()
    {
        AssertViolation(Good with { OriginCountries = ["za"] }, "originCountries[0]", "capitals", "ZA");
    }

    [Fact]
    public void An_origin_country_is_listed_only_once()
    {
        AssertViolation(Good with { OriginCountries = ["ZA", "BW", "ZA"] }, "originCountries[2]", "South Africa (ZA)", "twice", "originCountries[0]");
    }

    [Theory]
    [InlineData("UK", "United Kingdom (GB)")]
    [InlineData("EL", "Greece (GR)")]
    public void Reserved_codes_seen_in_other_documents_are_answered_with_the_iso_code(string code, string meant)
    {
        AssertViolation(Good with { OriginCountries = [code] }, "originCountries[0]", "reserved", meant);
    }

    // --- provenance

    [Fact]
    public void Provenance_if_given_must_be_an_assigned_iso_code()
    {
        AssertValid(Good with { ProvenanceCountry = "BW" });
        AssertViolation(Good with { ProvenanceCountry = "AA" }, "provenanceCountry", "not an officially assigned");
        AssertViolation(Good with { ProvenanceCountry = "  " }, "provenanceCountry", "blank");
    }

    // --- participants

    [Fact]
    public void Both_participants_are_required()
    {
        var result = Validate(Good with { ExportingParticipant = "", ImportingParticipant = null });

        AssertViolation(result, "exportingParticipant", "exporting participant is missing");
        AssertViolation(result, "importingParticipant", "importing participant is missing");
    }

    [Fact]
    public void Certificates_are_exchanged_only_between_kp_participants()
    {
        var violation = AssertViolation(Good with { ImportingParticipant = "KE", Importer = Good.Importer! with { Country = "KE" } },
            "importingParticipant", "Kenya (KE)", "not a Kimberley Process participant");

        Assert.Contains("only be traded with participants", violation.Rule);
    }

    [Fact]
    public void An_eu_member_state_without_a_union_authority_is_told_to_trade_through_the_eu()
    {
        AssertViolation(Good with { ImportingParticipant = "FR", Importer = Good.Importer! with { Country = "FR" } },
            "importingParticipant", "France (FR)", "European Union", "BE");
    }

    [Fact]
    public void Chinese_taipei_may_trade_as_a_trading_entity()
    {
        AssertValid(Good with
        {
            ImportingParticipant = "TW",
            Importer = new Party("Taipei Rough Diamonds Co.", "No. 7, Section 5, Xinyi Road, Taipei", "TW"),
        });
    }

    [Fact]
    public void The_eu_may_import_as_one_participant()
    {
        AssertValid(Good with { ImportingParticipant = "EU" });
    }

    [Fact]
    public void Exporting_and_importing_participants_differ()
    {
        AssertViolation(Good with { ImportingParticipant = "ZA", Importer = Good.Exporter }, "importingParticipant", "differ", "ZA");
    }

    [Fact]
    public void Trade_between_two_union_authorities_needs_no_kp_certificate()
    {
        var draft = Good with
        {
            Number = "BE-2026-000001",
            ExportingParticipant = "BE",
            Exporter = Good.Importer,
            ImportingParticipant = "DE",
            Importer = new Party("Idar Rohdiamanten GmbH", "Hauptstrasse 1, 55743 Idar-Oberstein", "DE"),
        };

        AssertViolation(Validate(draft, CertificateRulesContext.ForReceived(Today, ["BE"])), "importingParticipant", "European Union", "needs no KP certificate");
    }

    // --- exporting authority

    [Fact]
    public void The_exporting_authority_is_required_and_bounded()
    {
        AssertViolation(Good with { ExportingAuthority = " " }, "exportingAuthority", "missing");
        AssertViolation(Good with { ExportingAuthority = new string('A', 201) }, "exportingAuthority", "201 characters", "at most 200");
        AssertValid(Good with { ExportingAuthority = new string('A', 200) });
    }

    // --- exporter and importer

    [Fact]
    public void Exporter_and_importer_are_required()
    {
        var result = Validate(Good with { Exporter = null, Importer = null });

        AssertViolation(result, "exporter", "exporter", "missing");
        AssertViolation(result, "importer", "importer", "missing");
    }

    [Fact]
    public void A_party_needs_a_name_and_an_address()
    {
        var result = Validate(Good with { Exporter = Good.Exporter! with { Name = "", Address = "  " } });

        AssertViolation(result, "exporter.name", "exporter's name", "missing");
        AssertViolation(result, "exporter.address", "exporter's address", "missing");
    }

    [Fact]
    public void Party_names_and_addresses_are_bounded()
    {
        AssertViolation(Good with { Importer = Good.Importer! with { Name = new string('n', 201) } }, "importer.name", "at most 200");
        AssertViolation(Good with { Importer = Good.Importer! with { Address = new string('a', 501) } }, "importer.address", "at most 500");
    }

    [Fact]
    public void An_address_may_span_lines_but_a_name_may_not()
    {
        AssertValid(Good with { Exporter = Good.Exporter! with { Address = "12 Dalham Road\nKimberley" } });
        AssertViolation(Good with { Exporter = Good.Exporter! with { Name = "Kimberley\nRough" } }, "exporter.name", "control character", "U+000A");
    }

    [Fact]
    public void A_party_country_must_be_an_assigned_iso_code()
    {
        AssertViolation(Good with { Importer = Good.Importer! with { Country = "be" } }, "importer.country", "capitals", "BE");
        AssertViolation(Good with { Importer = Good.Importer! with { Country = "" } }, "importer.country", "missing");
    }

    [Fact]
    public void The_exporter_must_be_in_the_exporting_participants_country()
    {
        var violation = AssertViolation(Good with { Exporter = Good.Exporter! with { Country = "NA" } },
            "exporter.country", "South Africa (ZA)", "Namibia (NA)");

        Assert.Equal("exporter.country: the exporter must be in the exporting participant's country, South Africa (ZA), not in Namibia (NA)", violation.ToString());
    }

    [Fact]
    public void An_importer_of_the_eu_may_be_in_any_member_state()
    {
        AssertValid(Good with { Importer = Good.Importer! with { Country = "NL" } });
        AssertValid(Good with { ImportingParticipant = "EU", Importer = Good.Importer! with { Country = "FR" } });
        AssertViolation(Good with { Importer = Good.Importer! with { Country = "GB" } }, "importer.country", "member state of the European Union", "United Kingdom (GB)");
    }

    // --- parcels and totals

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void There_is_at_least_one_parcel(int parcels)
    {
        AssertViolation(Good with { Parcels = parcels }, "parcels", "at least 1");
    }

    [Fact]
    public void An_implausible_number_of_parcels_is_refused()
    {
        AssertValid(Good with { Parcels = CertificateRules.MaxParcels });
        AssertViolation(Good with { Parcels = 120450 }, "parcels", "120,450", "check the figure");
    }

    [Fact]
    public void The_carat_weight_is_more_than_zero()
    {
        var result = Validate(Good with { Carats = new Carats(0), HsLines = [new HsLine("7102.31", new Carats(0), new UsDollars(100_409_000))] });

        AssertViolation(result, "caratsHundredths", "more than 0 ct", "0.00 ct");
        AssertViolation(result, "hsLines[0].caratsHundredths", "more than 0 ct");
    }

    [Fact]
    public void The_value_may_be_zero_but_not_negative()
    {
        AssertValid(Good with
        {
            Value = new UsDollars(0),
            HsLines = [new HsLine("7102.31", new Carats(120450), new UsDollars(0))],
        });
        var result = Validate(Good with
        {
            Value = new UsDollars(-100),
            HsLines = [new HsLine("7102.31", new Carats(120450), new UsDollars(-100))],
        });

        AssertViolation(result, "valueUsdCents", "cannot be negative", "US$ -1.00");
        AssertViolation(result, "hsLines[0].valueUsdCents", "cannot be negative");
    }

    // --- HS lines

    [Fact]
    public void At_least_one_hs_line_is_required()
    {
        AssertViolation(Good with { HsLines = [] }, "hsLines", "at least one HS line");
    }

    [Theory]
    [InlineData("7102.10")]
    [InlineData("7102.21")]
    [InlineData("7102.31")]
    public void Each_rough_diamond_subheading_is_accepted(string hsCode)
    {
        AssertValid(Good with { HsLines = [new HsLine(hsCode, Good.Carats, Good.Value)] });
    }

    [Theory]
    [InlineData("7104")]
    [InlineData("7104.20")]
    [InlineData("7104.90")]
    [InlineData("710420")]
    public void Synthetic_diamonds_are_refused_with_an_explanation(string hsCode)
    {
        AssertViolation(Good with { HsLines = [new HsLine(hsCode, Good.Carats, Good.Value)] },
            "hsLines[0].hsCode", "synthetic", "need no Kimberley Process certificate");
    }

    [Theory]
    [InlineData("7102.39")]
    [InlineData("7102.29")]
    public void Worked_diamonds_are_outside_the_kimberley_process(string hsCode)
    {
        AssertViolation(Good with { HsLines = [new HsLine(hsCode, Good.Carats, Good.Value)] },
            "hsLines[0].hsCode", "worked", "outside the Kimberley Process");
    }

    [Theory]
    [InlineData("7103.10")]
    [InlineData("diamonds")]
    public void Other_codes_are_named_as_not_rough_diamonds(string hsCode)
    {
        AssertViolation(Good with { HsLines = [new HsLine(hsCode, Good.Carats, Good.Value)] },
            "hsLines[0].hsCode", "not a rough-diamond HS code", "7102.10, 7102.21 or 7102.31");
    }

    [Fact]
    public void A_code_without_its_dot_is_refused_with_the_dotted_form()
    {
        AssertViolation(Good with { HsLines = [new HsLine("710231", Good.Carats, Good.Value)] }, "hsLines[0].hsCode", "write the HS code as 7102.31");
    }

    [Fact]
    public void A_missing_hs_code_is_reported()
    {
        AssertViolation(Good with { HsLines = [new HsLine("", Good.Carats, Good.Value)] }, "hsLines[0].hsCode", "missing");
    }

    [Fact]
    public void Each_hs_code_has_one_line()
    {
        var draft = Good with
        {
            HsLines =
            [
                new HsLine("7102.31", new Carats(100000), new UsDollars(100_000_000)),
                new HsLine("7102.31", new Carats(20450), new UsDollars(409_000)),
            ],
        };

        AssertViolation(draft, "hsLines[1].hsCode", "7102.31", "already has a line", "hsLines[0]");
    }

    [Fact]
    public void Line_carats_add_up_to_the_certificate_carats()
    {
        var violation = AssertViolation(Good with { Carats = new Carats(124050) }, "caratsHundredths");

        Assert.Equal("caratsHundredths: the HS lines add up to 1,204.50 ct but the certificate says 1,240.50 ct", violation.ToString());
    }

    [Fact]
    public void Line_values_add_up_to_the_certificate_value()
    {
        var violation = AssertViolation(Good with { Value = new UsDollars(100_409_001) }, "valueUsdCents");

        Assert.Equal("valueUsdCents: the HS lines add up to US$ 1,004,090.00 but the certificate says US$ 1,004,090.01", violation.ToString());
    }

    [Fact]
    public void Sums_too_large_to_hold_are_reported_not_thrown()
    {
        var draft = Good with
        {
            Carats = new Carats(long.MaxValue),
            Value = new UsDollars(long.MaxValue),
            HsLines =
            [
                new HsLine("7102.31", new Carats(long.MaxValue), new UsDollars(long.MaxValue)),
                new HsLine("7102.21", new Carats(long.MaxValue), new UsDollars(long.MaxValue)),
            ],
        };

        var result = Validate(draft);

        AssertViolation(result, "caratsHundredths", "more than a certificate can hold");
        AssertViolation(result, "valueUsdCents", "more than a certificate can hold");
    }

    // --- dates

    [Theory]
    [InlineData("10/07/2026")]
    [InlineData("2026-7-10")]
    [InlineData("2026-02-30")]
    [InlineData("2026-07-10T00:00:00")]
    public void Dates_are_written_year_month_day(string date)
    {
        AssertViolation(Good with { DateOfIssue = date }, "dateOfIssue", "not a date", "YYYY-MM-DD");
        AssertViolation(Good with { DateOfExpiry = date }, "dateOfExpiry", "not a date", "YYYY-MM-DD");
    }

    [Fact]
    public void Both_dates_are_required()
    {
        var result = Validate(Good with { DateOfIssue = null, DateOfExpiry = "" });

        AssertViolation(result, "dateOfIssue", "missing");
        AssertViolation(result, "dateOfExpiry", "missing");
    }

    [Fact]
    public void A_certificate_we_issue_is_not_dated_in_the_future()
    {
        var draft = Good with { DateOfIssue = "2026-07-11" };

        AssertViolation(Validate(draft, Issuing), "dateOfIssue", "2026-07-11", "in the future", "2026-07-10");
    }

    [Fact]
    public void A_partners_certificate_may_be_dated_one_day_ahead_for_time_zones()
    {
        AssertValid(Good with { DateOfIssue = "2026-07-11" }, Received);
        AssertViolation(Good with { DateOfIssue = "2026-07-12" }, "dateOfIssue", "in the future");
    }

    [Theory]
    [InlineData("2026-07-10")]
    [InlineData("2026-07-09")]
    public void Expiry_comes_after_issue(string expiry)
    {
        AssertViolation(Good with { DateOfExpiry = expiry }, "dateOfExpiry", "must be after the date of issue 2026-07-10");
    }

    [Fact]
    public void Validity_is_limited_by_the_participants_setting()
    {
        var eu = new CertificateRulesContext(Today, ["ZA"], MaxValidityDays: 61);

        AssertValid(Good with { DateOfExpiry = "2026-09-09" }, eu);
        var violation = AssertViolation(Validate(Good with { DateOfExpiry = "2026-09-10" }, eu), "dateOfExpiry", "at most 61 days", "2026-09-09");

        Assert.Contains("62 days", violation.Rule);
    }

    [Fact]
    public void The_default_validity_limit_for_issuing_is_183_days()
    {
        AssertValid(Good with { DateOfExpiry = "2027-01-09" }, Issuing);
        AssertViolation(Validate(Good with { DateOfExpiry = "2027-01-10" }, Issuing), "dateOfExpiry", "at most 183 days");
    }

    [Fact]
    public void A_partners_certificate_is_held_to_its_issuers_limit_so_the_receiving_side_refuses_only_more_than_ten_years()
    {
        AssertValid(Good with { DateOfExpiry = "2027-07-10" }, Received);
        AssertValid(Good with { DateOfExpiry = "2036-07-07" }, Received);
        AssertViolation(Validate(Good with { DateOfExpiry = "2036-07-08" }, Received), "dateOfExpiry", $"at most {CertificateRulesContext.ReceivedMaxValidityDays} days");
    }

    // --- free text

    [Fact]
    public void Free_text_is_bounded()
    {
        AssertViolation(Good with { SealNumber = new string('S', 101) }, "sealNumber", "at most 100");
        AssertViolation(Good with { QualityCharacteristics = new string('Q', 1001) }, "qualityCharacteristics", "at most 1,000");
        AssertViolation(Good with { Remarks = new string('R', 2001) }, "remarks", "2,001 characters", "at most 2,000");
        AssertValid(Good with { SealNumber = new string('S', 100), QualityCharacteristics = new string('Q', 1000), Remarks = new string('R', 2000) });
    }

    [Fact]
    public void Free_text_carries_no_control_characters()
    {
        AssertViolation(Good with { SealNumber = "SADPMR\t884213" }, "sealNumber", "control character", "U+0009");
        AssertViolation(Good with { QualityCharacteristics = "Gem\u0000" }, "qualityCharacteristics", "control character");
        AssertViolation(Good with { Remarks = "Lot \u202E13.2017" }, "remarks", "control character", "U+202E");
    }

    [Fact]
    public void Remarks_may_carry_an_english_version_on_its_own_line_in_any_script()
    {
        AssertValid(Good with { Remarks = "Deuxième envoi du contrat 44/2026\nSecond shipment under contract 44/2026 💎" });
    }

    [Fact]
    public void Text_that_cannot_be_encoded_faithfully_is_refused()
    {
        AssertViolation(Good with { Remarks = "broken \uD83D" }, "remarks", "broken character", "U+D83D");
    }

    // --- replacement

    [Fact]
    public void A_replacement_names_the_certificate_it_replaces()
    {
        var certificate = AssertValid(Good with { Number = "ZA-2026-000124", Replaces = "ZA-2026-000123" });

        Assert.Equal("ZA-2026-000123", certificate.Replaces);
    }

    [Fact]
    public void Replaces_must_be_a_well_formed_number()
    {
        AssertViolation(Good with { Replaces = "the one from last week" }, "replaces", "not a certificate number");
    }

    [Fact]
    public void A_certificate_cannot_replace_itself()
    {
        AssertViolation(Good with { Replaces = Good.Number }, "replaces", "cannot replace itself");
    }

    [Fact]
    public void Only_a_certificate_of_the_same_issuer_can_be_replaced()
    {
        AssertViolation(Good with { Replaces = "NA-2026-000001" }, "replaces", "same issuer", "ZA-");
    }

    // --- robustness

    [Fact]
    public void A_draft_with_nothing_filled_in_yields_violations_not_exceptions()
    {
        var result = Validate(new CertificateDraft());

        Assert.False(result.IsValid);
        Assert.Contains(result.Violations, v => v.Field == "number");
        Assert.Contains(result.Violations, v => v.Field == "hsLines");
        Assert.Contains(result.Violations, v => v.Field == "exporter");
    }

    [Fact]
    public void Messages_never_echo_control_characters_typed_into_a_code()
    {
        var violation = AssertViolation(Good with { OriginCountries = ["Z\u001BA"] }, "originCountries[0]", "not an officially assigned");

        Assert.DoesNotContain('\u001B', violation.Rule);
        Assert.Contains("\\u001B", violation.Rule);
    }
}
