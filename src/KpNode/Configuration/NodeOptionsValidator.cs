using KpNode.Domain;
using Microsoft.Extensions.Options;

namespace KpNode.Configuration;

/// <summary>Checks the "Node" section's own keys and its partners; each problem names the key and what to do.</summary>
internal sealed class NodeOptionsValidator : IValidateOptions<NodeOptions>
{
    public ValidateOptionsResult Validate(string? name, NodeOptions options)
    {
        var problems = Check(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static IEnumerable<string> Check(NodeOptions o)
    {
        const string N = ConfigKeys.Node;
        if (!IsParticipantCode(o.Participant))
        {
            yield return $"{ConfigKeys.Key(N, "Participant")}: '{o.Participant}' is not a participant code (2-8 capital letters or digits, e.g. ZA)";
        }
        else if (!IsKpParticipant(o, o.Participant))
        {
            yield return NotAParticipant(ConfigKeys.Key(N, "Participant"), o.Participant);
        }

        foreach (var problem in CheckAdmitted(o))
        {
            yield return problem;
        }

        foreach (var problem in AuthorityProblems(ConfigKeys.Key(N, "ExportingAuthority"), o.ExportingAuthority, required: true))
        {
            yield return problem;
        }

        if (o.IssuingPrefixes.Count == 0)
        {
            yield return $"{ConfigKeys.Key(N, "IssuingPrefixes")}: name at least one prefix for certificate numbers (e.g. [\"ZA\"])";
        }

        for (var i = 0; i < o.IssuingPrefixes.Count; i++)
        {
            if (!IsPrefix(o.IssuingPrefixes[i]))
            {
                yield return $"{ConfigKeys.Key(N, "IssuingPrefixes", i)}: '{o.IssuingPrefixes[i]}' is not a number prefix (2 capital letters, then up to 6 capital letters or digits)";
            }
        }

        foreach (var problem in CheckOffices(ConfigKeys.Key(N, "Offices"), o.Offices, o.IssuingPrefixes, $"{ConfigKeys.Key(N, "IssuingPrefixes")}"))
        {
            yield return problem;
        }

        if (string.IsNullOrWhiteSpace(o.DataDirectory))
        {
            yield return $"{ConfigKeys.Key(N, "DataDirectory")}: required (where the node keeps its database)";
        }

        if (string.IsNullOrWhiteSpace(o.PkiDirectory))
        {
            yield return $"{ConfigKeys.Key(N, "PkiDirectory")}: required (the folder made by 'kpnode pki init')";
        }
        else if (!Directory.Exists(o.PkiDirectory))
        {
            yield return $"{ConfigKeys.Key(N, "PkiDirectory")}: the folder {o.PkiDirectory} does not exist (create it with 'kpnode pki init --participant {o.Participant} --out {o.PkiDirectory}')";
        }

        foreach (var (key, value) in new[] { ("PeerEndpoint", o.PeerEndpoint), ("LocalEndpoint", o.LocalEndpoint) })
        {
            if (!ListenAddress.TryParse(value, out _))
            {
                yield return ListenAddress.Problem(ConfigKeys.Key(N, key), value);
            }
        }

        foreach (var clash in EndpointClashes.Check(o))
        {
            yield return clash;
        }

        if (o.MaxValidityDays is < 1 or > 3650)
        {
            yield return $"{ConfigKeys.Key(N, "MaxValidityDays")}: {o.MaxValidityDays} is outside 1..3650";
        }

        if (o.DefaultValidityDays < 1 || o.DefaultValidityDays > o.MaxValidityDays)
        {
            yield return $"{ConfigKeys.Key(N, "DefaultValidityDays")}: {o.DefaultValidityDays} must be 1..MaxValidityDays ({o.MaxValidityDays})";
        }

        if (o.BackdatingDays < 0 || o.BackdatingDays > o.MaxValidityDays)
        {
            yield return $"{ConfigKeys.Key(N, "BackdatingDays")}: {o.BackdatingDays} must be 0 (today only) up to MaxValidityDays ({o.MaxValidityDays})";
        }

        if (o.MaxMessageBytes is < 16 * 1024 or > 16 * 1024 * 1024)
        {
            yield return $"{ConfigKeys.Key(N, "MaxMessageBytes")}: {o.MaxMessageBytes} is outside 16 KiB..16 MiB";
        }

        if (o.ExpiryCheckInterval < TimeSpan.FromMilliseconds(100))
        {
            yield return $"{ConfigKeys.Key(N, "ExpiryCheckInterval")}: must be at least 0.1 s";
        }

        if (o.RetentionYears is < 3 or > 100)
        {
            yield return $"{ConfigKeys.Key(N, "RetentionYears")}: {o.RetentionYears} is outside 3..100 (the KPCS requires records kept at least 3 years; US and AU require 5)";
        }

        foreach (var problem in CheckPartners(o))
        {
            yield return problem;
        }
    }

    private static IEnumerable<string> CheckPartners(NodeOptions o)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < o.Partners.Count; i++)
        {
            var p = o.Partners[i];
            if (!IsParticipantCode(p.Participant))
            {
                yield return $"{ConfigKeys.Partner(i, "Participant")}: '{p.Participant}' is not a participant code";
            }
            else if (!IsKpParticipant(o, p.Participant))
            {
                yield return NotAParticipant(ConfigKeys.Partner(i, "Participant"), p.Participant);
            }
            else if (p.Participant == o.Participant)
            {
                yield return $"{ConfigKeys.Partner(i, "Participant")}: {p.Participant} is this node itself, not a partner";
            }
            else if (!seen.Add(p.Participant))
            {
                yield return $"{ConfigKeys.Partner(i, "Participant")}: partner {p.Participant} is listed twice";
            }

            if (!Uri.TryCreate(p.Address, UriKind.Absolute, out var address) || address.Scheme != Uri.UriSchemeHttps)
            {
                yield return $"{ConfigKeys.Partner(i, "Address")}: '{p.Address}' is not an https:// address of the partner's Peer API";
            }

            if (string.IsNullOrWhiteSpace(p.RootCertificate))
            {
                yield return $"{ConfigKeys.Partner(i, "RootCertificate")}: required (the partner's root CA certificate, PEM)";
            }
            else if (!File.Exists(p.RootCertificate))
            {
                yield return $"{ConfigKeys.Partner(i, "RootCertificate")}: the file {p.RootCertificate} does not exist (ask {p.Participant} for its root.crt)";
            }

            if (!Enum.IsDefined(p.Standing))
            {
                yield return StandingProblem(i, p.Standing.ToString());
            }
            else if (p.Standing == PartnerStanding.Partial && p.PermittedOriginZones.Count == 0)
            {
                yield return $"{ConfigKeys.Partner(i, "PermittedOriginZones")}: a Partial partner needs the list of zones its exports may come from";
            }

            foreach (var problem in TradePolicyOptionsValidator.CheckOrigins(ConfigKeys.Partner(i, "RefusedOrigins"), p.RefusedOrigins))
            {
                yield return problem;
            }

            foreach (var problem in AuthorityProblems(ConfigKeys.Partner(i, "ExportingAuthority"), p.ExportingAuthority, required: false))
            {
                yield return problem;
            }

            foreach (var problem in CheckOffices(ConfigKeys.Partner(i, "Offices"), p.Offices, p.NumberPrefixes.Count > 0 ? p.NumberPrefixes : null,
                         ConfigKeys.Partner(i, "NumberPrefixes")))
            {
                yield return problem;
            }

            for (var j = 0; j < p.NumberPrefixes.Count; j++)
            {
                if (!IsPrefix(p.NumberPrefixes[j]))
                {
                    yield return $"{ConfigKeys.Partner(i, "NumberPrefixes")}:{j}: '{p.NumberPrefixes[j]}' is not a number prefix";
                }
            }
        }
    }

