using KpNode.Diagnostics;
using KpNode.Domain;
using KpNode.Wire.V1;

namespace KpNode.Outbox;

/// <summary>One message's delivery: the attempt through the pipeline, what a failure records, and giving up at the deliver-by time.</summary>
internal sealed partial class PartnerLane
{
    private bool PastDeliverBy(PartnerMessage message) => _time.GetUtcNow().UtcDateTime > message.DeliverBy;

    private async Task DeliverAsync(PartnerMessage message, CancellationToken stopping)
    {
        if (PastDeliverBy(message))
        {
            await GiveUpAsync(message, stopping);
            return;
        }

        if (Volatile.Read(ref _linkDown) is not null)
        {
            // An attempt of this pass found the link down: leave the rest untouched (no attempt, no write), to go
            // when the partner is back.
            return;
        }

        try
        {
            var request = new DeliverRequest { Envelope = Envelope.Parser.ParseFrom(message.Envelope) };
            var client = _channels.ClientFor(_partner);
            var response = await _pipeline.ExecuteAsync(
                static async (state, token) =>
                {
                    // A quick retry may come after the deliver-by time, when the expiry check may already have given
                    // the message up (a partner back within the retries would otherwise get it): never send it then.
                    if (state.Lane.PastDeliverBy(state.Message))
                    {
                        throw new PastDeliverByException();
                    }

                    return await state.Client.DeliverAsync(state.Request, cancellationToken: token);
                },
                (Client: client, Request: request, Lane: this, Message: message), stopping);
            var outcome = await _workflow.RecordReceiptAsync(message, _partner, response.Receipt, stopping) ? ReceiptOutcome.Accepted : ReceiptOutcome.Rejected;
            LastSuccessAt = _time.GetUtcNow();
            LastFailureSeen = null;
            if (Volatile.Read(ref _linkDown) is not null)
            {
                RequestReset(forced: true); // the link is up after all: end link-down mode when this pass is done
            }

            _metrics.Delivered(_partner.Code, outcome, LastSuccessAt.Value - new DateTimeOffset(message.CreatedAt, TimeSpan.Zero));
            Log.Delivered(_logger, message.CertificateNumber, message.Id, _partner.Code, outcome.ToString());
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: the message stays pending in the outbox.
        }
        catch (PastDeliverByException)
        {
            await GiveUpAsync(message, stopping);
        }
        catch (Exception e)
        {
            RecordFailure(message, DeliveryErrors.Classify(_partner.Code, e, _channels.LastServerRefusal(_partner.Code)));
        }
    }

    private void RecordFailure(PartnerMessage message, DeliveryFailure failure)
    {
        _metrics.DeliveryFailed(_partner.Code, failure.Cause);
        // An open circuit hides the failures that opened it: keep reporting those (the circuit state shows the pause).
        if (failure.Cause == FailureCause.CircuitOpen
            && (LastFailure is { Cause: not FailureCause.CircuitOpen } ? LastFailure : _circuitOpenedBy) is { } opening)
        {
            failure = opening;
        }

        var seen = new FailureSeen(failure, _time.GetUtcNow());
        LastFailureSeen = seen;
        var error = failure.ToString();
        var now = _time.GetUtcNow().UtcDateTime;
        var attempts = message.Attempts + 1;
        var next = now + Backoff(attempts);
        _store.Write(w =>
        {
            var current = w.FindMessage(message.Id);
            if (current is null || current.Status != MessageStatus.Pending)
            {
                return 0;
            }

            current.Attempts = attempts;
            current.LastAttemptAt = now;
            current.LastError = error;
            current.NextAttemptAt = next;
            w.UpdateMessage(current);
            return 0;
        });
        Log.DeliveryFailed(_logger, message.CertificateNumber, _partner.Code, attempts, next, error);

        // A refusal concerns this message and keeps its backoff. Any other failure says the partner's node is down or
        // cut off from us: stop attempting the backlog until it is back (after the write, so an operator's retry-now
        // that sees the link down also sees this attempt).
        if (!DeliveryErrors.IsRefusal(failure.Cause) && Interlocked.CompareExchange(ref _linkDown, seen, null) is null)
        {
            Log.LinkDown(_logger, _partner.Code, error, _options.ProbeInterval);
            // The transition only, never each failed attempt: an audit entry, so the event stream reports it under a cursor.
            _store.Write(w => w.Audit("outbox", "partner.link-down", _partner.Code, error));
        }
    }

    /// <summary>
    /// Capped exponential backoff with ±20% jitter, so many nodes do not retry in step. A partner that called
    /// us within RecentContactWindow is up: a failure now is passing, so the next try comes after the first step.
    /// </summary>
    private TimeSpan Backoff(int attempts)
    {
        var d = _options;
        if (LastContactAt is { } contact && _time.GetUtcNow() - contact < d.RecentContactWindow)
        {
            attempts = 1;
        }

        var exponential = d.FirstBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 30));
        var capped = Math.Min(exponential, d.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + Random.Shared.NextDouble() * 0.4));
    }

    /// <summary>
    /// While the link is down no message reaches the expiry check of DeliverAsync, so look for expired ones once per
    /// ExpiryCheckInterval instead (the pace at which ExpiryMonitor expires certificates): reading the outbox at every
    /// probe would cost more than the probe.
    /// </summary>
    private async Task GiveUpExpiredAsync(CancellationToken stopping)
    {
        var now = _time.GetUtcNow();
        if (now - _expiryCheckedAt < _config.Options.ExpiryCheckInterval)
        {
            return;
        }

        _expiryCheckedAt = now;
        foreach (var message in _store.PendingOutbound(_partner.Code, _options.ExpiryCheckBatchSize).Where(PastDeliverBy))
        {
            await GiveUpAsync(message, stopping);
        }
    }

    private async Task GiveUpAsync(PartnerMessage message, CancellationToken ct)
    {
        var reason = $"the certificate expired on {KpDate.Text(message.DeliverBy)} before {_partner.Code} acknowledged it";
        await _store.WriteDurableAsync(w =>
        {
            var current = w.FindMessage(message.Id);
            if (current is null || current.Status != MessageStatus.Pending)
            {
                return 0;
            }

            var now = _time.GetUtcNow().UtcDateTime;
            current.Status = MessageStatus.GivenUp;
            current.LastError = reason;
            current.CompletedAt = now;
            w.UpdateMessage(current);
            w.Audit("outbox", "delivery.given-up", current.CertificateNumber, $"message {current.Id}: {reason}");
            if (w.FindCertificate(current.CertificateNumber) is { } cert && cert.MissedDeliveryDeadline(current.Id, reason, now))
            {
                w.UpdateCertificate(cert);
                w.Audit("outbox", "certificate.undeliverable", cert.Number, cert.StatusReason ?? reason);
            }

            return 0;
        }, ct);
        Log.DeliveryGivenUp(_logger, message.CertificateNumber, _partner.Code, reason);
    }

    /// <summary>Stops a delivery between quick retries: the message passed its deliver-by time meanwhile.</summary>
    private sealed class PastDeliverByException : Exception;
}
