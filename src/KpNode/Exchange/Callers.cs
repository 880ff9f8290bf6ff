using System.Security.Claims;
using KpNode.Domain;

namespace KpNode.Exchange;

/// <summary>
/// Who is calling, as claims: built once per connection from the TLS client certificate its handshake admitted,
/// and read by services and the authorization policies.
/// </summary>
internal static class Callers
{
    /// <summary>The authentication scheme that turns an admitted client certificate into these claims.</summary>
    public const string Scheme = "KpCertificate";

    /// <summary>The policy of the Peer API: a configured partner's node.</summary>
    public const string PartnerPolicy = "Partner";

    /// <summary>The policy of the Local and Operations APIs: one of our own operators.</summary>
    public const string OperatorPolicy = "Operator";

    public const string PartnerNodeRole = "partner-node";
    public const string OperatorRole = "operator";

    /// <summary>The participant code named in the certificate's URI SAN (kp:participant:XX).</summary>
    public const string ParticipantClaim = "kp:participant";

    /// <summary>The operator named in the certificate's URI SAN (kp:operator:NAME).</summary>
    public const string OperatorClaim = "kp:operator";

    /// <summary>The operator's name for people ("N. Dlamini"), from the certificate's CN; the id when the CN names no one.</summary>
    public const string OperatorDisplayNameClaim = "kp:operator-display-name";

    /// <summary>The office an operator acts for (kp:office:CODE); absent for a participant-level operator, who acts for all.</summary>
    public const string OfficeClaim = "kp:office";

    /// <summary>One claim per role the operator certificate grants (kp:role:NAME); a certificate naming none grants every role.</summary>
    public const string OperatorRoleClaim = "kp:operator-role";

    public static ClaimsPrincipal PartnerNode(string participant) => Principal(
        new(ParticipantClaim, participant), new(ClaimTypes.Role, PartnerNodeRole), new(ClaimTypes.Name, participant));

    public static ClaimsPrincipal Operator(string participant, Actor op, string? office = null, IReadOnlyList<Trust.OperatorRole>? roles = null) => Principal(
    [
        new(ParticipantClaim, participant), new(OperatorClaim, op.Id), new(OperatorDisplayNameClaim, op.DisplayName),
        new(ClaimTypes.Role, OperatorRole), new(ClaimTypes.Name, op.Id),
        .. office is null ? [] : new[] { new Claim(OfficeClaim, office) },
        .. (roles is { Count: > 0 } ? roles : Trust.OperatorRoles.All).Select(r => new Claim(OperatorRoleClaim, Trust.OperatorRoles.Name(r))),
    ]);

    /// <summary>The office the operator acts for, or null for a participant-level operator (and for anyone else).</summary>
    public static string? Office(this ClaimsPrincipal user) => user.FindFirst(OfficeClaim)?.Value;

    /// <summary>The roles the operator's certificate grants.</summary>
    public static IReadOnlyList<Trust.OperatorRole> OperatorRoles(this ClaimsPrincipal user) =>
        [.. user.FindAll(OperatorRoleClaim).Select(c => Trust.OperatorRoles.Parse(c.Value)).OfType<Trust.OperatorRole>()];

    public static string? Participant(this ClaimsPrincipal user) => user.FindFirst(ParticipantClaim)?.Value;

    public static Actor? Operator(this ClaimsPrincipal user) =>
        user.IsInRole(OperatorRole) && user.FindFirst(OperatorClaim)?.Value is { } id
            ? new Actor(id, user.FindFirst(OperatorDisplayNameClaim)?.Value ?? id, user.Office())
            : null;

    public static bool IsPartnerNode(this ClaimsPrincipal user) => user.IsInRole(PartnerNodeRole);

    private static ClaimsPrincipal Principal(params IEnumerable<Claim> claims) => new(new ClaimsIdentity(claims, Scheme));
}
