using Grpc.Core;
using KpNode.Configuration;
using KpNode.Exchange;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using Microsoft.Extensions.Options;

namespace KpNode.Operations;

/// <summary>What a partner holds of our audit chain, checked against the chain we hold now.</summary>
/// <remarks><see cref="Problem"/> is empty when the chain still has the entry the partner holds, with the same hash.</remarks>
internal sealed record HeldHeadCheck(string Partner, long Sequence, string Hash, DateTimeOffset? SignedAt, string Problem, string Error)
{
    public bool Agrees => Problem.Length == 0 && Error.Length == 0 && Sequence > 0;
}

/// <summary>
/// Asks each partner for the last audit head we signed for it (in a history digest) and checks that our chain still
/// has that entry with that hash: a log truncated below the head, or rewritten and re-hashed, no longer matches.
/// </summary>
internal sealed class HeldAuditHeads(
    PeerChannels channels, Partners partners, INodeStore store, EnvelopeVerifier verifier, NodeCredentials credentials,
    IOptions<DeliveryOptions> delivery, TimeProvider time)
{
    public async Task<IReadOnlyList<HeldHeadCheck>> CheckAsync(CancellationToken ct)
    {
        var checks = new List<HeldHeadCheck>();
        foreach (var partner in partners.All)
        {
            try
            {
                var answer = await channels.HistoryClientFor(partner).GetHeldDigestAsync(new GetHeldDigestRequest(),
                    deadline: time.GetUtcNow().UtcDateTime + delivery.Value.AttemptTimeout, cancellationToken: ct);
                checks.Add(answer.Digest is null
                    ? new HeldHeadCheck(partner.Code, 0, "", null, "", $"{partner.Code} holds no audit head of ours yet (it gets one with each reconciliation)")
                    : Check(partner.Code, answer.Digest));
            }
            catch (RpcException e) when (!ct.IsCancellationRequested)
            {
                checks.Add(new HeldHeadCheck(partner.Code, 0, "", null, "", $"{partner.Code} could not be asked: {e.Status.Detail}"));
            }
        }

        return checks;
    }

    /// <summary>Checks one digest we signed (as a partner holds it) against our chain.</summary>
    public HeldHeadCheck Check(string partner, Envelope digestEnvelope)
    {
        HistoryDigest digest;
        try
        {
            var payload = HistoryDigest.Parser.ParseFrom(digestEnvelope.Payload);
            var signedAt = payload.Header?.CreatedAt?.ToDateTimeOffset() ?? time.GetUtcNow();
            var verified = verifier.Verify(digestEnvelope, credentials.Anchors, signedAt);
            if (verified.PayloadType != PayloadTypes.HistoryDigest || verified.SignerParticipant != credentials.Participant)
                return new HeldHeadCheck(partner, 0, "", null, "", $"what {partner} holds is not a history digest we signed");
            digest = payload;
        }
        catch (Exception e) when (e is EnvelopeVerificationException or Google.Protobuf.InvalidProtocolBufferException)
        {
            return new HeldHeadCheck(partner, 0, "", null, "", $"the head {partner} holds does not verify as ours: {e.Message}");
        }

        var at = digest.Header?.CreatedAt?.ToDateTimeOffset();
        var sequence = digest.AuditSequence;
        if (sequence == 0)
            return new HeldHeadCheck(partner, 0, digest.AuditHash, at, "", "");
        var entry = store.ReadAudit(sequence, 1).FirstOrDefault(e => e.Id == sequence);
        var when = at is { } t ? $" on {TrustChain.Format(t)}" : "";
        var problem = entry is null
            ? $"{partner} holds our signed audit head {sequence}{when}, but our audit log has no entry {sequence}: entries were deleted (truncated history)"
            : !string.Equals(entry.Hash, digest.AuditHash, StringComparison.Ordinal)
                ? $"{partner} holds our signed audit head {sequence} with hash {digest.AuditHash}{when}, but our entry {sequence} hashes to {entry.Hash}: the log was rewritten"
                : "";
        if (problem.Length > 0 && LastRestore() is { } restore)
            problem += $"; our store was restored from a backup ({restore.Subject}, audit entry {restore.Id} on {TrustChain.Format(new DateTimeOffset(restore.At, TimeSpan.Zero))}): "
                + "the entries since that backup are in the store it replaced, kept in the data directory's replaced/ folder";
        return new HeldHeadCheck(partner, sequence, digest.AuditHash, at, problem, "");
    }

    // A restore explains a held head our chain no longer has, but does not excuse it: the entry names where the rest is.
    private AuditEntry? LastRestore()
    {
        AuditEntry? last = null;
        for (long from = 1; ;)
        {
            var entries = store.ReadAudit(from, 1000);
            last = entries.LastOrDefault(e => e.Action == "store.restored") ?? last;
            if (entries.Count < 1000)
                return last;
            from = entries[^1].Id + 1;
        }
    }
}
