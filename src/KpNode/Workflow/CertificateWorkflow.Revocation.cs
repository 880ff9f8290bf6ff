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
        var notified = await store.WriteDurableAsync(w =>
        {
            // Checked inside the write, so two publishers at once cannot both pass with the same number.
            if (w.FindRevocationList(Us) is { } held && held.Number >= number)
            {
                throw new WorkflowException(FailureKind.FailedPrecondition,
                    $"crl: this node already holds {Us}'s revocation list {held.Number}, and list {number} is not newer; revoke again with 'kpnode pki revoke' on the newest crl.pem (it writes list {held.Number + 1})");
            }

            // The partners as of the write: one added by a reload meanwhile is either in this set or caught up after it.
            var notified = partners.All.Select(p => p.Code).Order(StringComparer.Ordinal).ToList();
            var sent = QueueNotices(w, list, notified, now);
            w.PutRevocationList(new StoredRevocationList(Us, number, list.Der, now.UtcDateTime, notified.Count > 0 ? sent[notified[0]] : "") { NoticesSent = sent });
            w.Audit(actor, "revocation.published", $"CRL {number}",
                $"{list.Entries.Count} revoked: {string.Join(", ", list.Entries.Select(e => $"{e.Serial} from {TrustChain.Format(e.EffectiveAt)} ({e.ReasonName})"))}; notice to {string.Join(", ", notified)}");
            return notified;
        }, ct);
        revoked.Hold(Us, list);
        foreach (var partner in notified)
            delivery.MessageQueued(partner);
        Log.RevocationListPublished(logger, Us, number, list.Entries.Count, string.Join(", ", notified));
        return new Published(list, notified);
    }

    /// <summary>
    /// Queues a notice of our current revocation list for every partner configured now that was never sent that list
    /// (added after it was published, live or while the node was down), each once: the partners sent are recorded with
    /// the list in the same transaction, so a restart or a second reload finds nothing left to send. Returns those partners.
    /// </summary>
    public async Task<IReadOnlyList<string>> SendOwnRevocationListToNewPartnersAsync(string actor, CancellationToken ct)
    {
        if (store.FindRevocationList(Us) is not { } stored || partners.All.All(p => stored.NoticesSent.ContainsKey(p.Code)))
            return [];
        var now = time.GetUtcNow();
        var (number, queued) = await store.WriteDurableAsync(w =>
        {
            // Read again inside the write: a publish or another catch-up may have committed since.
            if (w.FindRevocationList(Us) is not { } held)
                return (0L, (IReadOnlyList<string>)[]);
            var missing = partners.All.Select(p => p.Code).Where(code => !held.NoticesSent.ContainsKey(code)).Order(StringComparer.Ordinal).ToList();
            if (missing.Count == 0)
                return (held.Number, missing);
            if (OwnList(held) is not { } list)
                return (held.Number, (IReadOnlyList<string>)[]);
            var sent = new Dictionary<string, string>(held.NoticesSent, StringComparer.Ordinal);
            foreach (var (partner, id) in QueueNotices(w, list, missing, now))
                sent[partner] = id;
            w.PutRevocationList(held with { NoticesSent = sent });
            w.Audit(actor, "revocation.notice-queued", $"CRL {held.Number}",
                $"notice to {string.Join(", ", missing)}, which had not been sent it (configured after it was published)");
            return (held.Number, (IReadOnlyList<string>)missing);
        }, ct);
        foreach (var partner in queued)
            delivery.MessageQueued(partner);
        if (queued.Count > 0)
            Log.RevocationNoticeQueuedForNewPartners(logger, Us, number, string.Join(", ", queued));
        return queued;
    }

    // The list as enforced when it is the one stored; else verified again (a publish committed, not yet held). Null when our
    // root no longer verifies it (logged at start): a list we do not enforce ourselves is not sent.
    private RevocationList? OwnList(StoredRevocationList stored)
    {
        if (revoked.ListOf(Us) is { } held && (long)held.Number == stored.Number)
            return held;
        try
        {
            return RevocationList.Verified(stored.Der, credentials.Root, Us);
        }
        catch (RevocationListException)
        {
            return null;
        }
    }

    private Dictionary<string, string> QueueNotices(IStoreWriter w, RevocationList list, IEnumerable<string> to, DateTimeOffset now)
    {
        var sent = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var partner in to)
        {
            var id = ids.Next();
            QueueOutbound(w, partner, PayloadTypes.RevocationNotice, id, Notice(list, Header(id, partner, now)), "", now.UtcDateTime,
                now.UtcDateTime + RevocationNoticeDeliveryWindow);
            sent[partner] = id;
        }

        return sent;
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
