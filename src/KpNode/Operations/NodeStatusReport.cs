using Google.Protobuf.WellKnownTypes;
using KpNode.Configuration;
using KpNode.Outbox;
using KpNode.Storage;
using KpNode.Wire.V1;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KpNode.Operations;

/// <summary>
/// Puts together what an operator sees in <c>kpnode status</c> and on the status page, from one place, so the two
/// always agree: identity, health, counts, each partner's delivery state with the last error explained, expiry
/// warnings and recent certificates.
/// </summary>
internal sealed class NodeStatusReport(
    NodeConfig config, INodeStore store, OutboxDispatcher outbox, ExpiryCheck expiry, NodeClock clock,
    HealthCheckService health, OperationsEndpoint endpoint, TimeProvider time, Integrity.RevokedSignatures revokedSignatures,
    Workflow.CertificateWorkflow workflow, PartnerPreflight preflight)
{
    public const int DefaultRecent = 10;
    public const int MaxRecent = 100;

    public async Task<GetNodeStatusResponse> BuildAsync(int recent, CancellationToken ct)
    {
        var report = await health.CheckHealthAsync(ct);
        var healthy = report.Status == HealthStatus.Healthy;
        var response = new GetNodeStatusResponse
        {
            Participant = config.Participant,
            Version = NodeVersion.Current,
            StartedAt = Timestamp.FromDateTimeOffset(clock.StartedAt),
            Now = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            Healthy = healthy,
            HealthDetail = healthy ? "" : string.Join("; ", report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
                .Select(e => $"{e.Key}: {e.Value.Description}")),
            ExpiryWarningDays = config.Options.Operations.ExpiryWarningDays,
            StatusPageUrl = endpoint.Url + "/",
            MetricsUrl = endpoint.Url + "/metrics",
        };
        response.Credentials.AddRange(expiry.Check().Select(e => new CredentialExpiry
        {
            Kind = (CredentialKind)(int)e.Role,
            Owner = e.Owner,
            Subject = e.Subject,
            NotAfter = Timestamp.FromDateTimeOffset(e.NotAfter),
            DaysLeft = e.DaysLeft,
            Warning = e.Warning,
            Advice = e.Advice,
            RenewCommand = e.RenewCommand,
            RenewSteps = { e.RenewSteps },
        }));

        // A broken store still gets a report: identity, health and expiry say what is wrong. A store with damaged
        // records still answers, and its counts are what an operator needs then.
        var storeAnswers = report.Entries.TryGetValue("store", out var storeHealth) && storeHealth.Status == HealthStatus.Healthy;
        response.Partners.AddRange(Links(readStore: storeAnswers));
        if (!storeAnswers)
        {
            return response;
        }

        response.StoreSizeBytes = store.FileSizeBytes;
        response.RecordsSignedByRevokedKeys = revokedSignatures.Count;
        if (workflow.OwnSigningRevocation() is { } revocation)
            response.SigningCertificateRevoked = $"{revocation.Describe()}: this node signs nothing with it; install a new signing certificate with 'kpnode pki request --purpose signing --pki DIR', 'kpnode pki sign' and 'kpnode pki install'";
        foreach (var (status, count) in store.CountCertificatesByStatus().OrderBy(kv => kv.Key))
        {
            response.CertificateCounts.Add(new StatusCount { Status = (Wire.V1.CertificateStatus)(int)status, Count = count });
        }

        response.Offices.AddRange(Offices());
        var take = recent <= 0 ? DefaultRecent : Math.Min(recent, MaxRecent);
        response.RecentCertificates.AddRange(store.RecentCertificates(take).Select(c => new RecentCertificate
        {
            Number = c.Number,
            Direction = (Wire.V1.CertificateDirection)(int)c.Direction,
            Partner = c.Partner,
            Status = (Wire.V1.CertificateStatus)(int)c.Status,
            UpdatedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(c.UpdatedAt, DateTimeKind.Utc)),
            StatusReason = c.StatusReason ?? "",
        }));
        return response;
    }

    private IEnumerable<OfficeStatus> Offices() => config.Options.Offices.Select(o =>
    {
        var office = new OfficeStatus { Office = o.Code, ExportingAuthority = o.ExportingAuthority, NumberPrefix = o.NumberPrefix };
        office.CertificateCounts.AddRange(store.CountIssuedByOffice(o.Code, o.NumberPrefix).OrderBy(kv => kv.Key)
            .Select(kv => new StatusCount { Status = (Wire.V1.CertificateStatus)(int)kv.Key, Count = kv.Value }));
        return office;
    });

    /// <summary>The Local API's older summary (GetStatus): the same partner links, in its own message.</summary>
    public GetStatusResponse Summary()
    {
        var response = new GetStatusResponse
        {
            Participant = config.Participant,
            Version = NodeVersion.Current,
            StartedAt = Timestamp.FromDateTimeOffset(clock.StartedAt),
            StoreSizeBytes = store.FileSizeBytes,
        };
        foreach (var (status, count) in store.CountCertificatesByStatus().OrderBy(kv => kv.Key))
        {
            response.CertificateCounts.Add(new StatusCount { Status = (Wire.V1.CertificateStatus)(int)status, Count = count });
        }

        response.Offices.AddRange(Offices());
        response.Partners.AddRange(Links(readStore: true).Select(link => new PartnerStatus
        {
            Participant = link.Participant,
            Address = link.Address,
            Backlog = link.Backlog,
            OldestPendingAt = link.OldestPendingAt,
            LastSuccessAt = link.LastSuccessAt,
            LastError = link.LastError,
            CircuitState = CircuitWords.Name(link.CircuitState),
        }));
        return response;
    }

    /// <summary>Every partner's row, in participant order.</summary>
    public IEnumerable<PartnerLink> Links(bool readStore) =>
        outbox.Lanes.OrderBy(l => l.Partner, StringComparer.Ordinal).Select(l => Link(l, readStore));

    /// <summary>One partner's row: the lane's live state, the outbox figures, and the last error with advice.</summary>
    public PartnerLink Link(PartnerLane lane, bool readStore = true)
    {
        // One reading of the lane's failure, so the cause, its time and the reachability agree.
        var seen = lane.LastFailureSeen;
        var link = new PartnerLink
        {
            Participant = lane.Partner,
            Address = lane.Address,
            Reachability = NodeMetrics.PartnerReachabilityOf(seen, NodeMetrics.Max(lane.LastSuccessAt, lane.LastContactAt)),
            CircuitState = CircuitWords.ToWire(lane.CircuitState),
        };
        if (preflight.ResultFor(lane.Partner) is { } hello)
        {
            link.PreflightAt = Timestamp.FromDateTimeOffset(hello.At);
            link.PreflightProblems.AddRange(hello.Problems);
            link.PreflightError = hello.Error;
        }

        if (readStore && store.FindPartnerHistory(lane.Partner) is { ReconciledAt: { } reconciledAt } history)
        {
            link.ReconciledAt = Timestamp.FromDateTime(DateTime.SpecifyKind(reconciledAt, DateTimeKind.Utc));
            link.HistoryMatchesThrough = history.MatchesThrough ?? "";
            link.HistoryDifferences.AddRange(history.Differences);
        }

        if (readStore)
            SetRevocation(link);

        Set(lane.LastSuccessAt, t => link.LastSuccessAt = t);
        Set(seen?.At, t => link.LastFailureAt = t);
        Set(lane.LastContactAt, t => link.LastContactAt = t);
        var failure = seen?.Failure;
        if (readStore)
        {
            var pending = store.SummarizePending(lane.Partner);
            link.Backlog = pending.Count;
            Set(pending.OldestCreatedAt, t => link.OldestPendingAt = t);
            Set(pending.NextAttemptAt, t => link.NextAttemptAt = t);
            // After a restart the lane has seen nothing yet: the outbox rows remember the last failure.
            if (failure is null && pending.Count > 0 && LastStoredError(lane.Partner) is { } stored)
            {
                failure = stored;
            }
        }

        if (failure is not null)
        {
            link.LastErrorCause = (DeliveryFailureCause)(int)failure.Cause;
            link.LastError = failure.ToString();
            link.LastErrorAdvice = DeliveryAdvice.For(failure.Cause, lane.Partner, config.Participant, config.Options.Delivery);
        }

        return link;
    }

    // The partner's list we hold, and whether our current list reached it: so one status on each side shows a revocation arrived.
    private void SetRevocation(PartnerLink link)
    {
        link.HeldCrlNumber = store.FindRevocationList(link.Participant)?.Number ?? 0;
        if (store.FindRevocationList(config.Participant) is not { } ours || !ours.NoticesSent.TryGetValue(link.Participant, out var id))
            return;
        link.RevocationNoticeCrlNumber = ours.Number;
        link.RevocationNoticeState = store.FindMessage(id)?.Status switch
        {
            Domain.MessageStatus.Pending => RevocationNoticeState.Pending,
            Domain.MessageStatus.Delivered => RevocationNoticeState.Delivered,
            Domain.MessageStatus.Rejected => RevocationNoticeState.Rejected,
            _ => RevocationNoticeState.NotDelivered,
        };
    }

    private DeliveryFailure? LastStoredError(string partner) =>
        DeliveryErrors.Parse(store.PendingOutbound(partner, 16).Where(m => m.LastError is not null)
            .OrderByDescending(m => m.LastAttemptAt).Select(m => m.LastError).FirstOrDefault());

    private static void Set(DateTimeOffset? value, Action<Timestamp> set)
    {
        if (value is { } v)
        {
            set(Timestamp.FromDateTimeOffset(v));
        }
    }

    private static void Set(DateTime? value, Action<Timestamp> set)
    {
        if (value is { } v)
        {
            set(Timestamp.FromDateTime(DateTime.SpecifyKind(v, DateTimeKind.Utc)));
        }
    }
}
