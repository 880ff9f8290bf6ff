using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Exchange;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using Microsoft.Extensions.Options;

namespace KpNode.Operations;

/// <summary>
/// <c>kpnode pki reload</c>: the running node switches to the leaves installed in its PKI folder. The signer, the
/// Kestrel listeners (through <see cref="NodeCredentials.Current"/>) and the channels to partners take the new set;
/// what is in flight finishes with the old one, which stays valid. The switch is in the audit log.
/// </summary>
internal sealed class CredentialReload(
    NodeCredentials credentials, EnvelopeSigner signer, PeerChannels channels, INodeStore store, IOptions<DeliveryOptions> delivery,
    TimeProvider time, ILogger<CredentialReload> logger)
{
    private readonly Lock _gate = new();

    public async Task<ReloadCredentialsResponse> ReloadAsync(string op, CancellationToken ct)
    {
        IReadOnlyList<LeafChange> changes;
        lock (_gate)
        {
            try
            {
                changes = credentials.Reload(time.GetUtcNow());
            }
            catch (Exception e) when (e is PkiFileException or IOException or UnauthorizedAccessException)
            {
                Log.CredentialsReloadRefused(logger, op, e.Message);
                throw ApiErrors.Refuse(StatusCode.FailedPrecondition,
                    $"the PKI folder cannot be used, so the node keeps the certificates it has: {e.Message}");
            }

            var current = credentials.Current;
            if (changes.Any(c => c.Kind == LeafKind.DocumentSigning && c.Changed))
            {
                signer.Use(current.DocumentSigning);
            }

            // An office's key is switched whenever its certificate differs from the one in use.
            signer.UseOffices(current.OfficeSigning);

            if (changes.Any(c => c.Kind == LeafKind.NodeTls && c.Changed))
            {
                // A call started on an old channel has at most its attempt timeout; twice that leaves room for its answer.
                channels.Redial(delivery.Value.AttemptTimeout * 2);
            }
        }

        var described = string.Join("; ", changes.Select(Describe));
        if (changes.Any(c => c.Changed))
        {
            await store.WriteDurableAsync(w => w.Audit(op, "pki.reloaded", credentials.Participant, described), ct);
        }

        Log.CredentialsReloaded(logger, op, credentials.PkiDirectory, described);
        var response = new ReloadCredentialsResponse();
        response.Credentials.AddRange(changes.Select(c => new ReloadedCredential
        {
            Kind = Kind(c.Kind),
            Changed = c.Changed,
            PreviousSerial = c.Previous.SerialNumber,
            Serial = c.Current.SerialNumber,
            Subject = c.Current.Subject,
            NotAfter = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(c.Current.NotAfter.ToUniversalTime()),
        }));
        return response;
    }

    private static string Describe(LeafChange change) => change.Changed
        ? $"{LeafRequest.PurposeName(change.Kind)} {change.Previous.SerialNumber} -> {change.Current.SerialNumber}"
        : $"{LeafRequest.PurposeName(change.Kind)} {change.Current.SerialNumber} unchanged";

    private static CredentialKind Kind(LeafKind kind) => kind switch
    {
        LeafKind.NodeTls => CredentialKind.NodeTls,
        LeafKind.DocumentSigning => CredentialKind.DocumentSigning,
        _ => CredentialKind.Operator,
    };
}
