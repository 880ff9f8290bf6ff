using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Threading.Channels;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Domain;
using KpNode.Exchange;
using KpNode.Operations;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using CircuitState = Polly.CircuitBreaker.CircuitState;

namespace KpNode.Outbox;

/// <summary>
/// Delivers one partner's outbox: wakes on a signal or when the next retry is due, sends up to
/// MaxInFlightPerPartner messages at once through the partner's pipeline, and persists every attempt.
/// An attempt that fails at the link (the partner's node cannot be reached, as opposed to a refusal) puts the lane
/// in link-down mode: it starts no more attempts, so untried messages keep their bookkeeping and nothing is written
/// per message, and it pings the partner every ProbeInterval instead. An answer, the partner calling us, a delivery
/// that got through or an operator's retry ends it, and the whole backlog is tried at once. Refusals keep each
/// message's own backoff. One lane per partner, so a slow or dead partner never delays the others.
/// </summary>
internal sealed class PartnerLane
{
    // How many pending messages the expiry check reads while the link is down.
    private const int ExpiryCheckBatch = 512;
    // A pass ends after reading this many messages even if more keep coming, so that messages refused earlier in it
    // get their retry and a circuit reset is applied, also while issuing outpaces delivery.
    private const int MaxMessagesPerPass = 4096;
    private static readonly TimeSpan ResetThrottle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RecentContact = TimeSpan.FromMinutes(1);

    private readonly Partner _partner;
    private readonly NodeConfig _config;
    private readonly INodeStore _store;
    private readonly CertificateWorkflow _workflow;
    private readonly PeerChannels _channels;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly NodeMetrics _metrics;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly CircuitBreakerManualControl _circuitControl = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int _resetRequested;
    private int _resetForced;
    private DateTimeOffset _lastReset;
    // The failure that found the link down, null while it is up. Any attempt may set it; only a reset clears it,
    // because a reset also closes the circuit, which is open after such failures.
    private FailureSeen? _linkDown;
    private DateTimeOffset _expiryCheckedAt;
    // The last pass left messages waiting out a backoff (or the first pass has yet to run).
    private volatile bool _backlogWaiting = true;
    // The failure that last opened the circuit, as the breaker saw it (it may have been a quick retry's, which no
    // message recorded): what "circuit open" stands for.
    private volatile DeliveryFailure? _circuitOpenedBy;

    public PartnerLane(Partner partner, NodeConfig config, INodeStore store, CertificateWorkflow workflow,
        PeerChannels channels, TimeProvider time, ILogger logger, NodeMetrics metrics)
    {
        _partner = partner;
        _config = config;
        _store = store;
        _workflow = workflow;
        _channels = channels;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _pipeline = DeliveryPipeline.Create(config.Options.Delivery, time, _circuit, _circuitControl, (state, cause) =>
        {
            Log.CircuitChanged(logger, partner.Code, state.ToString());
            if (state == CircuitState.Open && cause is not null)
            {
                _circuitOpenedBy = DeliveryErrors.Classify(partner.Code, cause, channels.LastServerRefusal(partner.Code));
            }
        });
    }

    public string Partner => _partner.Code;

    public CircuitState CircuitState => _circuit.CircuitState;

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public string? LastError => LastFailure?.ToString();

    /// <summary>The last failed attempt since the last success, classified, with its time; null after a success.</summary>
    /// <remarks>One reference, so a reader never sees a failure without its time.</remarks>
    public FailureSeen? LastFailureSeen { get; private set; }

    public DeliveryFailure? LastFailure => LastFailureSeen?.Failure;

    public DateTimeOffset? LastFailureAt => LastFailureSeen?.At;

    /// <summary>Since when the lane has found the link down and attempts nothing, only probes; null while it delivers.</summary>
    public DateTimeOffset? LinkDownSince => Volatile.Read(ref _linkDown)?.At;

    /// <summary>When the partner last called us: proof that it is up, whatever our deliveries say.</summary>
    public DateTimeOffset? LastContactAt { get; private set; }

    /// <summary>The partner just called us: note it, and try its backlog now (which ends link-down mode).</summary>
    public void PartnerSeen()
    {
        LastContactAt = _time.GetUtcNow();
        RequestReset(forced: false);
        // Wake the lane only when the call can speed something up: a partner delivering to us calls for every
        // message, and a lane with nothing waiting would read its empty backlog each time. The reset stands anyway,
        // for the next pass.
        if (Volatile.Read(ref _linkDown) is not null || _backlogWaiting || _circuit.CircuitState != CircuitState.Closed)
        {
            _signal.Writer.TryWrite(true);
        }
    }

