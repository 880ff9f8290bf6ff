using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace KpNode.Domain;

/// <summary>The KPCS rules (Annex I and common national additions) a certificate must meet to be issued or accepted.</summary>
internal static partial class CertificateRules
{
    public const int MaxAuthorityLength = 200;
    public const int MaxNameLength = 200;
    public const int MaxAddressLength = 500;
    public const int MaxSealNumberLength = 100;
    public const int MaxOriginZoneLength = 100;
    public const int MaxQualityCharacteristicsLength = 1000;
    public const int MaxRemarksLength = 2000;
    /// <summary>Far above any real shipment; catches a weight or a value typed into the parcels field.</summary>
    public const int MaxParcels = 100_000;
    /// <summary>Rough diamonds have three HS codes, one line each; a few dozen leaves room for finer national codes.</summary>
    public const int MaxHsLines = 50;
    /// <summary>Fewer than the KP has participants; mixed goods are marked mixedOrigin instead of listed.</summary>
    public const int MaxOriginCountries = 50;
    /// <summary>A code, number or date is a few characters; anything longer than this is not one, whatever it is.</summary>
    public const int MaxCodeLength = 40;

    /// <summary>
    /// Checks every rule and reports every one that is broken, each naming its field as the wire
    /// contract spells it, so that an officer can fix a draft in one pass.
    /// </summary>
    public static ValidationResult Validate(CertificateDraft draft, CertificateRulesContext ctx)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(ctx);
        var violations = new List<Violation>();

        // In the order of the fields in kp.v1.Certificate, so the list reads like the form.
        CheckNumber(draft.Number, ctx, violations);
        var origins = draft.OriginCountries ?? [];
        if (!CheckCount("originCountries", origins.Count, MaxOriginCountries, "countries of origin", violations))
            CheckOrigin(origins, draft.MixedOrigin, violations);
        CheckCountryCode("provenanceCountry", draft.ProvenanceCountry, "the country of provenance", required: false, violations);
        var exporting = CheckParticipant("exportingParticipant", draft.ExportingParticipant, "exporting", ctx, violations);
        var importing = CheckParticipant("importingParticipant", draft.ImportingParticipant, "importing", ctx, violations);
        CheckParticipantsDiffer(exporting, importing, violations);
        FreeText.CheckRequired("exportingAuthority", draft.ExportingAuthority, "the exporting (issuing) authority", MaxAuthorityLength, allowLineBreaks: false, violations);
        CheckParty("exporter", draft.Exporter, exporting, "exporting", violations);
        CheckParty("importer", draft.Importer, importing, "importing", violations);
        CheckParcels(draft.Parcels, violations);
        CheckTotals(draft.Carats, draft.Value, violations);
        var lines = draft.HsLines ?? [];
        if (!CheckCount("hsLines", lines.Count, MaxHsLines, "HS lines", violations))
            CheckHsLines(lines, draft.Carats, draft.Value, violations);
        var (issue, expiry) = CheckDates(draft.DateOfIssue, draft.DateOfExpiry, ctx, violations);
        FreeText.CheckOptional("sealNumber", draft.SealNumber, "the seal number", MaxSealNumberLength, allowLineBreaks: false, violations);
        FreeText.CheckOptional("qualityCharacteristics", draft.QualityCharacteristics, "the quality characteristics", MaxQualityCharacteristicsLength, allowLineBreaks: true, violations);
        FreeText.CheckOptional("remarks", draft.Remarks, "the remarks", MaxRemarksLength, allowLineBreaks: true, violations);
        CheckReplaces(draft.Replaces, draft.Number, ctx, violations);
        FreeText.CheckOptional("originZone", draft.OriginZone, "the zone of origin", MaxOriginZoneLength, allowLineBreaks: false, violations);
        if (!string.IsNullOrEmpty(draft.IssuingOffice) && !OfficeCode.IsWellFormed(draft.IssuingOffice))
            violations.Add(new("issuingOffice", $"{Quote(draft.IssuingOffice)} is not an office code (the member state's ISO code, '-', then capital letters, digits or '-', e.g. BE-ANTWERP)"));

