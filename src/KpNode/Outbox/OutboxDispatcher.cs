using System.Collections.Concurrent;
using KpNode.Configuration;
using KpNode.Exchange;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Workflow;

namespace KpNode.Outbox;

/// <summary>
/// Runs one delivery lane per partner; the workflow wakes lanes through <see cref="OutboxSignal"/>. A reload of the
/// partners adds and removes lanes while the others run on untouched.
/// </summary>
internal sealed class OutboxDispatcher : BackgroundService
{
    private readonly ConcurrentDictionary<string, RunningLane> _lanes = new(StringComparer.Ordinal);
    private readonly Func<Partner, PartnerLane> _newLane;
    private readonly OutboxSignal _signal;
    private readonly Lock _changing = new();
    // Set once the host runs the dispatcher; lanes added before then start with it.
    private CancellationToken? _stopping;

    public OutboxDispatcher(Partners partners, NodeConfig config, INodeStore store, CertificateWorkflow workflow,
        PeerChannels channels, OutboxSignal signal, TimeProvider time, ILoggerFactory loggers, IDeliveryMetrics metrics)
    {
        var logger = loggers.CreateLogger<OutboxDispatcher>();
        _signal = signal;
        _newLane = p => new PartnerLane(p, config, store, workflow, channels, time, logger, metrics);
        foreach (var partner in partners.All)
        {
            Add(partner);
        }
    }

    public IReadOnlyCollection<PartnerLane> Lanes => [.. _lanes.Values.Select(r => r.Lane)];

    public PartnerLane? Lane(string partner) => _lanes.GetValueOrDefault(partner)?.Lane;

    /// <summary>A lane for a partner just configured, running at once if the dispatcher runs; an existing lane is kept as it is.</summary>
    public PartnerLane Add(Partner partner)
    {
        lock (_changing)
        {
            if (_lanes.TryGetValue(partner.Code, out var existing))
                return existing.Lane;
            var running = new RunningLane(_newLane(partner));
            _lanes[partner.Code] = running;
            _signal.Register(running.Lane);
            if (_stopping is { } stopping)
                running.Start(stopping);
            return running.Lane;
        }
    }

    /// <summary>Stops and drops the lane of a partner no longer configured; returns once its loop has ended.</summary>
    public async Task RemoveAsync(string partner)
    {
        RunningLane? running;
        lock (_changing)
        {
            if (!_lanes.TryRemove(partner, out running))
                return;
            _signal.Unregister(partner);
        }

        await running.StopAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        lock (_changing)
        {
            _stopping = stoppingToken;
            foreach (var running in _lanes.Values)
                running.Start(stoppingToken);
        }

        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: wait for the lanes below.
        }

        RunningLane[] lanes;
        lock (_changing)
            lanes = [.. _lanes.Values];
        await Task.WhenAll(lanes.Select(r => r.StopAsync()));
    }

    /// <summary>A lane with the loop running it and what stops that loop alone.</summary>
    private sealed class RunningLane(PartnerLane lane)
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        public PartnerLane Lane { get; } = lane;

        public void Start(CancellationToken stopping)
        {
            var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _stop.Token);
            _loop = Task.Run(() => Lane.RunAsync(linked.Token), CancellationToken.None).ContinueWith(_ => linked.Dispose(), TaskScheduler.Default);
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
        }
    }
}

/// <summary>How the workflow and the Peer API wake a partner's lane without knowing the dispatcher.</summary>
internal sealed class OutboxSignal : IDeliverySignal
{
    private readonly ConcurrentDictionary<string, PartnerLane> _lanes = new(StringComparer.Ordinal);

    internal void Register(PartnerLane lane) => _lanes[lane.Partner] = lane;

    internal void Unregister(string partner) => _lanes.TryRemove(partner, out _);

    public void MessageQueued(string partner) => _lanes.GetValueOrDefault(partner)?.Wake(resetBackoff: false);

    public void PartnerSeen(string partner) => _lanes.GetValueOrDefault(partner)?.PartnerSeen();
}