    /// <summary>
    /// An operator's retry: makes every pending message due now in the store (so the backoff is gone even
    /// across a restart), closes the circuit, ends link-down mode and wakes the lane; returns the ids rescheduled.
    /// </summary>
    public IReadOnlyList<string> RetryNow()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var ids = _store.Write(w =>
        {
            var pending = w.PendingOutbound(_partner.Code, int.MaxValue);
            foreach (var message in pending.Where(m => m.NextAttemptAt > now))
            {
                message.NextAttemptAt = now;
                w.UpdateMessage(message);
            }

            return pending.Select(m => m.Id).ToList();
        });
        // Bypass the throttle that protects against a chatty partner: an operator asked for this retry.
        RequestReset(forced: true);
        Wake(resetBackoff: false);
        return ids;
    }

    /// <summary>Something to send; with <paramref name="resetBackoff"/>, pending retries are tried now too.</summary>
    public void Wake(bool resetBackoff)
    {
        if (resetBackoff)
        {
            RequestReset(forced: false);
        }

        _signal.Writer.TryWrite(true);
    }

    /// <summary>Asks the loop to reset (see DeliverDueAsync); a forced reset is not subject to the throttle.</summary>
    private void RequestReset(bool forced)
    {
        if (forced)
        {
            Interlocked.Exchange(ref _resetForced, 1);
        }

        Interlocked.Exchange(ref _resetRequested, 1);
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        DateTime? probeAt = null;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var next = await DeliverDueAsync(stopping);
                if (Volatile.Read(ref _linkDown) is null)
                {
                    probeAt = null;
                    await WaitAsync(next, stopping);
                    continue;
                }

                // The link is down: nothing is attempted until the partner shows it is up, whatever the backoffs say,
                // so its backlog goes within a probe interval of its return. The probes keep a fixed schedule: each
                // new message wakes the lane, and a steady stream of them must not put the next probe off.
                var now = _time.GetUtcNow().UtcDateTime;
                probeAt ??= now + _config.Options.Delivery.ProbeInterval;
                if (now < probeAt)
                {
                    await WaitAsync(probeAt, stopping);
                }
                else
                {
                    probeAt = null;
                    await ProbeAsync(stopping);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var delay = TimeSpan.FromSeconds(5);
                Log.LaneError(_logger, _partner.Code, delay, e);
                await Task.Delay(delay, _time, stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// Delivers every message now due; returns when the next one falls due (null: nothing pending). While the link
    /// is down it attempts nothing and returns at once (RunAsync probes instead), having given up what expired.
    /// </summary>
    private async Task<DateTime?> DeliverDueAsync(CancellationToken stopping)
    {
        while (true)
        {
            var now = _time.GetUtcNow();
            var forced = Interlocked.Exchange(ref _resetForced, 0) == 1;
            var reset = Interlocked.Exchange(ref _resetRequested, 0) == 1 && (forced || now - _lastReset >= ResetThrottle);
            if (reset)
            {
                // The partner is up (it called us, answered a probe or took a delivery) or an operator says try: close
                // the circuit and forget the failures it counted while the partner was down (one more would open it
                // again), end link-down mode, then try the whole backlog now. A probe's answer, a delivery and an
                // operator force their reset past the throttle; a partner's call does not (a chatty partner we cannot
                // reach would cost a failing pass per call), and while the link is down the next probe makes up for
                // a call the throttle dropped.
                _lastReset = now;
                await _circuitControl.CloseAsync(stopping);
                if (Interlocked.Exchange(ref _linkDown, null) is { } down)
                {
                    Log.DeliveriesResumed(_logger, _partner.Code, (now - down.At).TotalSeconds);
                }
            }

            if (Volatile.Read(ref _linkDown) is not null)
            {
                await GiveUpExpiredAsync(stopping);
                return null;
            }

            // One pass over the backlog: deliveries start as soon as a slot is free, the next page is read while the
            // page before is in flight, and messages queued while deliveries are in flight join the pass at once
            // (before, a message queued then waited for the slowest delivery of the pass to finish).
            var pass = new Pass(reset);
            await Parallel.ForEachAsync(DueInPass(pass, stopping),
                new ParallelOptions { MaxDegreeOfParallelism = _config.Options.Delivery.MaxInFlightPerPartner, CancellationToken = stopping },
                async (message, ct) =>
                {
                    try
                    {
                        await DeliverAsync(message, ct);
                    }
                    finally
                    {
                        pass.Finished();
                    }
                });
            if (pass.Started == 0)
            {
                _backlogWaiting = pass.NextDue is not null;
                return pass.NextDue;
            }
        }
    }

    /// <summary>What one pass over the backlog found and has in flight: deliveries started and not yet finished, when the first message it left falls due.</summary>
    private sealed class Pass(bool reset)
    {
        private int _inFlight;

        public bool Reset { get; } = reset;
        public int Started { get; private set; }
        public DateTime? NextDue { get; set; }

        /// <summary>Signalled when the last delivery in flight finishes.</summary>
        public Channel<bool> Drained { get; } = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

        public bool InFlight => Volatile.Read(ref _inFlight) > 0;

        public void Starting()
        {
            Started++;
            Interlocked.Increment(ref _inFlight);
        }

        public void Finished()
        {
            if (Interlocked.Decrement(ref _inFlight) == 0)
            {
                Drained.Writer.TryWrite(true);
            }
        }
    }

    /// <summary>
    /// The partner's pending messages that may go now, oldest first, read a page at a time. At the end of the backlog
    /// the pass stays open while deliveries are in flight and takes in what is queued meanwhile; it ends when nothing
    /// is in flight, once it has read <see cref="MaxMessagesPerPass"/> messages, or when the link goes down.
    /// Messages about one certificate go in order (a void never overtakes the certificate it voids): only the oldest
    /// pending message of each certificate may go in a pass, and a later one waits for the next pass.
    /// </summary>
    private async IAsyncEnumerable<PartnerMessage> DueInPass(Pass pass, [EnumeratorCancellation] CancellationToken stopping)
    {
        var certificates = new HashSet<string>(StringComparer.Ordinal);
        string? after = null;
        var pageSize = _config.Options.Delivery.BacklogPageSize;
        var read = 0;
        while (read < MaxMessagesPerPass && Volatile.Read(ref _linkDown) is null && !stopping.IsCancellationRequested)
        {
            var page = _store.PendingOutbound(_partner.Code, pageSize, after);
            read += page.Count;
            if (page.Count > 0)
            {
                after = page[^1].Id;
                // A read sees commits whose fsync may still be running (another write's, in its group); what goes to
                // the partner must be on our disk first, or a power loss could leave it holding what we lost.
                await _store.FlushAsync(stopping);
            }

            var now = _time.GetUtcNow().UtcDateTime;
            foreach (var message in page)
            {
                if (!certificates.Add(message.CertificateNumber))
                {
                    continue;
                }

                if (pass.Reset || message.NextAttemptAt <= now)
                {
                    pass.Starting();
                    yield return message;
                }
                else if (pass.NextDue is not { } next || message.NextAttemptAt < next)
                {
                    pass.NextDue = message.NextAttemptAt;
                }
            }

            if (page.Count == pageSize)
            {
                continue;
            }

            // The end of the backlog: wait while deliveries are in flight for a message queued meanwhile.
            if (!await MoreQueuedWhileInFlightAsync(pass, stopping))
            {
                yield break;
            }
        }
    }

    /// <summary>True when a message was queued before the pass's deliveries all finished; false once they have.</summary>
    private async Task<bool> MoreQueuedWhileInFlightAsync(Pass pass, CancellationToken stopping)
    {
        while (true)
        {
            if (_signal.Reader.TryRead(out _))
            {
                return true;
            }

            pass.Drained.Reader.TryRead(out _);
            if (!pass.InFlight)
            {
                // A signal that came with the last delivery finishing: look once more before ending the pass.
                return _signal.Reader.TryRead(out _);
            }

            var queued = _signal.Reader.WaitToReadAsync(stopping).AsTask();
            var drained = pass.Drained.Reader.WaitToReadAsync(stopping).AsTask();
            await Task.WhenAny(queued, drained);
            stopping.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Sleeps until <paramref name="wakeAt"/> or a signal; true when a signal woke it.</summary>
    private async Task<bool> WaitAsync(DateTime? wakeAt, CancellationToken stopping)
    {
        if (_signal.Reader.TryRead(out _))
        {
            // A signal that arrived while delivering: look again before sleeping.
            return true;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        if (wakeAt is { } at)
        {
            var delay = at - _time.GetUtcNow().UtcDateTime;
            if (delay <= TimeSpan.Zero)
            {
                return false;
            }

            timeout.CancelAfter(delay);
        }

        try
        {
            await _signal.Reader.WaitToReadAsync(timeout.Token);
            _signal.Reader.TryRead(out _);
            return true;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return false; // the time came
        }
    }

    /// <summary>
    /// While the link is down: a cheap call (a ping, TLS and all) that reaches the partner only when its node is up
    /// and accepts us. Any answer, even a refusal, ends link-down mode with a forced reset. A failure writes nothing:
    /// it only becomes the lane's last failure, so the status keeps explaining the cause.
    /// </summary>
    private async Task ProbeAsync(CancellationToken stopping)
    {
        try
        {
            await _channels.ClientFor(_partner).PingAsync(
                new PingRequest { Nonce = Google.Protobuf.ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)) },
                deadline: DateTime.UtcNow + _config.Options.Delivery.AttemptTimeout, cancellationToken: stopping);
        }
        catch (RpcException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (RpcException e)
        {
            var failure = DeliveryErrors.Classify(_partner.Code, e, _channels.LastServerRefusal(_partner.Code));
            if (!DeliveryErrors.IsRefusal(failure.Cause))
            {
                LastFailureSeen = new FailureSeen(failure, _time.GetUtcNow());
                Log.ProbeFailed(_logger, _partner.Code, failure.ToString());
                return;
            }

            // A refusal is an answer: the node is up, and the deliveries will say what it refuses, if anything.
        }

        RequestReset(forced: true);
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
        foreach (var message in _store.PendingOutbound(_partner.Code, ExpiryCheckBatch).Where(PastDeliverBy))
        {
            await GiveUpAsync(message, stopping);
        }
    }

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
            Log.LinkDown(_logger, _partner.Code, error, _config.Options.Delivery.ProbeInterval);
        }
    }

    /// <summary>
    /// Capped exponential backoff with ±20% jitter, so many nodes do not retry in step. A partner that called
    /// us within the last minute is up: a failure now is passing, so the next try comes after the first step.
    /// </summary>
    private TimeSpan Backoff(int attempts)
    {
        var d = _config.Options.Delivery;
        if (LastContactAt is { } contact && _time.GetUtcNow() - contact < RecentContact)
        {
            attempts = 1;
        }

        var exponential = d.FirstBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 30));
        var capped = Math.Min(exponential, d.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + Random.Shared.NextDouble() * 0.4));
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
            if (w.FindCertificate(current.CertificateNumber) is { } cert && cert.MissedDeliveryDeadline(current.Id, reason, now))
            {
                w.UpdateCertificate(cert);
            }

            w.Audit("outbox", "delivery.given-up", current.CertificateNumber, $"message {current.Id}: {reason}");
            return 0;
        }, ct);
        Log.DeliveryGivenUp(_logger, message.CertificateNumber, _partner.Code, reason);
    }

    /// <summary>Stops a delivery between quick retries: the message passed its deliver-by time meanwhile.</summary>
    private sealed class PastDeliverByException : Exception;
}

