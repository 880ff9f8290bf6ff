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

    public static ClaimsPrincipal PartnerNode(string participant) => Principal(
        new(ParticipantClaim, participant), new(ClaimTypes.Role, PartnerNodeRole), new(ClaimTypes.Name, participant));

    public static ClaimsPrincipal Operator(string participant, Actor op) => Principal(
        new(ParticipantClaim, participant), new(OperatorClaim, op.Id), new(OperatorDisplayNameClaim, op.DisplayName),
        new(ClaimTypes.Role, OperatorRole), new(ClaimTypes.Name, op.Id));

    public static string? Participant(this ClaimsPrincipal user) => user.FindFirst(ParticipantClaim)?.Value;

    public static Actor? Operator(this ClaimsPrincipal user) =>
        user.IsInRole(OperatorRole) && user.FindFirst(OperatorClaim)?.Value is { } id
            ? new Actor(id, user.FindFirst(OperatorDisplayNameClaim)?.Value ?? id)
            : null;

    public static bool IsPartnerNode(this ClaimsPrincipal user) => user.IsInRole(PartnerNodeRole);

    private static ClaimsPrincipal Principal(params Claim[] claims) => new(new ClaimsIdentity(claims, Scheme));
}
