using System.Collections.Concurrent;
using KpNode.Configuration;
using KpNode.Exchange;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Workflow;

namespace KpNode.Outbox;

/// <summary>Runs one delivery lane per partner for the life of the node; the workflow wakes lanes through <see cref="OutboxSignal"/>.</summary>
internal sealed class OutboxDispatcher : BackgroundService
{
    private readonly Dictionary<string, PartnerLane> _lanes;

    public OutboxDispatcher(Partners partners, NodeConfig config, INodeStore store, CertificateWorkflow workflow,
        PeerChannels channels, OutboxSignal signal, TimeProvider time, ILoggerFactory loggers, IDeliveryMetrics metrics)
    {
        var logger = loggers.CreateLogger<OutboxDispatcher>();
        _lanes = partners.All.ToDictionary(p => p.Code,
            p => new PartnerLane(p, config, store, workflow, channels, time, logger, metrics), StringComparer.Ordinal);
        foreach (var lane in _lanes.Values)
        {
            signal.Register(lane);
        }
    }

    public IReadOnlyCollection<PartnerLane> Lanes => _lanes.Values;

    public PartnerLane? Lane(string partner) => _lanes.GetValueOrDefault(partner);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_lanes.Values.Select(lane => Task.Run(() => lane.RunAsync(stoppingToken), CancellationToken.None)));
}

/// <summary>How the workflow and the Peer API wake a partner's lane without knowing the dispatcher.</summary>
internal sealed class OutboxSignal : IDeliverySignal
{
    private readonly ConcurrentDictionary<string, PartnerLane> _lanes = new(StringComparer.Ordinal);

    internal void Register(PartnerLane lane) => _lanes[lane.Partner] = lane;

    public void MessageQueued(string partner) => _lanes.GetValueOrDefault(partner)?.Wake(resetBackoff: false);

    public void PartnerSeen(string partner) => _lanes.GetValueOrDefault(partner)?.PartnerSeen();
}