        if (violations.Count > 0 || issue is not { } dateOfIssue || expiry is not { } dateOfExpiry)
            return new ValidationResult(null, violations);

        var certificate = new Certificate
        {
            Number = draft.Number ?? "",
            OriginCountries = origins.ToArray(),
            MixedOrigin = draft.MixedOrigin,
            ProvenanceCountry = NullIfEmpty(draft.ProvenanceCountry),
            ExportingParticipant = draft.ExportingParticipant!,
            ImportingParticipant = draft.ImportingParticipant!,
            ExportingAuthority = draft.ExportingAuthority!,
            Exporter = draft.Exporter!,
            Importer = draft.Importer!,
            Parcels = draft.Parcels,
            Carats = draft.Carats,
            Value = draft.Value,
            HsLines = lines.ToArray(),
            DateOfIssue = dateOfIssue,
            DateOfExpiry = dateOfExpiry,
            SealNumber = NullIfEmpty(draft.SealNumber),
            InTransit = draft.InTransit,
            QualityCharacteristics = NullIfEmpty(draft.QualityCharacteristics),
            Remarks = NullIfEmpty(draft.Remarks),
            Replaces = NullIfEmpty(draft.Replaces),
            OriginZone = NullIfEmpty(draft.OriginZone),
            IssuingOffice = NullIfEmpty(draft.IssuingOffice),
        };
        return new ValidationResult(certificate, []);
    }

    private static void CheckNumber(string? number, CertificateRulesContext ctx, List<Violation> violations)
    {
        const string field = "number";
        if (string.IsNullOrEmpty(number))
        {
            if (ctx.NumberRequired)
                violations.Add(new(field, "the certificate number is missing"));
            return;
        }
        if (!CertificateNumber.IsWellFormed(number))
        {
            violations.Add(new(field, $"{Quote(number)} is not a certificate number: expected PREFIX-YYYY-NNNNNN, e.g. ZA-2026-000123"));
            return;
        }
        if (!HasAllowedPrefix(number, ctx))
            violations.Add(new(field, $"{Quote(number)} must begin with {AllowedPrefixes(ctx)}, the issuing authority's prefix"));
    }

    private static void CheckOrigin(IReadOnlyList<string> origins, bool mixedOrigin, List<Violation> violations)
    {
        if (mixedOrigin && origins.Count > 0)
            violations.Add(new("mixedOrigin", "goods are either of mixed origin or name their countries of origin, not both: clear mixedOrigin or originCountries"));
        else if (!mixedOrigin && origins.Count == 0)
            violations.Add(new("originCountries", "name at least one country of origin (ISO 3166-1 alpha-2 code, e.g. BW), or mark the goods as mixed origin"));

        var firstSeenAt = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < origins.Count; i++)
        {
            var field = $"originCountries[{i}]";
            if (!CheckCountryCode(field, origins[i], "the country of origin", required: true, violations))
                continue;
            if (!firstSeenAt.TryAdd(origins[i], i))
                violations.Add(new(field, $"{Country(origins[i])} is listed twice (also at originCountries[{firstSeenAt[origins[i]]}])"));
        }
    }

    // Codes officers meet in other documents (EU texts write Greece EL) that ISO keeps reserved.
    private static readonly FrozenDictionary<string, string> ReservedCodes =
        new Dictionary<string, string> { ["UK"] = "GB", ["EL"] = "GR" }.ToFrozenDictionary(StringComparer.Ordinal);

    // True when the code is an assigned ISO code, so that callers check further only what can be checked.
    private static bool CheckCountryCode(string field, string? code, string what, bool required, List<Violation> violations)
    {
        if (string.IsNullOrEmpty(code))
        {
            if (required)
                violations.Add(new(field, $"{what} is missing; give its ISO 3166-1 alpha-2 code, e.g. ZA"));
            return false;
        }
        if (Iso3166.IsAssigned(code))
            return true;

        var meant = code.Trim().ToUpperInvariant();
        if (string.IsNullOrWhiteSpace(code))
            violations.Add(new(field, $"{what} is blank; give its ISO 3166-1 alpha-2 code, e.g. ZA"));
        else if (ReservedCodes.TryGetValue(meant, out var assigned))
            violations.Add(new(field, $"{Quote(code)} is reserved, not an assigned ISO 3166-1 alpha-2 code: write {Country(assigned)}"));
        else if (Iso3166.IsAssigned(meant))
            violations.Add(new(field, code.Trim() == code
                ? $"write the country code in capitals: {meant}, not {Quote(code)}"
                : $"write the country code as {meant}, in capitals and without spaces"));
        else
            violations.Add(new(field, $"{Quote(code)} is not an officially assigned ISO 3166-1 alpha-2 country code"));
        return false;
    }

    private static KpParticipant? CheckParticipant(string field, string? code, string side, CertificateRulesContext ctx, List<Violation> violations)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            violations.Add(new(field, $"the {side} participant is missing; give its KP code, e.g. ZA, or EU"));
            return null;
        }
        if (ctx.FindParticipant(code) is { } participant)
            return participant;

        var meant = code.Trim().ToUpperInvariant();
        if (KpParticipants.IsKnown(meant))
            violations.Add(new(field, $"write the participant code in capitals and without spaces: {meant}"));
        else if (KpParticipants.EuMemberStates.Contains(meant))
            violations.Add(new(field, $"{Country(meant)} trades through the European Union: give EU or the code of the Union authority ({UnionAuthorityCodes()})"));
        else if (Iso3166.IsAssigned(meant))
            violations.Add(new(field, $"{Country(meant)} is not a Kimberley Process participant: rough diamonds may only be traded with participants"));
        else
            violations.Add(new(field, $"{Quote(code)} is not a Kimberley Process participant code"));
        return null;
    }

    private static void CheckParticipantsDiffer(KpParticipant? exporting, KpParticipant? importing, List<Violation> violations)
    {
        if (exporting is null || importing is null)
            return;
        if (exporting.Code == importing.Code)
            violations.Add(new("importingParticipant", $"the importing participant must differ from the exporting participant (both are {exporting.Code})"));
        else if (KpParticipants.IsEuropeanUnion(exporting.Code) && KpParticipants.IsEuropeanUnion(importing.Code))
            violations.Add(new("importingParticipant", $"{exporting.Code} and {importing.Code} are both the European Union, one participant: trade within the Union needs no KP certificate"));
    }

    private static void CheckParty(string field, Party? party, KpParticipant? participant, string side, List<Violation> violations)
    {
        if (party is null)
        {
            violations.Add(new(field, $"the {field} (name, address and country) is missing"));
            return;
        }
        FreeText.CheckRequired($"{field}.name", party.Name, $"the {field}'s name", MaxNameLength, allowLineBreaks: false, violations);
        FreeText.CheckRequired($"{field}.address", party.Address, $"the {field}'s address", MaxAddressLength, allowLineBreaks: true, violations);
        if (!CheckCountryCode($"{field}.country", party.Country, $"the {field}'s country", required: true, violations) || participant is null)
            return;

        if (KpParticipants.IsEuropeanUnion(participant.Code))
        {
            if (!KpParticipants.EuMemberStates.Contains(party.Country))
                violations.Add(new($"{field}.country", $"the {field} must be in a member state of the European Union, the {side} participant; {Country(party.Country)} is not one"));
        }
        else if (party.Country != participant.Code)
        {
            violations.Add(new($"{field}.country", $"the {field} must be in the {side} participant's country, {participant.Name} ({participant.Code}), not in {Country(party.Country)}"));
        }
    }

    private static void CheckParcels(int parcels, List<Violation> violations)
    {
        if (parcels < 1)
            violations.Add(new("parcels", $"the number of parcels must be at least 1; the certificate says {parcels.ToString(CultureInfo.InvariantCulture)}"));
        else if (parcels > MaxParcels)
            violations.Add(new("parcels", $"{parcels.ToString("N0", CultureInfo.InvariantCulture)} parcels is more than the {MaxParcels.ToString("N0", CultureInfo.InvariantCulture)} one certificate may carry; check the figure"));
    }

    private static void CheckTotals(Carats carats, UsDollars value, List<Violation> violations)
    {
        if (carats.Hundredths <= 0)
            violations.Add(new("caratsHundredths", $"the carat weight must be more than 0 ct; the certificate says {carats}"));
        if (value.Cents < 0)
            violations.Add(new("valueUsdCents", $"the value cannot be negative; the certificate says {value}"));
    }

    private static void CheckHsLines(IReadOnlyList<HsLine> lines, Carats carats, UsDollars value, List<Violation> violations)
    {
        if (lines.Count == 0)
        {
            violations.Add(new("hsLines", "at least one HS line (HS code, carats and value) is required"));
            return;
        }

        var firstSeenAt = new Dictionary<string, int>(StringComparer.Ordinal);
        // Int128 cannot overflow on any number of long addends a message can carry.
        Int128 caratSum = 0, valueSum = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var field = $"hsLines[{i}]";
            var line = lines[i];
            if (line is null)
            {
                violations.Add(new(field, "the HS line is empty"));
                continue;
            }
            if (HsCodes.RefusalReason(line.HsCode) is { } reason)
                violations.Add(new($"{field}.hsCode", reason));
            else if (!firstSeenAt.TryAdd(line.HsCode, i))
                violations.Add(new($"{field}.hsCode", $"{line.HsCode} already has a line (hsLines[{firstSeenAt[line.HsCode]}]); put all goods of one HS code on one line"));
            if (line.Carats.Hundredths <= 0)
                violations.Add(new($"{field}.caratsHundredths", $"the line's carat weight must be more than 0 ct; it says {line.Carats}"));
            if (line.Value.Cents < 0)
                violations.Add(new($"{field}.valueUsdCents", $"the line's value cannot be negative; it says {line.Value}"));
            caratSum += line.Carats.Hundredths;
            valueSum += line.Value.Cents;
        }

        if (caratSum < long.MinValue || caratSum > long.MaxValue)
            violations.Add(new("caratsHundredths", "the HS lines' carats add up to more than a certificate can hold; check the figures"));
        else if ((long)caratSum != carats.Hundredths)
            violations.Add(new("caratsHundredths", $"the HS lines add up to {new Carats((long)caratSum)} but the certificate says {carats}"));

        if (valueSum < long.MinValue || valueSum > long.MaxValue)
            violations.Add(new("valueUsdCents", "the HS lines' values add up to more than a certificate can hold; check the figures"));
        else if ((long)valueSum != value.Cents)
            violations.Add(new("valueUsdCents", $"the HS lines add up to {new UsDollars((long)valueSum)} but the certificate says {value}"));
    }

    private static (DateOnly? Issue, DateOnly? Expiry) CheckDates(string? issueText, string? expiryText, CertificateRulesContext ctx, List<Violation> violations)
    {
        var issue = ParseDate("dateOfIssue", issueText, "the date of issue", violations);
        var expiry = ParseDate("dateOfExpiry", expiryText, "the date of expiry", violations);

        if (issue is { } i && i.DayNumber > ctx.Today.DayNumber + ctx.FutureIssueToleranceDays)
            violations.Add(new("dateOfIssue", $"the date of issue {Iso(i)} is in the future (today is {Iso(ctx.Today)})"));
        else if (issue is { } early && ctx.BackdatingDays is { } back && early < ctx.Today.AddDays(-back))
            violations.Add(new("dateOfIssue", back == 0
                ? $"the date of issue {Iso(early)} is in the past: a certificate is issued today, {Iso(ctx.Today)} (leave dateOfIssue empty for today)"
                : $"the date of issue {Iso(early)} is more than {back} days in the past: it must be {Iso(ctx.Today.AddDays(-back))} or later (today is {Iso(ctx.Today)})"));

        if (expiry is { } end && ctx.ExpiryAfterToday && end <= ctx.Today)
            violations.Add(new("dateOfExpiry", $"the date of expiry {Iso(end)} must be after today, {Iso(ctx.Today)}: a certificate cannot be issued already expired"));

        if (issue is { } from && expiry is { } to)
        {
            var days = to.DayNumber - from.DayNumber;
            if (days <= 0)
                violations.Add(new("dateOfExpiry", $"the date of expiry {Iso(to)} must be after the date of issue {Iso(from)}"));
            else if (days > ctx.MaxValidityDays)
                violations.Add(new("dateOfExpiry", $"a certificate may be valid for at most {ctx.MaxValidityDays} days, so it must expire by {Iso(from.AddDays(ctx.MaxValidityDays))}; this one runs {days} days, to {Iso(to)}"));
        }
        return (issue, expiry);
    }

    private static DateOnly? ParseDate(string field, string? text, string what, List<Violation> violations)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            violations.Add(new(field, $"{what} is missing; write it YYYY-MM-DD"));
            return null;
        }
        if (KpDate.Parse(text) is { } date)
        {
            if (KpDate.InRange(date))
                return date;
            violations.Add(new(field, $"{what} {Quote(text)} is out of range: a KP certificate is dated {KpDate.RangeText}"));
            return null;
        }
        violations.Add(new(field, $"{Quote(text)} is not a date written YYYY-MM-DD, e.g. 2026-07-10"));
        return null;
    }

    private static void CheckReplaces(string? replaces, string? number, CertificateRulesContext ctx, List<Violation> violations)
    {
        const string field = "replaces";
        if (string.IsNullOrEmpty(replaces))
            return;
        if (!CertificateNumber.IsWellFormed(replaces))
            violations.Add(new(field, $"{Quote(replaces)} is not a certificate number: expected PREFIX-YYYY-NNNNNN, e.g. ZA-2026-000123"));
        else if (replaces == number)
            violations.Add(new(field, "a certificate cannot replace itself"));
        else if (!HasAllowedPrefix(replaces, ctx))
            violations.Add(new(field, $"only a certificate of the same issuer can be replaced: {Quote(replaces)} must begin with {AllowedPrefixes(ctx)}"));
    }

    private static bool HasAllowedPrefix(string number, CertificateRulesContext ctx) =>
        ctx.AllowedNumberPrefixes is not { Count: > 0 } prefixes
        || prefixes.Contains(CertificateNumber.Prefix(number), StringComparer.Ordinal);

    private static string AllowedPrefixes(CertificateRulesContext ctx)
    {
        var prefixes = ctx.AllowedNumberPrefixes.Select(p => $"{p}-").ToArray();
        return prefixes.Length == 1 ? prefixes[0] : $"{string.Join(", ", prefixes[..^1])} or {prefixes[^1]}";
    }

    private static string UnionAuthorityCodes() =>
        string.Join(", ", KpParticipants.All.Where(p => p.Kind == ParticipantKind.UnionAuthority).Select(p => p.Code));

    private static string Country(string code) => Iso3166.NameOf(code) is { } name ? $"{name} ({code})" : code;

    private static string Iso(DateOnly date) => KpDate.Text(date);

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    // Echoes what the officer typed, but never lets it smuggle control characters or pages of
    // text into a message.
    private static string Quote(string text)
    {
        const int shown = 40;
        var quoted = new StringBuilder("'");
        foreach (var ch in text.Length > shown ? text[..shown] : text)
        {
            if (char.IsControl(ch) || char.IsSurrogate(ch) || FreeText.IsBidiControl(ch))
                quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)ch:X4}");
            else
                quoted.Append(ch);
        }
        if (text.Length > shown)
            quoted.Append('…');
        return quoted.Append('\'').ToString();
    }
}
