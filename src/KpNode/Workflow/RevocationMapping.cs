using System.Security.Cryptography.X509Certificates;
using Google.Protobuf.WellKnownTypes;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

/// <summary>A revocation list's entries on the wire, for reading (the CRL itself is the authority).</summary>
internal static class RevocationMapping
{
    public static IEnumerable<RevokedCertificate> ToWire(Trust.RevocationList list) => list.Entries.Select(e => new RevokedCertificate
    {
        Serial = e.Serial,
        EffectiveAt = Timestamp.FromDateTimeOffset(e.EffectiveAt),
        Reason = ToWire(e.Reason),
    });

    public static RevocationReason ToWire(X509RevocationReason? reason) => reason switch
    {
        X509RevocationReason.KeyCompromise => RevocationReason.KeyCompromise,
        X509RevocationReason.Superseded => RevocationReason.Superseded,
        X509RevocationReason.CessationOfOperation => RevocationReason.CessationOfOperation,
        _ => RevocationReason.Unspecified,
    };
}