    /// <summary>
    /// A participant's offices: codes well-formed and unique, an authority each, and a number prefix of its own among
    /// <paramref name="prefixes"/> (null: not listed, so not checked), so two offices can never number alike.
    /// </summary>
    private static IEnumerable<string> CheckOffices(string key, List<OfficeOptions> offices, List<string>? prefixes, string prefixesKey)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        var usedPrefixes = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < offices.Count; i++)
        {
            var office = offices[i];
            string K(string name) => $"{key}:{i}:{name}";
            if (!OfficeCode.IsWellFormed(office.Code))
            {
                yield return $"{K("Code")}: '{office.Code}' is not an office code (the member state's ISO code, '-', then capital letters, digits or '-', e.g. BE-ANTWERP)";
            }
            else if (!codes.Add(office.Code))
            {
                yield return $"{K("Code")}: office {office.Code} is listed twice";
            }

            foreach (var problem in AuthorityProblems(K("ExportingAuthority"), office.ExportingAuthority, required: true))
            {
                yield return problem;
            }

            if (!IsPrefix(office.NumberPrefix))
            {
                yield return $"{K("NumberPrefix")}: '{office.NumberPrefix}' is not a number prefix (for the EU, the member state's ISO code, e.g. BE)";
            }
            else if (usedPrefixes.TryGetValue(office.NumberPrefix, out var other))
            {
                yield return $"{K("NumberPrefix")}: {office.NumberPrefix} is already office {other}'s; each office numbers with a prefix of its own";
            }
            else
            {
                usedPrefixes[office.NumberPrefix] = office.Code;
                if (prefixes is not null && !prefixes.Contains(office.NumberPrefix))
                {
                    yield return $"{K("NumberPrefix")}: {office.NumberPrefix} is not among {prefixesKey}; add it there";
                }
            }
        }
    }

    private static IEnumerable<string> CheckAdmitted(NodeOptions o)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < o.AdmittedParticipants.Count; i++)
        {
            var a = o.AdmittedParticipants[i];
            string K(string key) => $"{ConfigKeys.Key(ConfigKeys.Node, "AdmittedParticipants", i)}:{key}";
            if (!IsParticipantCode(a.Code))
            {
                yield return $"{K("Code")}: '{a.Code}' is not a participant code (2-8 capital letters or digits)";
            }
            else if (!seen.Add(a.Code))
            {
                yield return $"{K("Code")}: {a.Code} is listed twice";
            }

            if (string.IsNullOrWhiteSpace(a.Name))
            {
                yield return $"{K("Name")}: required (the participant's name, as the KP lists it)";
            }

            if (!DateOnly.TryParseExact(a.Admitted, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
            {
                yield return $"{K("Admitted")}: '{a.Admitted}' is not a date yyyy-MM-dd (the day the KP admitted {a.Code})";
            }
        }
    }

    /// <summary>True for a code of the built-in KP table or one named under Node:AdmittedParticipants.</summary>
    private static bool IsKpParticipant(NodeOptions o, string code) =>
        KpParticipants.IsKnown(code) || o.AdmittedParticipants.Any(a => a.Code == code);

    private static string NotAParticipant(string key, string code) =>
        $"{key}: {code} is not a KP participant; if it was admitted after this release, add it under {ConfigKeys.Key(ConfigKeys.Node, "AdmittedParticipants")} (Code, Name, Admitted)";

    /// <summary>A competent authority's name obeys the certificate's own rule for the field, since it is copied into certificates.</summary>
    private static IEnumerable<string> AuthorityProblems(string key, string name, bool required)
    {
        var violations = new List<Violation>();
        if (required && string.IsNullOrWhiteSpace(name))
        {
            return [$"{key}: required (the name of the competent authority that issues this node's certificates, e.g. \"South African Diamond and Precious Metals Regulator\")"];
        }

        FreeText.CheckOptional(key, name, "the authority's name", CertificateRules.MaxAuthorityLength, allowLineBreaks: false, violations);
        return violations.Select(v => v.ToString());
    }

    public static string StandingProblem(int partner, string value) =>
        $"{ConfigKeys.Partner(partner, "Standing")}: '{value}' is not Active, Suspended or Partial";

    internal static bool IsParticipantCode(string? code) => Domain.ParticipantCode.IsWellFormed(code);

    internal static bool IsPrefix(string? prefix) => Domain.CertificateNumber.IsWellFormedPrefix(prefix);
}
