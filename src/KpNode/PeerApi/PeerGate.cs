using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using KpNode.Diagnostics;
using KpNode.Exchange;
using KpNode.Trust;
using KpNode.Wire;

namespace KpNode.PeerApi;

/// <summary>
/// Decides who is calling the Peer API: a TLS client certificate is a partner only if it chains to that
/// partner's configured root (never the OS store) and names that partner in its URI SAN.
/// </summary>
internal sealed class PeerGate(Partners partners, TrustChain trust, HandshakeRefusals refusals, TimeProvider time, ILogger<PeerGate> logger)
{
    /// <summary>Kestrel's handshake callback: the partner's claims, or null (logged with the reason) for anyone else.</summary>
    public ClaimsPrincipal? Admit(X509Certificate2 certificate)
    {
        var (partner, reason) = Identify(certificate);
        if (partner is null)
        {
            if (refusals.Refused("Peer", reason))
            {
                Log.PeerCertificateRefused(logger, certificate.Subject, certificate.Thumbprint, reason);
            }

            return null;
        }

        return Callers.PartnerNode(partner.Code);
    }

    public (Partner? Partner, string Reason) Identify(X509Certificate2 certificate)
    {
        var now = time.GetUtcNow();
        var claimed = ParticipantIdentity.FromCertificate(certificate);
        if (claimed is null)
        {
            return (null, "the certificate names no participant (URI SAN kp:participant:XX)");
        }

        var partner = partners.Find(claimed);
        if (partner is null)
        {
            return (null, $"{claimed} is not a configured partner of this node");
        }

        var result = trust.Validate(certificate, [], KeyPurpose.ClientAuth, now, partner.Anchors, "the client certificate");
        return result.IsTrusted ? (partner, "") : (null, $"not a valid certificate of {claimed}: {result.Message}");
    }

    /// <summary>The partner behind this call, from the claims the handshake's certificate gave; the chain is not checked again.</summary>
    public Partner RequirePartner(ServerCallContext context)
    {
        var user = context.GetHttpContext().User;
        return (user.IsPartnerNode() && user.Participant() is { } code ? partners.Find(code) : null)
            ?? throw ApiErrors.Refuse(StatusCode.PermissionDenied, "the Peer API serves partners only");
    }
}