/// <summary>Why a delivery or ping to a partner failed, as an operator would distinguish it.</summary>
internal enum FailureCause
{
    Unreachable = 1,
    TlsRefusedByPartner = 2,
    PartnerCertificateUntrusted = 3,
    SignatureRejected = 4,
    RefusedByPolicy = 5,
    Timeout = 6,
    CircuitOpen = 7,
    InvalidReceipt = 8,
    PartnerError = 9,
    Other = 10,
}

/// <summary>A classified failure: the cause, and what was observed (stored as "label: detail" in the outbox row).</summary>
internal sealed record DeliveryFailure(FailureCause Cause, string Detail)
{
    public override string ToString() => $"{DeliveryErrors.Label(Cause)}: {Detail}";
}

/// <summary>
/// Turns a failed delivery into words an operator can act on: classifies the raw exception (the TLS cases
/// look alike to a gRPC client, so the chain of inner exceptions is read), and says what to do about each cause.
/// </summary>
internal static class DeliveryErrors
{
    private static readonly (FailureCause Cause, string Label)[] Labels =
    [
        (FailureCause.Unreachable, "unreachable"),
        (FailureCause.TlsRefusedByPartner, "TLS refused by partner"),
        (FailureCause.PartnerCertificateUntrusted, "partner certificate not trusted"),
        (FailureCause.SignatureRejected, "signature rejected"),
        (FailureCause.RefusedByPolicy, "refused by policy"),
        (FailureCause.Timeout, "timeout"),
        (FailureCause.CircuitOpen, "circuit open"),
        (FailureCause.InvalidReceipt, "invalid receipt"),
        (FailureCause.PartnerError, "partner error"),
        (FailureCause.Other, "error"),
    ];

