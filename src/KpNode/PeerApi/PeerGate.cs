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
/// partner's configured root (never the OS store), names that partner in its URI SAN, and is a node's certificate
/// (serverAuth and clientAuth, no operator named): a partner's operator or signing certificate is refused.
/// </summary>
internal sealed class PeerGate(Partners partners, TrustChain trust, RevokedKeys revoked, HandshakeRefusals refusals, TimeProvider time, ILogger<PeerGate> logger)
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

        Log.PeerCertificateAdmitted(logger, partner.Code, certificate.SerialNumber);
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
        if (!result.IsTrusted)
        {
            return (null, $"not a valid certificate of {claimed}: {result.Message}");
        }

        if (revoked.At(claimed, certificate, now) is { } revocation)
        {
            return (null, $"a revoked certificate: {revocation.Describe()}");
        }

        // Only a node speaks for a participant here: its TLS certificate is the one for serving too (serverAuth), and
        // names no operator. An operator's certificate is for its own participant's Local API, never for partners.
        if (ParticipantIdentity.OperatorFromCertificate(certificate) is { } op)
        {
            return (null, $"an operator certificate of {claimed} (kp:operator:{op}); the Peer API admits only {claimed}'s node certificate");
        }

        var asNode = trust.Validate(certificate, [], KeyPurpose.ServerAuth, now, partner.Anchors, "the client certificate");
        return asNode.IsTrusted ? (partner, "")
            : (null, $"not a node certificate of {claimed}: a node's TLS certificate carries both serverAuth and clientAuth ({asNode.Message})");
    }

    /// <summary>The partner behind this call, from the claims the handshake's certificate gave; the chain is not checked again.</summary>
    public Partner RequirePartner(ServerCallContext context)
    {
        var user = context.GetHttpContext().User;
        return (user.IsPartnerNode() && user.Participant() is { } code ? partners.Find(code) : null)
            ?? throw ApiErrors.Refuse(StatusCode.PermissionDenied, "the Peer API serves partners only");
    }
}
