using System.Collections.Frozen;

namespace KpNode.Domain;

/// <summary>What a code on a certificate's exporting or importing side stands for in the Kimberley Process.</summary>
internal enum ParticipantKind
{
    /// <summary>A KP participant, a country or the European Union as a whole.</summary>
    Participant = 1,
    /// <summary>One of the EU's Union authorities, through which all EU trade passes; named by its member state.</summary>
    UnionAuthority = 2,
    /// <summary>A rough-diamond trading entity meeting the minimum requirements without being a participant (Chinese Taipei).</summary>
    TradingEntity = 3,
}

/// <summary>A code that may stand on the exporting or importing side of a certificate.</summary>
internal sealed record KpParticipant(string Code, string Name, ParticipantKind Kind);

/// <summary>The KP participants, the EU Union authorities and the trading entity, as known to this build.</summary>
internal static class KpParticipants
{
    /// <summary>The code of the European Union as one participant (not an ISO 3166-1 code).</summary>
    public const string EuropeanUnion = "EU";

    private static readonly FrozenDictionary<string, KpParticipant> ByCode =
        Table().ToFrozenDictionary(p => p.Code, StringComparer.Ordinal);

    /// <summary>Every known code: participants first, then the trading entity and the Union authorities.</summary>
    public static IReadOnlyList<KpParticipant> All { get; } = Table();

    /// <summary>The 27 member states of the European Union (ISO 3166-1 alpha-2), where EU exporters and importers may be.</summary>
    public static IReadOnlySet<string> EuMemberStates { get; } = new[]
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The participant, Union authority or trading entity with this code, or null.</summary>
    public static KpParticipant? Find(string? code) =>
        code is not null && ByCode.TryGetValue(code, out var participant) ? participant : null;

    /// <summary>True when the code may stand on a certificate's exporting or importing side.</summary>
    public static bool IsKnown(string? code) => Find(code) is not null;

    /// <summary>True for "EU" and for the Union authorities: all of them speak for the one EU participant.</summary>
    public static bool IsEuropeanUnion(string? code) =>
        Find(code) is { } participant
        && (participant.Code == EuropeanUnion || participant.Kind == ParticipantKind.UnionAuthority);

    // From shared/data/kp-participants.csv (60 participants, the EU counted once; Chinese Taipei;
    // the 7 Union authorities). Embedded so that the node's decisions do not depend on a file
    // an operator could edit; a participant's status (suspended, partial) belongs to trade
    // policy, not to this table.
    private static KpParticipant[] Table() =>
    [
        new("AO", "Angola", ParticipantKind.Participant),
        new("AM", "Armenia", ParticipantKind.Participant),
        new("AU", "Australia", ParticipantKind.Participant),
        new("BD", "Bangladesh", ParticipantKind.Participant),
        new("BY", "Belarus", ParticipantKind.Participant),
        new("BW", "Botswana", ParticipantKind.Participant),
        new("BR", "Brazil", ParticipantKind.Participant),
        new("KH", "Cambodia", ParticipantKind.Participant),
        new("CM", "Cameroon", ParticipantKind.Participant),
        new("CA", "Canada", ParticipantKind.Participant),
        new("CF", "Central African Republic", ParticipantKind.Participant),
        new("CN", "China", ParticipantKind.Participant),
        new("CD", "Congo, Democratic Republic of", ParticipantKind.Participant),
        new("CG", "Congo, Republic of", ParticipantKind.Participant),
        new("CI", "Côte d'Ivoire", ParticipantKind.Participant),
        new("EU", "European Union", ParticipantKind.Participant),
        new("GA", "Gabon", ParticipantKind.Participant),
        new("GH", "Ghana", ParticipantKind.Participant),
        new("GN", "Guinea", ParticipantKind.Participant),
        new("GY", "Guyana", ParticipantKind.Participant),
        new("IN", "India", ParticipantKind.Participant),
        new("ID", "Indonesia", ParticipantKind.Participant),
        new("IL", "Israel", ParticipantKind.Participant),
        new("JP", "Japan", ParticipantKind.Participant),
        new("KZ", "Kazakhstan", ParticipantKind.Participant),
        new("KR", "Korea, Republic of", ParticipantKind.Participant),
        new("KG", "Kyrgyz Republic", ParticipantKind.Participant),
        new("LA", "Lao People's Democratic Republic", ParticipantKind.Participant),
        new("LB", "Lebanon", ParticipantKind.Participant),
        new("LS", "Lesotho", ParticipantKind.Participant),
        new("LR", "Liberia", ParticipantKind.Participant),
        new("MY", "Malaysia", ParticipantKind.Participant),
        new("ML", "Mali", ParticipantKind.Participant),
        new("MU", "Mauritius", ParticipantKind.Participant),
        new("MX", "Mexico", ParticipantKind.Participant),
        new("MZ", "Mozambique", ParticipantKind.Participant),
        new("NA", "Namibia", ParticipantKind.Participant),
        new("NZ", "New Zealand", ParticipantKind.Participant),
        new("NO", "Norway", ParticipantKind.Participant),
        new("PA", "Panama", ParticipantKind.Participant),
        new("QA", "Qatar", ParticipantKind.Participant),
        new("RU", "Russian Federation", ParticipantKind.Participant),
        new("SL", "Sierra Leone", ParticipantKind.Participant),
        new("SG", "Singapore", ParticipantKind.Participant),
        new("ZA", "South Africa", ParticipantKind.Participant),
        new("LK", "Sri Lanka", ParticipantKind.Participant),
        new("SZ", "Eswatini (Swaziland)", ParticipantKind.Participant),
        new("CH", "Switzerland", ParticipantKind.Participant),
        new("TZ", "Tanzania", ParticipantKind.Participant),
        new("TH", "Thailand", ParticipantKind.Participant),
        new("TG", "Togo", ParticipantKind.Participant),
        new("TR", "Turkey", ParticipantKind.Participant),
        new("UA", "Ukraine", ParticipantKind.Participant),
        new("AE", "United Arab Emirates", ParticipantKind.Participant),
        new("GB", "United Kingdom", ParticipantKind.Participant),
        new("US", "United States of America", ParticipantKind.Participant),
        new("UZ", "Uzbekistan", ParticipantKind.Participant),
        new("VE", "Venezuela", ParticipantKind.Participant),
        new("VN", "Viet Nam", ParticipantKind.Participant),
        new("ZW", "Zimbabwe", ParticipantKind.Participant),
        new("TW", "Chinese Taipei (rough diamond trading entity)", ParticipantKind.TradingEntity),
        new("BE", "European Union (Union authority: Antwerp)", ParticipantKind.UnionAuthority),
        new("CZ", "European Union (Union authority: Prague)", ParticipantKind.UnionAuthority),
        new("DE", "European Union (Union authority: Idar-Oberstein)", ParticipantKind.UnionAuthority),
        new("IE", "European Union (Union authority: Dublin)", ParticipantKind.UnionAuthority),
        new("IT", "European Union (Union authority: Torino)", ParticipantKind.UnionAuthority),
        new("PT", "European Union (Union authority: Lisbon)", ParticipantKind.UnionAuthority),
        new("RO", "European Union (Union authority: Bucharest)", ParticipantKind.UnionAuthority),
    ];
}
