using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Trust;

namespace KpNode.LocalApi;

/// <summary>
/// Admits to the Local API only operator certificates from our own root: they name our participant and an
/// operator (URI SAN kp:operator:NAME). Our node TLS certificate and any partner's are refused.
/// </summary>
internal sealed class OperatorGate(NodeConfig config, ParticipantCredentials credentials, TrustChain trust, TimeProvider time, ILogger<OperatorGate> logger)
{
    private readonly IReadOnlyCollection<X509Certificate2> _anchors = [credentials.Root];

    public bool Accept(X509Certificate2 certificate)
    {
        var (op, reason) = Identify(certificate);
        if (op is null)
        {
            Log.LocalCertificateRefused(logger, certificate.Subject, certificate.Thumbprint, reason);
        }

        return op is not null;
    }

    public (string? Operator, string Reason) Identify(X509Certificate2 certificate)
    {
        var result = trust.Validate(certificate, [], KeyPurpose.ClientAuth, time.GetUtcNow(), _anchors, "the operator's certificate");
        if (!result.IsTrusted)
        {
            return (null, $"not a certificate of our own root: {result.Message}");
        }

        if (ParticipantIdentity.FromCertificate(certificate) != config.Participant)
        {
            return (null, $"the certificate does not name participant {config.Participant}");
        }

        var op = ParticipantIdentity.OperatorFromCertificate(certificate);
        return op is null ? (null, "not an operator certificate (no URI SAN kp:operator:NAME)") : (op, "");
    }

    /// <summary>The operator behind this call, for the audit log.</summary>
    public string RequireOperator(ServerCallContext context)
    {
        var certificate = context.GetHttpContext().Connection.ClientCertificate
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "an operator's TLS client certificate is required"));
        var (op, reason) = Identify(certificate);
        return op ?? throw new RpcException(new Status(StatusCode.PermissionDenied, $"the Local API serves this participant's operators only: {reason}"));
    }
}
