using System.Security.Cryptography;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Domain;
using KpNode.Exchange;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Polly;
using Polly.CircuitBreaker;
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
/// <remarks>This file holds the lane's loop, its wake-ups and resets, and its probes; one message's delivery is in PartnerLane.Delivery.cs, a pass over the due messages in DeliveryPass.cs.</remarks>
internal sealed partial class PartnerLane
{
    // Replaced by Use when a reload changes the partner (its address or roots); the lane's state stays.
    private volatile Partner _partner;
    private readonly NodeConfig _config;
    private readonly DeliveryOptions _options;
    private readonly INodeStore _store;
    private readonly CertificateWorkflow _workflow;
    private readonly PeerChannels _channels;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IDeliveryMetrics _metrics;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly CircuitBreakerManualControl _circuitControl = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    // Created once, so a pass allocates no delegate of its own.
    private readonly Func<PartnerMessage, CancellationToken, Task> _deliver;
    private readonly Func<bool> _isLinkDown;
    private int _resetRequested;
    private int _resetForced;
    private DateTimeOffset _lastReset;
    // A partner's call that came within ResetThrottle of the last reset: its reset is put off to this time, not
    // dropped, so a call that follows a failed pass still ends link-down mode (the probe could be an hour away).
    private DateTimeOffset? _resetDeferredTo;
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
        PeerChannels channels, TimeProvider time, ILogger logger, IDeliveryMetrics metrics)
    {
        _partner = partner;
        _config = config;
        _options = config.Options.Delivery;
        _store = store;
        _workflow = workflow;
        _channels = channels;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _deliver = DeliverAsync;
        _isLinkDown = () => Volatile.Read(ref _linkDown) is not null;
        _pipeline = DeliveryPipeline.Create(_options, time, _circuit, _circuitControl, (state, cause) =>
        {
            Log.CircuitChanged(logger, partner.Code, state.ToString());
            if (state == CircuitState.Open && cause is not null)
            {
                _circuitOpenedBy = DeliveryErrors.Classify(partner.Code, cause, channels.LastServerRefusal(partner.Code));
            }
        });
    }

    public string Partner => _partner.Code;

    /// <summary>The partner's Peer API address as configured now.</summary>
    public string Address => _partner.Address.OriginalString;

    /// <summary>
    /// A reload changed this partner: later attempts go to it as it is now (the channel follows, see PeerChannels);
    /// backoffs, circuit and link state stay, they are about the messages, not the address.
    /// </summary>
    public void Use(Partner partner)
    {
        if (partner.Code != _partner.Code)
            throw new ArgumentException($"lane of {_partner.Code} cannot take partner {partner.Code}", nameof(partner));
        _partner = partner;
        Wake(resetBackoff: false);
    }

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
                var deferred = _resetDeferredTo?.UtcDateTime;
                if (Volatile.Read(ref _linkDown) is null)
                {
                    probeAt = null;
                    await WaitAsync(Earliest(next, deferred), stopping);
                    continue;
                }

                // The link is down: nothing is attempted until the partner shows it is up, whatever the backoffs say,
                // so its backlog goes within a probe interval of its return. The probes keep a fixed schedule: each
                // new message wakes the lane, and a steady stream of them must not put the next probe off.
                var now = _time.GetUtcNow().UtcDateTime;
                probeAt ??= now + _options.ProbeInterval;
                if (deferred is not null && deferred < probeAt)
                {
                    // A partner's call is waiting out the throttle: the reset it asked for comes before the probe.
                    await WaitAsync(deferred, stopping);
                }
                else if (now < probeAt)
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
                var delay = _options.LaneErrorDelay;
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
            var requested = Interlocked.Exchange(ref _resetRequested, 0) == 1 || _resetDeferredTo is not null;
            var reset = requested && (forced || now - _lastReset >= _options.ResetThrottle);
            _resetDeferredTo = requested && !reset ? _lastReset + _options.ResetThrottle : null;
            if (reset)
            {
                // The partner is up (it called us, answered a probe or took a delivery) or an operator says try: close
                // the circuit and forget the failures it counted while the partner was down (one more would open it
                // again), end link-down mode, then try the whole backlog now. A probe's answer, a delivery and an
                // operator force their reset past the throttle; a partner's call does not (a chatty partner we cannot
                // reach would cost a failing pass per call): a call within the throttle has its reset when the
                // throttle ends, never dropped, or a call right after a failed pass would wait for the next probe.
                _lastReset = now;
                await _circuitControl.CloseAsync(stopping);
                if (Interlocked.Exchange(ref _linkDown, null) is { } down)
                {
                    Log.DeliveriesResumed(_logger, _partner.Code, (now - down.At).TotalSeconds);
                    var downFor = TimeSpan.FromSeconds(Math.Round((now - down.At).TotalSeconds));
                    await _store.WriteDurableAsync(w => w.Audit("outbox", "partner.link-up", _partner.Code, $"deliveries resume after {downFor} down"), stopping);
                }
            }

            if (Volatile.Read(ref _linkDown) is not null)
            {
                await GiveUpExpiredAsync(stopping);
                return null;
            }

            var pass = new DeliveryPass(_store, _partner.Code, _options, _time, _signal.Reader, _isLinkDown, reset);
            await pass.RunAsync(_deliver, stopping);
            if (pass.Started == 0)
            {
                _backlogWaiting = pass.NextDue is not null;
                return pass.NextDue;
            }
        }
    }

    private static DateTime? Earliest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a < b ? a : b;

    /// <summary>Sleeps until <paramref name="wakeAt"/> or a signal; true when a signal woke it.</summary>
    private async Task<bool> WaitAsync(DateTime? wakeAt, CancellationToken stopping)
    {
        if (_signal.Reader.TryRead(out _))
        {
            // A signal that arrived while delivering: look again before sleeping.
            return true;
        }

        var delay = Timeout.InfiniteTimeSpan;
        if (wakeAt is { } at)
        {
            delay = at - _time.GetUtcNow().UtcDateTime;
            if (delay <= TimeSpan.Zero)
            {
                return false;
            }
        }

        // The lane's clock, not the machine's, says when the time has come.
        using var due = new CancellationTokenSource(delay, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping, due.Token);
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
                new PingRequest { Nonce = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)) },
                deadline: DateTime.UtcNow + _options.AttemptTimeout, cancellationToken: stopping);
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
}
