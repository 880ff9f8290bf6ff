using System.Globalization;

namespace KpNode.Domain;

/// <summary>The bounds of a certificate's size: counts of lines and lengths of fields, checked before anything is stored.</summary>
internal static partial class CertificateRules
{
    /// <summary>
    /// The bounds a certificate must keep before anything else is done with it (stored, answered, listed): counts
    /// of lines and lengths of fields. Each is far above any real certificate, so breaking one is not a typing
    /// error to explain line by line but an input to refuse whole.
    /// </summary>
    public static List<Violation> Oversized(CertificateDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var violations = new List<Violation>();
        CheckCount("originCountries", draft.OriginCountries?.Count ?? 0, MaxOriginCountries, "countries of origin", violations);
        CheckCount("hsLines", draft.HsLines?.Count ?? 0, MaxHsLines, "HS lines", violations);
        void Length(string field, string? text, int max)
        {
            if (text is { } t && t.Length > max)
                violations.Add(new(field, $"too long: {t.Length.ToString("N0", CultureInfo.InvariantCulture)} characters, where at most {max.ToString("N0", CultureInfo.InvariantCulture)} are allowed"));
        }

        Length("number", draft.Number, MaxCodeLength);
        Length("provenanceCountry", draft.ProvenanceCountry, MaxCodeLength);
        Length("exportingParticipant", draft.ExportingParticipant, MaxCodeLength);
        Length("importingParticipant", draft.ImportingParticipant, MaxCodeLength);
        Length("exportingAuthority", draft.ExportingAuthority, MaxAuthorityLength);
        foreach (var (field, party) in new[] { ("exporter", draft.Exporter), ("importer", draft.Importer) })
        {
            Length($"{field}.name", party?.Name, MaxNameLength);
            Length($"{field}.address", party?.Address, MaxAddressLength);
            Length($"{field}.country", party?.Country, MaxCodeLength);
        }

        Length("dateOfIssue", draft.DateOfIssue, MaxCodeLength);
        Length("dateOfExpiry", draft.DateOfExpiry, MaxCodeLength);
        Length("sealNumber", draft.SealNumber, MaxSealNumberLength);
        Length("qualityCharacteristics", draft.QualityCharacteristics, MaxQualityCharacteristicsLength);
        Length("remarks", draft.Remarks, MaxRemarksLength);
        Length("replaces", draft.Replaces, MaxCodeLength);
        Length("originZone", draft.OriginZone, MaxOriginZoneLength);
        // Within the counts' bounds only, so the list stays short.
        if (violations.Count == 0)
        {
            var origins = draft.OriginCountries ?? [];
            for (var i = 0; i < origins.Count; i++)
                Length($"originCountries[{i}]", origins[i], MaxCodeLength);
            var lines = draft.HsLines ?? [];
            for (var i = 0; i < lines.Count; i++)
                Length($"hsLines[{i}].hsCode", lines[i]?.HsCode, MaxCodeLength);
        }

        return violations;
    }

    // True when the count is over its bound (then its items are not checked one by one: the list would be as long as the input).
    private static bool CheckCount(string field, int count, int max, string what, List<Violation> violations)
    {
        if (count <= max)
            return false;
        violations.Add(new(field, $"{count.ToString("N0", CultureInfo.InvariantCulture)} {what} is more than the {max} one certificate may carry"));
        return true;
    }
}
