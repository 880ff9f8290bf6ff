using System.Threading.Channels;
using Grpc.Core;
using KpNode.Exchange;
using KpNode.Hosting;
using KpNode.Operations;
using KpNode.Storage;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace KpNode.Outbox;

/// <summary>
/// Delivers one partner's outbox: wakes on a signal or when the next retry is due (no polling), sends up to
/// MaxInFlightPerPartner messages at once through the partner's pipeline, and persists every attempt.
/// One lane per partner, so a slow or dead partner never delays the others.
/// </summary>
public sealed class PartnerLane
{
    private const int BatchSize = 512;
    private static readonly TimeSpan ResetThrottle = TimeSpan.FromSeconds(1);

    private readonly Partner _partner;
    private readonly NodeConfig _config;
    private readonly INodeStore _store;
    private readonly CertificateWorkflow _workflow;
    private readonly PeerChannels _channels;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly CircuitBreakerManualControl _circuitControl = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int _resetRequested;
    private DateTimeOffset _lastReset;

    public PartnerLane(Partner partner, NodeConfig config, INodeStore store, CertificateWorkflow workflow,
        PeerChannels channels, TimeProvider time, ILogger logger)
    {
        _partner = partner;
        _config = config;
        _store = store;
        _workflow = workflow;
        _channels = channels;
        _time = time;
        _logger = logger;
        _pipeline = DeliveryPipeline.Create(config.Options.Delivery, time, _circuit, _circuitControl,
            state => Log.CircuitChanged(logger, partner.Code, state.ToString()));
    }

    public string Partner => _partner.Code;

    public CircuitState CircuitState => _circuit.CircuitState;

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>Something to send; with <paramref name="resetBackoff"/>, pending retries are tried now too.</summary>
    public void Wake(bool resetBackoff)
    {
        if (resetBackoff)
        {
            Interlocked.Exchange(ref _resetRequested, 1);
        }

        _signal.Writer.TryWrite(true);
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var next = await DeliverDueAsync(stopping);
                await WaitAsync(next, stopping);
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

    /// <summary>Delivers every message now due; returns when the next one falls due (null: nothing pending).</summary>
    private async Task<DateTime?> DeliverDueAsync(CancellationToken stopping)
    {
        while (true)
        {
            var now = _time.GetUtcNow();
            var reset = Interlocked.Exchange(ref _resetRequested, 0) == 1 && now - _lastReset >= ResetThrottle;
            if (reset)
            {
                // The partner just reached us, so it is up: close the circuit and forget the failures it
                // counted while the partner was down (one more would open it again), then try the backlog now.
                _lastReset = now;
                await _circuitControl.CloseAsync(stopping);
            }

            // Messages about one certificate go in order (a void never overtakes the certificate it voids):
            // only the oldest pending message of each certificate may go now.
            var pending = _store.PendingOutbound(_partner.Code, BatchSize);
            var eligible = pending.GroupBy(m => m.CertificateNumber).Select(g => g.MinBy(m => m.CreatedAt)!).ToList();
            var due = eligible.Where(m => reset || m.NextAttemptAt <= now.UtcDateTime).ToList();
            if (due.Count == 0)
            {
                return eligible.Count == 0 ? null : eligible.Min(m => m.NextAttemptAt);
            }

            await Parallel.ForEachAsync(due,
                new ParallelOptions { MaxDegreeOfParallelism = _config.Options.Delivery.MaxInFlightPerPartner, CancellationToken = stopping },
                async (message, ct) => await DeliverAsync(message, ct));
        }
    }

    private async Task WaitAsync(DateTime? nextDue, CancellationToken stopping)
    {
        if (_signal.Reader.TryRead(out _))
        {
            // A signal that arrived while delivering: look again before sleeping.
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        if (nextDue is { } due)
        {
            var delay = due - _time.GetUtcNow().UtcDateTime;
            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            timeout.CancelAfter(delay);
        }

        try
        {
            await _signal.Reader.WaitToReadAsync(timeout.Token);
            _signal.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            // The next retry is due.
        }
    }

    private async Task DeliverAsync(MessageDocument message, CancellationToken stopping)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (now > message.DeliverBy)
        {
            await GiveUpAsync(message, $"the certificate expired on {message.DeliverBy:yyyy-MM-dd} before {_partner.Code} acknowledged it", stopping);
            return;
        }

        try
        {
            var request = new DeliverRequest { Envelope = Envelope.Parser.ParseFrom(message.Envelope) };
            var client = _channels.ClientFor(_partner);
            var response = await _pipeline.ExecuteAsync(
                static async (state, token) => await state.client.DeliverAsync(state.request, cancellationToken: token),
                (client, request), stopping);
            var receipt = await _workflow.RecordReceiptAsync(message.Id, _partner, response.Receipt, stopping);
            LastSuccessAt = _time.GetUtcNow();
            LastError = null;
            Log.Delivered(_logger, message.CertificateNumber, message.Id, _partner.Code, receipt.Outcome.ToString());
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: the message stays pending in the outbox.
        }
        catch (Exception e)
        {
            RecordFailure(message, DeliveryErrors.Explain(_partner.Code, e));
        }
    }

    private void RecordFailure(MessageDocument message, string error)
    {
        LastError = error;
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
    }

    /// <summary>Capped exponential backoff with ±20% jitter, so many nodes do not retry in step.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var d = _config.Options.Delivery;
        var exponential = d.FirstBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 30));
        var capped = Math.Min(exponential, d.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + Random.Shared.NextDouble() * 0.4));
    }

    private async Task GiveUpAsync(MessageDocument message, string reason, CancellationToken ct)
    {
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
            if (w.FindCertificate(current.CertificateNumber) is { } cert && cert.MessageId == current.Id
                && cert.Status == Domain.CertificateStatus.Issued)
            {
                cert.StatusReason = reason;
                CertificateDocuments.Transition(cert, Domain.CertificateStatus.Undeliverable, now, $"Delivery given up: {reason}");
                w.UpdateCertificate(cert);
            }

            w.Audit("outbox", "delivery.given-up", current.CertificateNumber, $"message {current.Id}: {reason}");
            return 0;
        }, ct);
        Log.DeliveryGivenUp(_logger, message.CertificateNumber, _partner.Code, reason);
    }
}

/// <summary>Turns a failed delivery into words an operator can act on.</summary>
public static class DeliveryErrors
{
    public static string Explain(string partner, Exception e) => e switch
    {
        BrokenCircuitException => $"circuit open: recent deliveries to {partner} failed, so the node is pausing before the next try",
        TimeoutRejectedException => $"{partner} did not answer in time",
        InvalidReceiptException r => $"{partner} answered with an invalid receipt: {r.Message}",
        RpcException { StatusCode: StatusCode.Unavailable } r => $"{partner} unreachable: {Inner(r)}",
        RpcException { StatusCode: StatusCode.Unauthenticated } r => $"{partner} did not accept our signature: {r.Status.Detail}",
        RpcException { StatusCode: StatusCode.PermissionDenied } r => $"{partner} refused us: {r.Status.Detail}",
        RpcException r => $"{partner} answered {r.StatusCode}: {r.Status.Detail}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private static string Inner(RpcException e)
    {
        var inner = e.Status.DebugException;
        while (inner?.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner?.Message ?? e.Status.Detail;
    }
}
