using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KpNode.Diagnostics;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

internal sealed partial class CertificateWorkflow
{
    /// <summary>How long a revocation notice is retried: a partner down for a month must still learn of it.</summary>
    public static readonly TimeSpan RevocationNoticeDeliveryWindow = TimeSpan.FromDays(90);

    /// <summary>What publishing a revocation list did: the list and the partners a notice was queued for.</summary>
    internal sealed record Published(RevocationList List, IReadOnlyList<string> NotifiedPartners);

    /// <summary>
    /// Takes a CRL our root signed (<c>pki revoke</c>), newer than the one held: keeps it and, in the same transaction,
    /// queues a revocation notice for every partner. From the commit on, the node enforces it on its own signing too.
    /// </summary>
    public async Task<Published> PublishRevocationListAsync(byte[] crl, string actor, CancellationToken ct)
    {
        if (crl.Length == 0)
            throw WorkflowException.Invalid("crl", "required: the crl.pem written by 'kpnode pki revoke'");
        RevocationList list;
        try
        {
            list = RevocationList.Verified(crl, credentials.Root, Us);
        }
        catch (RevocationListException e)
        {
            throw WorkflowException.Invalid("crl", e.Message);
        }

        var number = (long)list.Number;
        var now = time.GetUtcNow();
        var notified = partners.All.Select(p => p.Code).Order(StringComparer.Ordinal).ToList();
        await store.WriteDurableAsync(w =>
        {
            // Checked inside the write, so two publishers at once cannot both pass with the same number.
            if (w.FindRevocationList(Us) is { } held && held.Number >= number)
            {
                throw new WorkflowException(FailureKind.FailedPrecondition,
                    $"crl: this node already holds {Us}'s revocation list {held.Number}, and list {number} is not newer; revoke again with 'kpnode pki revoke' on the newest crl.pem (it writes list {held.Number + 1})");
            }

            string? first = null;
            foreach (var partner in notified)
            {
                var id = ids.Next();
                first ??= id;
                var notice = Notice(list, Header(id, partner, now));
                QueueOutbound(w, partner, PayloadTypes.RevocationNotice, id, notice, "", now.UtcDateTime, now.UtcDateTime + RevocationNoticeDeliveryWindow);
            }

            w.PutRevocationList(new StoredRevocationList(Us, number, list.Der, now.UtcDateTime, first ?? ""));
            w.Audit(actor, "revocation.published", $"CRL {number}",
                $"{list.Entries.Count} revoked: {string.Join(", ", list.Entries.Select(e => $"{e.Serial} from {TrustChain.Format(e.EffectiveAt)} ({e.ReasonName})"))}; notice to {string.Join(", ", notified)}");
            return 0;
        }, ct);
        revoked.Hold(Us, list);
        foreach (var partner in notified)
            delivery.MessageQueued(partner);
        Log.RevocationListPublished(logger, Us, number, list.Entries.Count, string.Join(", ", notified));
        return new Published(list, notified);
    }

    /// <summary>Our current revocation list as signed by our root, or null when none was published.</summary>
    public byte[]? OwnRevocationList() => revoked.ListOf(Us)?.Der;

    /// <summary>Our signing certificate's revocation in effect now, or null; a revoked key signs nothing but the notice that revokes it.</summary>
    public Revocation? OwnSigningRevocation() => revoked.At(Us, signer.Certificate, time.GetUtcNow());

    private void RefuseIfOwnKeyRevoked(string payloadType)
    {
        // The notice is the one message a revoked key still signs: its authority is the root's signature on the CRL it carries.
        if (payloadType == PayloadTypes.RevocationNotice || OwnSigningRevocation() is not { } revocation)
            return;
        Log.OwnSigningCertificateRevoked(logger, revocation.Describe());
        throw new WorkflowException(FailureKind.FailedPrecondition,
            $"signing: {revocation.Describe()}, so this node signs nothing with it; install a new signing certificate with 'kpnode pki request --purpose signing --pki DIR', 'kpnode pki sign', 'kpnode pki install' and 'kpnode pki reload'");
    }

    /// <summary>Refuses a partner's envelope or receipt signed by a certificate its root revoked before <paramref name="signedAt"/>.</summary>
    private Revocation? PartnerRevocation(Partner partner, X509Certificate2 signerCertificate, DateTimeOffset signedAt) =>
        revoked.At(partner.Code, signerCertificate, signedAt);

    private static RevocationNotice Notice(RevocationList list, MessageHeader header)
    {
        var notice = new RevocationNotice { Header = header, CrlDer = ByteString.CopyFrom(list.Der), CrlNumber = (long)list.Number };
        notice.Revoked.AddRange(RevocationMapping.ToWire(list));
        return notice;
    }

    /// <summary>
    /// Partner -> us: its root's new revocation list. Refused unsigned (nothing stored) when the CRL is not its root's;
    /// an older or equal list is answered with a signed rejection and changes nothing.
    /// </summary>
    private Inbound NoticeArrived(Partner partner, RevocationNotice notice)
    {
        CheckHeader(notice.Header, partner);
        RevocationList list;
        try
        {
            list = RevocationList.Verified(notice.CrlDer.Span, partner.Anchors, partner.Code);
        }
        catch (RevocationListException e)
        {
            throw new WorkflowException(FailureKind.PermissionDenied, $"crlDer: the CRL {e.Message}");
        }

        var number = (long)list.Number;
        return new Inbound(notice.Header, "", (w, now) =>
        {
            if (w.FindRevocationList(partner.Code) is { } held && held.Number >= number)
            {
                return Judgement.Reject(ReceiptReason.InvalidState,
                    $"crlDer: {Us} holds {partner.Code}'s revocation list {held.Number}; list {number} is not newer and changes nothing");
            }

            return Judgement.Accept(w2 => w2.PutRevocationList(new StoredRevocationList(partner.Code, number, list.Der, now, notice.Header.MessageId)),
                note: $"revocation list {number}, {list.Entries.Count} revoked");
        }, AfterCommit: () =>
        {
            if (revoked.ListOf(partner.Code) is { } before && before.Number >= list.Number)
                return;
            revoked.Hold(partner.Code, list);
            Log.RevocationListReceived(logger, partner.Code, number, list.Entries.Count);
        });
    }
}