    public static string Label(FailureCause cause) => Labels.First(l => l.Cause == cause).Label;

    /// <summary>The partner answered and refused: its node is up, so the problem is trust, policy or the partner's own, not the link.</summary>
    public static bool IsRefusal(FailureCause cause) =>
        cause is FailureCause.SignatureRejected or FailureCause.RefusedByPolicy or FailureCause.InvalidReceipt or FailureCause.PartnerError;

    /// <summary>
    /// Classifies a failed call to <paramref name="partner"/>. <paramref name="serverRefusal"/> is why our side
    /// last refused the partner's TLS certificate, if it did (the exception alone does not say).
    /// </summary>
    public static DeliveryFailure Classify(string partner, Exception e, string? serverRefusal)
    {
        switch (e)
        {
            case BrokenCircuitException:
                return new(FailureCause.CircuitOpen, $"recent deliveries to {partner} failed, so the node is pausing before the next try");
            case TimeoutRejectedException:
            case RpcException { StatusCode: StatusCode.DeadlineExceeded }:
                return new(FailureCause.Timeout, $"{partner} did not answer in time");
            case InvalidReceiptException r:
                return new(FailureCause.InvalidReceipt, $"{partner} answered with an invalid receipt: {r.Message}");
            case RpcException { StatusCode: StatusCode.Unauthenticated } r:
                return new(FailureCause.SignatureRejected, $"{partner} did not accept our signature: {r.Status.Detail}");
            case RpcException { StatusCode: StatusCode.PermissionDenied } r:
                return new(FailureCause.RefusedByPolicy, $"{partner} refused us: {r.Status.Detail}");
            case RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown } r when Transport(r) is { } transport:
                return transport;
            case RpcException r:
                return new(FailureCause.PartnerError, $"{partner} answered {r.StatusCode}: {r.Status.Detail}");
            default:
                return new(FailureCause.Other, $"{e.GetType().Name}: {e.Message}");
        }

