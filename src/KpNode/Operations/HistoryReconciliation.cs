using System.Collections.Concurrent;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Exchange;
using KpNode.Integrity;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.Extensions.Options;

namespace KpNode.Operations;

/// <summary>
/// Bilateral reconciliation: both nodes of a partnership compare signed per-day digests of the messages they share;
/// a day that differs is narrowed down to its messages; what we lost of the partner's messages is restored from its
/// copy (its envelope, our own receipt, both verified); everything else is reported. Runs every
/// <see cref="OperationsOptions.ReconcileInterval"/> with each partner, on <c>kpnode reconcile</c>, and when a partner's
/// digest shows it holds something else than we do.
/// </summary>
internal sealed class HistoryReconciliation(
    CertificateWorkflow workflow, PeerChannels channels, Partners partners, StoreIntegrity integrity, IOptions<DeliveryOptions> delivery,
    IOptions<OperationsOptions> options, TimeProvider time, ILogger<HistoryReconciliation> logger)
    : BackgroundService
{
    // A partner's differing digest asks for our own pass at most this often, so two nodes that cannot agree do not loop.
    private static readonly TimeSpan AnsweredPassSpacing = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, DateTimeOffset> _answeredPasses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _running = new(StringComparer.Ordinal);
    private CancellationToken _stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.ReconcileInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var partner in partners.All)
                await TryReconcileAsync(partner.Code, stoppingToken);
        }
    }

    /// <summary>The period a partner's digest named, as a period of ours; null when its dates are not dates.</summary>
    public static HistoryPeriod? PeriodOf(HistoryDigest digest)
    {
        DateOnly? from = null;
        if (digest.FromDate.Length > 0)
        {
            if (!DateOnly.TryParseExact(digest.FromDate, "yyyy-MM-dd", out var f))
                return null;
            from = f;
        }

        return DateOnly.TryParseExact(digest.ThroughDate, "yyyy-MM-dd", out var through) && (from is null || from <= through)
            ? new HistoryPeriod(from, through) : null;
    }

    /// <summary>The whole history with a partner, through today.</summary>
    public HistoryPeriod WholeHistory => new(null, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));

    /// <summary>A partner's digest differed from ours: run our own pass soon (in the background), unless one ran a moment ago.</summary>
    public void PartnerDiffers(string partner, HistoryPeriod period)
    {
        var now = time.GetUtcNow();
        lock (_answeredPasses)
        {
            if (_answeredPasses.TryGetValue(partner, out var last) && now - last < AnsweredPassSpacing)
                return;
            _answeredPasses[partner] = now;
        }

        _ = Task.Run(() => TryReconcileAsync(partner, _stopping, period), _stopping);
    }

    private async Task TryReconcileAsync(string partner, CancellationToken ct, HistoryPeriod? period = null)
    {
        try
        {
            await ReconcileAsync(partner, period ?? WholeHistory, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is RpcException or WorkflowException)
        {
            Log.HistoryReconcileFailed(logger, partner, e.Message, options.Value.ReconcileInterval);
        }
        catch (DamagedRecordException e) when (!ct.IsCancellationRequested)
        {
            // No digest is signed over a record that does not verify; health names it, as a call touching it would.
            if (integrity.Report(e))
                Log.DamagedRecord(logger, e);
            Log.HistoryReconcileFailed(logger, partner, e.Message, options.Value.ReconcileInterval);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One reconciliation with <paramref name="partnerCode"/> over <paramref name="period"/>; throws when the partner cannot be asked.</summary>
    public async Task<ReconcileResponse> ReconcileAsync(string partnerCode, HistoryPeriod period, CancellationToken ct)
    {
        var partner = partners.Find(partnerCode)
            ?? throw new WorkflowException(FailureKind.NotFound, $"partner: {partnerCode} is not a partner of this node");
        var gate = _running.GetOrAdd(partnerCode, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return await PassAsync(partner, period, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<ReconcileResponse> PassAsync(Partner partner, HistoryPeriod period, CancellationToken ct)
    {
        var client = channels.HistoryClientFor(partner);
        var ours = workflow.HistoryWith(partner.Code, period);
        var answer = await client.ExchangeDigestsAsync(new ExchangeDigestsRequest { Digest = workflow.SignHistoryDigest(partner.Code, period, ours) },
            deadline: Deadline(), cancellationToken: ct);
        var theirs = workflow.KeepPartnerDigest(partner, answer.Digest ?? throw new WorkflowException(FailureKind.Invalid, $"{partner.Code} answered without a digest"));
        if (theirs.FromDate != period.FromText || theirs.ThroughDate != period.ThroughText)
            throw new WorkflowException(FailureKind.Invalid, $"{partner.Code} answered for {theirs.FromDate}..{theirs.ThroughDate}, not {period.FromText}..{period.ThroughText}");

        var ourDays = CertificateWorkflow.Days(ours).ToDictionary(d => d.Date, StringComparer.Ordinal);
        var theirDays = theirs.Days.ToDictionary(d => d.Date, StringComparer.Ordinal);
        var differing = ourDays.Keys.Union(theirDays.Keys).Where(day =>
            !ourDays.TryGetValue(day, out var a) || !theirDays.TryGetValue(day, out var b) || a.Messages != b.Messages || a.Sha256 != b.Sha256)
            .Order(StringComparer.Ordinal).ToList();

        var response = new ReconcileResponse
        {
            Partner = partner.Code,
            FromDate = period.FromText,
            ThroughDate = period.ThroughText,
            DaysCompared = ourDays.Keys.Union(theirDays.Keys).Count(),
            MessagesCompared = ours.Count,
            PartnerAuditSequence = theirs.AuditSequence,
        };
        var toRestore = new List<SharedHistoryEntry>();
        foreach (var day in differing)
        {
            var listed = await client.ListHistoryDayAsync(new ListHistoryDayRequest { Date = day }, deadline: Deadline(), cancellationToken: ct);
            var mine = ours.Where(e => CertificateWorkflow.DayOf(e).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) == day)
                .ToDictionary(e => e.MessageId, StringComparer.Ordinal);
            var held = listed.Entries.GroupBy(e => e.MessageId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            foreach (var (id, entry) in held.Where(h => !mine.ContainsKey(h.Key)))
            {
                // A certificate we issued comes back with the partner's receipt; any other message of ours only from our own copies.
                if (entry.Sender == partner.Code || entry.PayloadType == Wire.PayloadTypes.CertificateIssued)
                    toRestore.Add(entry);
                else
                    response.Differences.Add(Difference(HistoryDifferenceKind.WeLack, entry, day,
                        $"{partner.Code} holds our message {id} ({Kind(entry)} of {entry.CertificateNumber}) and we do not: restore it from a backup or the replaced store"));
            }

            foreach (var (id, entry) in mine.Where(m => !held.ContainsKey(m.Key)))
                response.Differences.Add(Difference(HistoryDifferenceKind.PartnerLacks, entry, day,
                    $"{partner.Code} does not hold message {id} ({Kind(entry)} of {entry.CertificateNumber}); its own reconciliation restores it from our copy"));
            foreach (var (id, entry) in mine.Where(m => held.TryGetValue(m.Key, out var h) && (h.PayloadSha256 != m.Value.PayloadSha256 || h.ReceiptSha256 != m.Value.ReceiptSha256)))
                response.Differences.Add(Difference(HistoryDifferenceKind.HeldDifferently, entry, day,
                    $"{partner.Code} holds message {id} ({Kind(entry)} of {entry.CertificateNumber}) with another {(held[id].PayloadSha256 != entry.PayloadSha256 ? "payload" : "receipt")}: compare both exports"));
        }

        // In the order they were made: a certificate before the confirmation or void about it.
        foreach (var entry in toRestore.OrderBy(e => e.CreatedAt.ToDateTime()).ThenBy(e => e.MessageId, StringComparer.Ordinal))
            response.Differences.Add(await RestoreAsync(client, partner, entry, ct));

        var open = response.Differences.Where(d => !d.Restored).ToList();
        response.Matches = open.Count == 0;
        workflow.KeepReconciliation(partner.Code, response.Matches ? period.ThroughText : null, open.Select(d => d.Text).ToList());
        if (response.Matches)
            Log.HistoryMatches(logger, partner.Code, period.ThroughText, ours.Count + toRestore.Count);
        else
            Log.HistoryDiffers(logger, partner.Code, open.Count, period.ThroughText, string.Join("; ", open.Take(3).Select(d => d.Text)));
        return response;
    }

    private async Task<HistoryDifference> RestoreAsync(HistoryService.HistoryServiceClient client, Partner partner, SharedHistoryEntry entry, CancellationToken ct)
    {
        var day = CertificateWorkflow.DayOf(entry).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            var fetched = await client.FetchMessageAsync(new FetchMessageRequest { MessageId = entry.MessageId }, deadline: Deadline(), cancellationToken: ct);
            if (fetched.Envelope is null || fetched.Receipt is null)
                throw new WorkflowException(FailureKind.Invalid, "the partner sent no envelope or no receipt");
            var ours = entry.Sender != partner.Code;
            if (ours)
                await workflow.RestoreOwnFromPartnerAsync(partner, fetched.Envelope, fetched.Receipt, ct);
            else
                await workflow.RestoreFromPartnerAsync(partner, fetched.Envelope, fetched.Receipt, ct);
            Log.HistoryRestored(logger, entry.MessageId, entry.CertificateNumber, partner.Code);
            var restored = Difference(HistoryDifferenceKind.WeLack, entry, day, ours
                ? $"we had lost our message {entry.MessageId} ({Kind(entry)} of {entry.CertificateNumber}): restored from {partner.Code}'s copy with its receipt"
                : $"we had lost {partner.Code}'s message {entry.MessageId} ({Kind(entry)} of {entry.CertificateNumber}): restored from its copy");
            restored.Restored = true;
            return restored;
        }
        catch (Exception e) when (e is WorkflowException or RpcException)
        {
            return Difference(HistoryDifferenceKind.WeLack, entry, day,
                $"we lack {(entry.Sender == partner.Code ? partner.Code + "'s" : "our")} message {entry.MessageId} ({Kind(entry)} of {entry.CertificateNumber}) and could not restore it: {e.Message}");
        }
    }

    private static HistoryDifference Difference(HistoryDifferenceKind kind, SharedHistoryEntry entry, string day, string text) => new()
    {
        Kind = kind,
        MessageId = entry.MessageId,
        CertificateNumber = entry.CertificateNumber,
        Date = day,
        Text = text,
    };

    private static string Kind(SharedHistoryEntry entry) =>
        entry.PayloadType.Replace("application/vnd.kp.v1.", "", StringComparison.Ordinal).Replace("+protobuf", "", StringComparison.Ordinal);

    private DateTime Deadline() => time.GetUtcNow().UtcDateTime + delivery.Value.AttemptTimeout;
}
