using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KpNode.Configuration;
using KpNode.Domain;
using KpNode.Operations;
using KpNode.Trust;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KpNode.PeerApi;

/// <summary>What this node tells a partner in the pre-flight hello: what it speaks and uses, and what it holds about the caller.</summary>
internal sealed class HelloAnswer(
    NodeConfig config, NodeCredentials credentials, RevokedKeys revoked, HealthCheckService health, TimeProvider time)
{
    public async Task<Hello> ForAsync(Partner caller, ByteString nonce, CancellationToken ct)
    {
        // The same checks as Ping, grpc.health.v1 and 'kpnode health': a partner must not see a healthy node that is not.
        var serving = (await health.CheckHealthAsync(ct)).Status == HealthStatus.Healthy;
        var leaves = credentials.Current;
        var hello = new Hello
        {
            Nonce = nonce,
            Responder = config.Participant,
            Caller = caller.Code,
            Clock = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            NodeVersion = NodeVersion.Current,
            TlsCertificate = Leaf(leaves.NodeTls),
            SigningCertificate = Leaf(leaves.DocumentSigning),
            CrlNumber = (long)(revoked.ListOf(config.Participant)?.Number ?? 0),
            MaxMessageBytes = config.Options.MaxMessageBytes,
            Health = serving ? PeerHealth.Serving : PeerHealth.NotServing,
            CallerStanding = caller.Policy.Standing switch
            {
                PartnerStanding.Suspended => CallerStanding.Suspended,
                PartnerStanding.Partial => CallerStanding.Partial,
                _ => CallerStanding.Active,
            },
        };
        hello.ProtocolVersions.AddRange(PartnerPreflight.ProtocolVersions);
        hello.AcceptedPayloadTypes.AddRange(CertificateWorkflow.DeliverablePayloadTypes);
        if (revoked.ListOf(caller.Code) is { } list)
        {
            hello.CallerCrlNumber = (long)list.Number;
            hello.CallerRevoked.AddRange(RevocationMapping.ToWire(list));
        }

        return hello;
    }

    private static LeafInUse Leaf(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) => new()
    {
        Serial = certificate.SerialNumber,
        NotAfter = Timestamp.FromDateTime(certificate.NotAfter.ToUniversalTime()),
    };
}
