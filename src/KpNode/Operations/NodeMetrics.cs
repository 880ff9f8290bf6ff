using System.Diagnostics;
using System.Diagnostics.Metrics;
using KpNode.Outbox;
using KpNode.Storage;
using KpNode.Wire.V1;
using CircuitState = Polly.CircuitBreaker.CircuitState;

namespace KpNode.Operations;

/// <summary>
/// The node's Prometheus metrics (Meter "KpNode"): counters the outbox bumps as deliveries happen, and gauges
/// read from the store, the lanes and the certificates at each scrape. Names follow OpenTelemetry; the exporter
/// turns them into Prometheus names with unit suffixes and <c>_total</c> for counters.
/// </summary>
internal sealed class NodeMetrics : IDeliveryMetrics
{
    public const string MeterName = "KpNode";

    // From a LAN round trip to a partner that was down for a day.
    private static readonly double[] LatencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600];

    private readonly Counter<long> _attempts;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _receipts;
    private int _observing;

    public NodeMetrics(IMeterFactory meters, NodeMeter ours)
    {
        Meter = meters.Create(MeterName, NodeVersion.Current);
        ours.Meter = Meter;
        _attempts = Meter.CreateCounter<long>("kpnode.delivery.attempts", "{attempt}",
            "Delivery attempts to partners, by partner and result (delivered, rejected, failed)");
        _failures = Meter.CreateCounter<long>("kpnode.delivery.failures", "{failure}",
            "Failed delivery attempts, by partner and cause");
        _latency = Meter.CreateHistogram("kpnode.delivery.latency", "s",
            "End-to-end delivery latency: from queuing a message to recording the partner's signed receipt",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        // Counted as they happen: counting the store's messages at each scrape reads the whole message history.
        _receipts = Meter.CreateCounter<long>("kpnode.receipts", "{receipt}",
            "Signed receipts since the node started: received from partners for our messages, and sent by us in answer to their deliveries (again for a redelivery), by outcome");
        foreach (var direction in new[] { "received", "sent" })
        {
            foreach (var outcome in new[] { ReceiptOutcome.Accepted, ReceiptOutcome.Rejected })
                _receipts.Add(0, ReceiptTags(direction, outcome));
        }
    }

    public Meter Meter { get; }

    /// <summary>A partner signed a receipt for one of our messages.</summary>
    public void Delivered(string partner, ReceiptOutcome outcome, TimeSpan sinceQueued)
    {
        var result = outcome == ReceiptOutcome.Accepted ? "delivered" : "rejected";
        _attempts.Add(1, new("partner", partner), new("result", result));
        _latency.Record(Math.Max(0, sinceQueued.TotalSeconds), new KeyValuePair<string, object?>("partner", partner));
        _receipts.Add(1, ReceiptTags("received", outcome));
    }

    /// <summary>We answered a partner's delivery with our signed receipt.</summary>
    public void ReceiptSent(ReceiptOutcome outcome) => _receipts.Add(1, ReceiptTags("sent", outcome));

    private static TagList ReceiptTags(string direction, ReceiptOutcome outcome) =>
        new() { { "direction", direction }, { "outcome", outcome == ReceiptOutcome.Accepted ? "accepted" : "rejected" } };

    /// <summary>An attempt failed; the message stays in the outbox.</summary>
    public void DeliveryFailed(string partner, FailureCause cause)
    {
        _attempts.Add(1, new("partner", partner), new("result", "failed"));
        _failures.Add(1, new("partner", partner), new("cause", DeliveryErrors.Label(cause).Replace(' ', '_')));
    }

    /// <summary>The gauge of messages held that a revoked key signed; with <see cref="Observe"/>, once per node.</summary>
    public void ObserveRevocations(Integrity.RevokedSignatures revoked) =>
        Meter.CreateObservableGauge("kpnode.records.signed_by_revoked_keys", () => revoked.Count,
            "{record}", "Messages held that were signed by a key its root had revoked at the time (kept as they are; not store damage)");

    /// <summary>kpnode_history_differences{partner}: what the last reconciliation with each partner left different (0: matches).</summary>
    public void ObserveHistory(Storage.INodeStore store, Trust.Partners partners) =>
        Meter.CreateObservableGauge("kpnode.history.differences", () => partners.All
                .Select(p => (p.Code, History: store.FindPartnerHistory(p.Code)))
                .Where(h => h.History?.ReconciledAt is not null)
                .Select(h => new Measurement<int>(h.History!.Differences.Count, new KeyValuePair<string, object?>("partner", h.Code))),
            description: "Messages the last reconciliation of the shared history with each partner left different (0: the histories match)");

    public void ObservePreflight(PartnerPreflight preflight, Trust.Partners partners) =>
        Meter.CreateObservableGauge("kpnode.partner.preflight_problems", () => partners.All
                .Where(p => preflight.ResultFor(p.Code) is { Error.Length: 0 })
                .Select(p => new Measurement<int>(preflight.ResultFor(p.Code)!.Problems.Count, new KeyValuePair<string, object?>("partner", p.Code))),
            "{problem}", "Mismatches the last pre-flight hello with each partner found (kpnode status says what they are); absent until a hello was answered");

    /// <summary>Registers the gauges that read the node's state at each scrape; once per node.</summary>
    public void Observe(INodeStore store, OutboxDispatcher outbox, ExpiryCheck expiry, Integrity.StoreIntegrity integrity, TimeProvider time)
    {
        if (Interlocked.Exchange(ref _observing, 1) == 1)
        {
            return;
        }

        Meter.CreateObservableGauge("kpnode.certificates", () => Read(() => store.CountCertificatesByStatus()
                .Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("status", kv.Key.ToString())))),
            "{certificate}", "Certificates held, by status");
        Meter.CreateObservableGauge("kpnode.outbox.backlog", () => Read(() => outbox.Lanes
                .Select(l => new Measurement<long>(store.SummarizePending(l.Partner).Count, Partner(l)))),
            "{message}", "Messages waiting in the outbox, by partner");
        Meter.CreateObservableGauge("kpnode.outbox.oldest_pending_age", () => Read(() => outbox.Lanes.Select(l =>
            {
                var oldest = store.SummarizePending(l.Partner).OldestCreatedAt;
                var age = oldest is { } at ? (time.GetUtcNow().UtcDateTime - at).TotalSeconds : 0;
                return new Measurement<double>(Math.Max(0, age), Partner(l));
            })),
            "s", "Age of the oldest message waiting for each partner (0 when none)");
        Meter.CreateObservableGauge("kpnode.partner.circuit_state", () => outbox.Lanes.SelectMany(l =>
                new[] { CircuitState.Closed, CircuitState.HalfOpen, CircuitState.Open, CircuitState.Isolated }.Select(s =>
                    new Measurement<int>(l.CircuitState == s ? 1 : 0, Partner(l), new("state", CircuitWords.MetricLabel(s))))),
            null, "Circuit breaker state per partner: 1 for the current state");
        Meter.CreateObservableGauge("kpnode.partner.reachable", () => outbox.Lanes
                .Where(l => PartnerReachabilityOf(l) != PartnerReachability.Unspecified)
                .Select(l => new Measurement<int>(PartnerReachabilityOf(l) == PartnerReachability.Reachable ? 1 : 0, Partner(l))),
            null, "1 when the partner answered (or called us) since the last failure, 0 when not; absent before any contact");
        Meter.CreateObservableGauge("kpnode.x509.remaining_validity", () => expiry.Check().Select(e =>
                new Measurement<double>(e.Remaining.TotalDays, Credential(e))),
            "d", "Days until each of our certificates and each partner root expires (negative once expired)");
        Meter.CreateObservableGauge("kpnode.x509.expiry_warning", () => expiry.Check().Select(e =>
                new Measurement<int>(e.Warning ? 1 : 0, Credential(e))),
            null, "1 when a certificate is within Node:Operations:ExpiryWarningDays of expiry or expired");
        // Group commit, fsync and checkpoint, from the store's own counts: rate(writes) / rate(group_commits) is the
        // group size, rate(fsync.time) / rate(fsyncs) the disk's fsync latency, both of which bound how fast the node
        // answers; a checkpoint stops every write while LiteDB copies its log into the data file, so its time is a
        // pause that the writes queued behind it waited out.
        StoreCounter("kpnode.store.group_commits", a => a.GroupCommits,
            "{commit}", "Transactions that committed queued durable writes together (group commit)");
        StoreCounter("kpnode.store.durable_writes", a => a.DurableWrites, "{write}", "Durable writes committed by group commits");
        StoreCounter("kpnode.store.group_commit.time", a => a.GroupCommitSeconds,
            "s", "Time the store's writer spent running and committing group transactions");
        StoreCounter("kpnode.store.fsyncs", a => a.Fsyncs, "{fsync}", "fsyncs that made commits durable");
        StoreCounter("kpnode.store.fsync.time", a => a.FsyncSeconds, "s", "Time spent in those fsyncs");
        StoreCounter("kpnode.store.checkpoints", a => a.Checkpoints,
            "{checkpoint}", "Commits during which the store copied its write-ahead log into the data file");
        StoreCounter("kpnode.store.checkpoint.time", a => a.CheckpointSeconds,
            "s", "Time those commits took, during which no other write could run");
        Meter.CreateObservableGauge("kpnode.store.queued_writes", () => store.QueuedWrites,
            "{write}", "Durable writes waiting for their group commit: how far the store's writer is behind");
        Meter.CreateObservableGauge("kpnode.store.damaged_records", () => integrity.State.Damaged,
            "{record}", "Records in the store found not to match their signatures or not readable since the node started (health is NOT_SERVING while above 0)");
        Meter.CreateObservableGauge("kpnode.store.size", () => Read<long>(() => [new Measurement<long>(store.FileSizeBytes)]),
            "By", "Size of the store on disk (data file and write-ahead log)");

        void StoreCounter<T>(string name, Func<StoreActivity, T> read, string unit, string description) where T : struct =>
            Meter.CreateObservableCounter(name, () => read(store.Activity), unit, description);
    }

    /// <summary>A store that is closed or failing yields no samples; health reports it, a scrape should not fail.</summary>
    private static IEnumerable<Measurement<T>> Read<T>(Func<IEnumerable<Measurement<T>>> read) where T : struct
    {
        try
        {
            return read().ToList();
        }
        catch (Exception e) when (StoreFailure.IsUnavailable(e))
        {
            return [];
        }
    }

    private static KeyValuePair<string, object?> Partner(PartnerLane lane) => new("partner", lane.Partner);

    private static KeyValuePair<string, object?>[] Credential(ExpiryEntry e) =>
        [new("certificate", e.Role.ToString()), new("owner", e.Owner)];

    /// <summary>Reachable when the last thing we know is an answer or a call from the partner; unreachable when it is a failure that never reached its service.</summary>
    public static PartnerReachability PartnerReachabilityOf(PartnerLane lane) =>
        PartnerReachabilityOf(lane.LastFailureSeen, Max(lane.LastSuccessAt, lane.LastContactAt));

    /// <summary>The same from one reading of the lane, so a report's cause and reachability agree.</summary>
    public static PartnerReachability PartnerReachabilityOf(FailureSeen? seen, DateTimeOffset? lastGood)
    {
        if (seen is not var (failure, failedAt))
        {
            return lastGood is null ? PartnerReachability.Unspecified : PartnerReachability.Reachable;
        }

        if (lastGood > failedAt)
        {
            return PartnerReachability.Reachable;
        }

        // A partner that answered with a refusal is up: the problem is trust or policy, not the link.
        return DeliveryErrors.IsRefusal(failure.Cause) ? PartnerReachability.Reachable : PartnerReachability.Unreachable;
    }

    internal static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
