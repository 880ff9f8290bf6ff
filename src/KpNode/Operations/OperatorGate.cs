using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Domain;
using KpNode.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using Microsoft.Extensions.Options;

namespace KpNode.Operations;

/// <summary>
/// Admits to the Local endpoint only operator certificates from our own root: they name our participant and an
/// operator (URI SAN kp:operator:NAME). Our node TLS certificate and any partner's are refused.
/// </summary>
internal sealed class OperatorGate(
    IOptions<NodeOptions> node, NodeCredentials credentials, TrustChain trust, HandshakeRefusals refusals, TimeProvider time,
    ILogger<OperatorGate> logger)
{
    private readonly IReadOnlyCollection<X509Certificate2> _anchors = [credentials.Root];

    /// <summary>Kestrel's handshake callback: the operator's claims, or null (logged with the reason) for anyone else.</summary>
    public ClaimsPrincipal? Admit(X509Certificate2 certificate)
    {
        var (op, reason) = Identify(certificate);
        var scope = op is null ? default : Scope(certificate);
        if (scope.Problem is { } problem)
        {
            (op, reason) = (null, problem);
        }

        if (op is null)
        {
            if (refusals.Refused("Local", reason))
            {
                Log.LocalCertificateRefused(logger, certificate.Subject, certificate.Thumbprint, reason);
            }

            return null;
        }

        return Callers.Operator(node.Value.Participant, op, scope.Office, scope.Roles);
    }

    /// <summary>
    /// The office and roles the certificate names: an office must be one of Node:Offices (an office since removed acts
    /// for nobody), and a role must be one KpNode knows (a certificate naming an unknown one grants nothing).
    /// </summary>
    private (string? Office, IReadOnlyList<OperatorRole>? Roles, string? Problem) Scope(X509Certificate2 certificate)
    {
        var roles = ParticipantIdentity.RolesFromCertificate(certificate);
        if (roles is null)
        {
            return (null, null, $"the certificate names a role KpNode does not know (roles: {string.Join(", ", OperatorRoles.All.Select(OperatorRoles.Name))})");
        }

        var office = ParticipantIdentity.OfficeFromCertificate(certificate);
        if (office is null && ParticipantIdentity.NamesAnyOffice(certificate))
        {
            return (null, null, "the certificate names a malformed or second office");
        }

        if (office is not null && node.Value.Offices.All(o => o.Code != office))
        {
            return (null, null, node.Value.Offices.Count == 0
                ? $"the certificate names office {office}, but this node has no offices (Node:Offices)"
                : $"the certificate names office {office}, which is not one of Node:Offices ({string.Join(", ", node.Value.Offices.Select(o => o.Code))})");
        }

        return (office, roles, null);
    }

    public (Actor? Operator, string Reason) Identify(X509Certificate2 certificate)
    {
        var result = trust.Validate(certificate, [], KeyPurpose.ClientAuth, time.GetUtcNow(), _anchors, "the operator's certificate");
        if (!result.IsTrusted)
        {
            return (null, $"not a certificate of our own root: {result.Message}");
        }

        var participant = node.Value.Participant;
        if (ParticipantIdentity.FromCertificate(certificate) != participant)
        {
            return (null, $"the certificate does not name participant {participant}");
        }

        var op = ParticipantIdentity.OperatorFromCertificate(certificate);
        return op is null
            ? (null, "not an operator certificate (no URI SAN kp:operator:NAME)")
            : (new Actor(op, OperatorNames.DisplayNameIn(certificate, participant) ?? op), "");
    }

    /// <summary>The operator behind this call, for the audit log, from the claims the handshake's certificate gave.</summary>
    public Actor RequireOperator(ServerCallContext context) =>
        context.GetHttpContext().User.Operator()
            ?? throw ApiErrors.Refuse(StatusCode.PermissionDenied, "the Local API serves this participant's operators only");
}
