using KpNode.Domain;

namespace KpNode.Tests.Domain;

/// <summary>One realistic certificate, South Africa to Antwerp, that every rule accepts; tests vary it with <c>with</c>.</summary>
internal static class Drafts
{
    public static readonly DateOnly Today = new(2026, 7, 10);

    public static CertificateRulesContext Issuing => CertificateRulesContext.ForIssuing(Today, ["ZA"]);

    public static CertificateRulesContext Received => CertificateRulesContext.ForReceived(Today, ["ZA"]);

    public static CertificateDraft ZaToBe() => new()
    {
        Number = "ZA-2026-000123",
        OriginCountries = ["ZA"],
        ProvenanceCountry = "ZA",
        ExportingParticipant = "ZA",
        ImportingParticipant = "BE",
        ExportingAuthority = "South African Diamond and Precious Metals Regulator",
        Exporter = new Party("Kimberley Rough Exports (Pty) Ltd", "12 Dalham Road\nKimberley 8301", "ZA"),
        Importer = new Party("Antwerp Rough Trading NV", "Hoveniersstraat 2, 2018 Antwerpen", "BE"),
        Parcels = 3,
        Carats = new Carats(120450),
        Value = new UsDollars(100_409_000),
        HsLines =
        [
            new HsLine("7102.31", new Carats(100000), new UsDollars(100_000_000)),
            new HsLine("7102.21", new Carats(20450), new UsDollars(409_000)),
        ],
        DateOfIssue = "2026-07-10",
        DateOfExpiry = "2026-09-08",
        SealNumber = "SADPMR-884213",
        QualityCharacteristics = "Gem quality, 2-10 ct stones",
        Remarks = "Second of two shipments under contract 44/2026",
    };

    public static ValidationResult Validate(CertificateDraft draft, CertificateRulesContext? ctx = null) =>
        CertificateRules.Validate(draft, ctx ?? Received);

    public static Certificate AssertValid(CertificateDraft draft, CertificateRulesContext? ctx = null)
    {
        var result = Validate(draft, ctx);
        Assert.True(result.IsValid, "expected no violations, got:\n" + string.Join("\n", result.Violations));
        return result.Certificate;
    }

    /// <summary>Asserts that the draft breaks a rule on exactly this field, in words containing every keyword.</summary>
    public static Violation AssertViolation(CertificateDraft draft, string field, params string[] keywords) =>
        AssertViolation(Validate(draft), field, keywords);

    public static Violation AssertViolation(ValidationResult result, string field, params string[] keywords)
    {
        Assert.False(result.IsValid);
        Assert.Null(result.Certificate);
        var onField = result.Violations.Where(v => v.Field == field).ToList();
        Assert.True(onField.Count > 0, $"expected a violation on {field}, got:\n" + string.Join("\n", result.Violations));
        var match = onField.FirstOrDefault(v => keywords.All(k => v.Rule.Contains(k, StringComparison.OrdinalIgnoreCase)));
        Assert.True(match is not null, $"expected a violation on {field} mentioning [{string.Join(", ", keywords)}], got:\n" + string.Join("\n", onField));
        return match!;
    }
}
