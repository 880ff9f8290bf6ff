namespace KpNode.Trust;

/// <summary>What an operator may do on the Local API, as the operator certificate's <c>kp:role:NAME</c> URI SANs say.</summary>
internal enum OperatorRole
{
    /// <summary>Issues, voids and confirms certificates (and reads them).</summary>
    IssuingOfficer = 1,

    /// <summary>Approves or rejects what an issuing officer submitted, where four-eyes issuing or voiding is configured.</summary>
    ApprovingOfficer = 2,

    /// <summary>Read-only: looks certificates up, checks their authenticity, watches events.</summary>
    Customs = 3,

    /// <summary>Reads trade statistics and the node's status.</summary>
    Statistics = 4,

    /// <summary>Runs the node: PKI, partners, outbox, backup, audit.</summary>
    Administrator = 5,
}

/// <summary>The roles' names as certificates, the CLI and refusals spell them.</summary>
internal static class OperatorRoles
{
    public const string UriPrefix = "kp:role:";

    /// <summary>Every role, in the order refusals list them.</summary>
    public static readonly IReadOnlyList<OperatorRole> All =
        [OperatorRole.IssuingOfficer, OperatorRole.ApprovingOfficer, OperatorRole.Customs, OperatorRole.Statistics, OperatorRole.Administrator];

    public static string Name(OperatorRole role) => role switch
    {
        OperatorRole.IssuingOfficer => "issuing-officer",
        OperatorRole.ApprovingOfficer => "approving-officer",
        OperatorRole.Customs => "customs",
        OperatorRole.Statistics => "statistics",
        OperatorRole.Administrator => "administrator",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown role"),
    };

    public static OperatorRole? Parse(string? name) =>
        All.Where(r => string.Equals(Name(r), name?.Trim(), StringComparison.OrdinalIgnoreCase)).Select(r => (OperatorRole?)r).FirstOrDefault();

    public static string Uri(OperatorRole role) => UriPrefix + Name(role);

    /// <summary>"issuing-officer or administrator".</summary>
    public static string Describe(IEnumerable<OperatorRole> roles)
    {
        var names = roles.Select(Name).ToList();
        return names.Count <= 1 ? string.Concat(names) : string.Join(", ", names[..^1]) + " or " + names[^1];
    }
}