        DeliveryFailure? Transport(RpcException r)
        {
            var chain = Chain(r.Status.DebugException).ToList();
            var innermost = chain.LastOrDefault()?.Message ?? r.Status.Detail;
            if (chain.OfType<AuthenticationException>().FirstOrDefault() is { } tls)
            {
                // Our RemoteCertificateValidationCallback said no: the partner's certificate is the problem.
                if (serverRefusal is not null || tls.Message.Contains("RemoteCertificateValidationCallback", StringComparison.Ordinal))
                {
                    return new(FailureCause.PartnerCertificateUntrusted,
                        $"we refused {partner}'s TLS certificate: {serverRefusal ?? tls.Message}");
                }

                // Anything else in the handshake (typically a TLS alert from the partner) means it refused us.
                return new(FailureCause.TlsRefusedByPartner, $"{partner} ended the TLS handshake: {tls.Message}");
            }

            if (chain.OfType<SocketException>().FirstOrDefault() is { } socket
                && socket.SocketErrorCode is not (SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown))
            {
                return new(FailureCause.Unreachable, $"{partner}: {socket.Message}");
            }

            if (chain.OfType<HttpRequestException>().FirstOrDefault(h => h.HttpRequestError is HttpRequestError.ConnectionError
                    or HttpRequestError.NameResolutionError) is { } connect
                && chain.OfType<SocketException>().All(s => s.SocketErrorCode is not (SocketError.ConnectionReset or SocketError.ConnectionAborted)))
            {
                return new(FailureCause.Unreachable, $"{partner}: {innermost}");
            }

            // The connection opened, then the partner hung up before any answer: with TLS 1.3 this is how a
            // server's refusal of our client certificate reaches us (the handshake completes on our side first).
            // Or, when the refusal lands between the TLS and the HTTP/2 handshakes, as an HTTP/2 connection that
            // "could not be established" without any protocol error code from the partner (only the text tells).
            if (chain.Any(x => x is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }
                    || x is HttpRequestException or IOException && !chain.OfType<HttpProtocolException>().Any()
                        && x.Message.Contains("HTTP/2 connection could not be established", StringComparison.Ordinal)
                    || x is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted }
                    || x is IOException && x.Message.Contains("ended prematurely", StringComparison.OrdinalIgnoreCase)))
            {
                return new(FailureCause.TlsRefusedByPartner, $"{partner} closed the connection before answering, most likely refusing our TLS certificate ({innermost})");
            }

            // Any other failure of the HTTP request itself: the call never reached the partner's service.
            return r.StatusCode == StatusCode.Unavailable || chain.OfType<HttpRequestException>().Any()
                ? new(FailureCause.Unreachable, $"{partner}: {innermost}")
                : null;
        }
    }

    /// <summary>Reads back the cause of a failure stored as text by <see cref="DeliveryFailure.ToString"/>.</summary>
    public static DeliveryFailure? Parse(string? stored)
    {
        if (string.IsNullOrEmpty(stored))
        {
            return null;
        }

        foreach (var (cause, label) in Labels)
        {
            if (stored.StartsWith(label + ": ", StringComparison.Ordinal))
            {
                return new DeliveryFailure(cause, stored[(label.Length + 2)..]);
            }
        }

        return new DeliveryFailure(FailureCause.Other, stored);
    }

    /// <summary>What the failure means and what the operator can do about it.</summary>
    public static string Advice(FailureCause cause, string partner, string us, NodeConfig config) => cause switch
    {
        FailureCause.Unreachable =>
            $"No connection to {partner}'s node. Check that it is running and that its address in Node:Partners is right and reachable from here (DNS, firewall). "
            + "Nothing is lost: messages wait in the outbox and go out when it is back. 'kpnode peer ping' tests the link.",
        FailureCause.TlsRefusedByPartner =>
            $"{partner}'s node refused our TLS certificate: it does not trust our root, or our node certificate expired. "
            + $"Send {partner} our root.crt out of band and ask them to configure it as {us}'s root; check that our node.crt is still valid. "
            + $"If {partner} confirms it trusts our root, its node may be failing mid-call: ask {partner} to check its logs.",
        FailureCause.PartnerCertificateUntrusted =>
            $"We refused {partner}'s TLS certificate (expired, or not from the root configured for {partner}). "
            + $"Check Node:Partners ({partner}) RootCertificate holds {partner}'s current root; if {partner} renewed its PKI, ask for the new root.crt, else ask {partner} to renew its node certificate.",
        FailureCause.SignatureRejected =>
            $"{partner} did not accept our signature. Check that our signing.crt is valid and chains to the root {partner} holds for {us}; after a root change, send {partner} the new root.crt.",
        FailureCause.RefusedByPolicy =>
            $"{partner} refused the message by policy (see the detail). Check the certificate's importer and exporter, and that {partner} lists {us} as a partner.",
        FailureCause.Timeout =>
            $"{partner}'s node accepted the connection but did not answer within {config.Options.Delivery.AttemptTimeout.TotalSeconds:0.#} s; it may be overloaded. "
            + "Retries continue; raise Node:Delivery:AttemptTimeout if the link is slow.",
        FailureCause.CircuitOpen =>
            $"Recent deliveries to {partner} failed, so the node pauses {config.Options.Delivery.BreakerBreakDuration.TotalSeconds:0.#} s between tries. "
            + $"'kpnode peer retry-now {partner}' tries at once.",
        FailureCause.InvalidReceipt =>
            $"{partner} answered, but its receipt is not valid proof, so nothing is marked delivered. Ask {partner}'s operators to check their signing certificate and node version.",
        FailureCause.PartnerError =>
            $"{partner}'s node answered with an error. Ask {partner}'s operators to check their node's logs.",
        _ => "Check this node's log for the full error.",
    };

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}

/// <summary>A classified delivery failure and when it happened.</summary>
internal sealed record FailureSeen(DeliveryFailure Failure, DateTimeOffset At);
