using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KpNode.Diagnostics;
using KpNode.Domain;
using KpNode.Outbox;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using Envelope = KpNode.Wire.V1.Envelope;

namespace KpNode.Operations;

/// <summary>
/// What an operator may do about a message a partner keeps refusing, so a stuck outbox is cleared without editing the
/// store: see each waiting message with its last failure, cancel one (audited, with a reason) or sign it again with the
/// current signing certificate.
/// </summary>
internal sealed class OutboxRepair(
    INodeStore store, EnvelopeSigner signer, Workflow.IDeliverySignal delivery, TimeProvider time, ILogger<OutboxRepair> logger)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
    public const int MaxReasonLength = 500;

    public ListOutboxResponse List(IEnumerable<string> partners, int limit)
    {
        var response = new ListOutboxResponse();
        foreach (var partner in partners)
        {
            var pending = store.PendingOutbound(partner, limit + 1);
            response.Messages.Add(pending.Take(limit).Select(Describe));
            if (pending.Count > limit)
            {
                response.NotListed += store.SummarizePending(partner).Count - limit;
            }
        }

        return response;
    }

    public async Task<CancelMessageResponse> CancelAsync(string op, string messageId, string reason, CancellationToken ct)
    {
        var violations = new List<Violation>();
        FreeText.CheckRequired("reason", reason, "the reason for cancelling", MaxReasonLength, allowLineBreaks: false, violations);
        if (violations.Count > 0)
        {
            throw ApiErrors.Refuse(StatusCode.InvalidArgument, string.Join("; ", violations), violations);
        }

        var (cancelled, also, status) = await store.WriteDurableAsync(w =>
        {
            var message = Stuck(w, messageId);
            if (!Judge(message).CanCancel)
            {
                throw NotApplicable(message, "cancel");
            }

            var now = time.GetUtcNow().UtcDateTime;
            var text = $"cancelled by operator {op}: {reason}";
            var also = new List<string>();
            var lastFailure = message.LastError;
            Stop(w, message, text, now);
            var certificate = w.FindCertificate(message.CertificateNumber);
            if (certificate?.MessageId == message.Id)
            {
                // What follows the certificate (its void, say) would only be refused by a partner that never held it.
                foreach (var later in PendingAbout(w, message.Partner, message.CertificateNumber).Where(m => m.Id != message.Id))
                {
                    Stop(w, later, $"{text} (the certificate itself was not delivered)", now);
                    also.Add(later.Id);
                }
            }

            var before = certificate?.Status;
            if (certificate is not null)
            {
                certificate.DeliveryCancelled(message.Id, KindOf(message.PayloadType), text, now);
                w.UpdateCertificate(certificate);
            }

            w.Audit(op, "message.cancelled", message.CertificateNumber,
                $"message {message.Id} ({KindOf(message.PayloadType)}) to {message.Partner}: {reason}; last failure: {lastFailure}"
                + (also.Count > 0 ? $"; also cancelled {string.Join(", ", also)}" : ""));
            if (certificate is { Status: Domain.CertificateStatus.Undeliverable } && before != Domain.CertificateStatus.Undeliverable)
                w.Audit(op, "certificate.undeliverable", certificate.Number, certificate.StatusReason ?? text);
            return (message, also, certificate?.Status);
        }, ct);

        Log.MessageCancelled(logger, op, cancelled.Id, cancelled.CertificateNumber, cancelled.Partner, reason);
        var response = new CancelMessageResponse { Message = Describe(cancelled) };
        response.AlsoCancelled.Add(also);
        if (status is { } s)
        {
            response.CertificateStatus = StatusMapping.ToWire(s);
        }

        return response;
    }

    public async Task<ResignMessageResponse> ResignAsync(string op, string messageId, CancellationToken ct)
    {
        var (message, previous) = await store.WriteDurableAsync(w =>
        {
            var message = Stuck(w, messageId);
            if (!Judge(message).CanResign)
            {
                throw NotApplicable(message, "re-sign");
            }

            var old = Envelope.Parser.ParseFrom(message.Envelope);
            var previous = SignerOf(old);
            // The same payload bytes under the same id: the partner's duplicate check and our receipt check still hold.
            message.Envelope = signer.Sign(old.PayloadType, old.Payload.ToByteArray()).ToByteArray();
            message.NextAttemptAt = time.GetUtcNow().UtcDateTime;
            w.UpdateMessage(message);
            w.Audit(op, "message.re-signed", message.CertificateNumber,
                $"message {message.Id} ({KindOf(message.PayloadType)}) to {message.Partner}: signed again by {signer.KeyId} instead of {previous}; last failure: {message.LastError}");
            return (message, previous);
        }, ct);

        Log.MessageResigned(logger, op, message.Id, message.CertificateNumber, message.Partner, signer.KeyId);
        delivery.MessageQueued(message.Partner);
        return new ResignMessageResponse { Message = Describe(message), PreviousSignerKeyid = previous };
    }

    private static PartnerMessage Stuck(IStoreWriter w, string messageId)
    {
        if (string.IsNullOrWhiteSpace(messageId))
        {
            throw ApiErrors.Invalid("messageId", "required (the id `kpnode outbox list` shows)");
        }

        var message = w.FindMessage(messageId.Trim());
        if (message is null || message.Direction != MessageDirection.Outbound)
        {
            throw ApiErrors.Refuse(StatusCode.NotFound, $"messageId: no outgoing message {messageId} is stored (see `kpnode outbox list`)");
        }

        if (message.Status != MessageStatus.Pending)
        {
            throw ApiErrors.Refuse(StatusCode.FailedPrecondition,
                $"message {message.Id} is no longer waiting in the outbox: it is {message.Status.ToString().ToLowerInvariant()}");
        }

        return message;
    }

    private static RpcException NotApplicable(PartnerMessage message, string verb) =>
        ApiErrors.Refuse(StatusCode.FailedPrecondition, $"message {message.Id} cannot be {(verb == "cancel" ? "cancelled" : "re-signed")}: {Judge(message, null).Advice}");

    private void Stop(IStoreWriter w, PartnerMessage message, string text, DateTime now)
    {
        message.Status = MessageStatus.Cancelled;
        message.LastError = text;
        message.CompletedAt = now;
        w.UpdateMessage(message);
    }

    private static IEnumerable<PartnerMessage> PendingAbout(IStoreReader r, string partner, string number)
    {
        const int page = 512;
        string? after = null;
        while (true)
        {
            var batch = r.PendingOutbound(partner, page, after);
            foreach (var m in batch.Where(m => m.CertificateNumber == number))
            {
                yield return m;
            }

            if (batch.Count < page)
            {
                yield break;
            }

            after = batch[^1].Id;
        }
    }

    private (bool CanCancel, bool CanResign, string Advice) Judge(PartnerMessage message) => Judge(message, signer.KeyId);

    /// <summary>
    /// Only a refusal for a trust reason is the operator's to settle: a partner that is merely down gets the message
    /// when it is back, and the deliver-by time ends the wait.
    /// </summary>
    private static (bool CanCancel, bool CanResign, string Advice) Judge(PartnerMessage message, string? currentKeyId)
    {
        var failure = DeliveryErrors.Parse(message.LastError);
        var partner = message.Partner;
        switch (failure?.Cause)
        {
            case null:
                return (false, false, $"it has not failed yet; it is delivered when {partner} answers");
            case FailureCause.SignatureRejected:
                var current = currentKeyId is null || SignerOf(Envelope.Parser.ParseFrom(message.Envelope)) == currentKeyId;
                return current
                    ? (true, false, $"{partner} refuses our current signing certificate as well: check that it chains to the root {partner} holds for us, or cancel it with a reason")
                    : (true, true, "it is signed with an earlier signing certificate: re-sign it with the current one, or cancel it with a reason");
            case FailureCause.RefusedByPolicy or FailureCause.TlsRefusedByPartner or FailureCause.PartnerCertificateUntrusted
                or FailureCause.InvalidReceipt or FailureCause.PartnerError:
                return (true, false, $"{partner} refused it ({DeliveryErrors.Label(failure.Cause)}): settle the cause with {partner} and it is retried, or cancel it with a reason");
            default:
                return (false, false, $"{partner} did not refuse it, it was not reached ({DeliveryErrors.Label(failure.Cause)}): it is delivered when {partner} is back, until {KpDate.Text(message.DeliverBy)}");
        }
    }

    private OutboxMessage Describe(PartnerMessage message)
    {
        var keyId = SignerOf(Envelope.Parser.ParseFrom(message.Envelope));
        var (canCancel, canResign, advice) = message.Status == MessageStatus.Pending ? Judge(message) : (false, false, message.LastError ?? "");
        var failure = DeliveryErrors.Parse(message.Status == MessageStatus.Pending ? message.LastError : null);
        return new OutboxMessage
        {
            MessageId = message.Id,
            Partner = message.Partner,
            CertificateNumber = message.CertificateNumber,
            Kind = KindOf(message.PayloadType),
            Attempts = message.Attempts,
            CreatedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(message.CreatedAt, DateTimeKind.Utc)),
            NextAttemptAt = Timestamp.FromDateTime(DateTime.SpecifyKind(message.NextAttemptAt, DateTimeKind.Utc)),
            DeliverBy = Timestamp.FromDateTime(DateTime.SpecifyKind(message.DeliverBy, DateTimeKind.Utc)),
            LastErrorCause = failure is null ? DeliveryFailureCause.Unspecified : (DeliveryFailureCause)(int)failure.Cause,
            LastError = message.LastError ?? "",
            SignerKeyid = keyId,
            SignedWithCurrentKey = keyId == signer.KeyId,
            CanCancel = canCancel,
            CanResign = canResign,
            Advice = advice,
        };
    }

    private static string SignerOf(Envelope envelope) => envelope.Signatures.Count > 0 ? envelope.Signatures[0].Keyid : "";

    private static string KindOf(string payloadType) => payloadType switch
    {
        PayloadTypes.CertificateIssued => "certificate",
        PayloadTypes.CertificateVoided => "void",
        PayloadTypes.ImportConfirmation => "import confirmation",
        PayloadTypes.RevocationNotice => "revocation notice",
        _ => payloadType,
    };
}
