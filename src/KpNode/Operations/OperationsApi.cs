using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Domain;
using KpNode.Exchange;
using KpNode.Outbox;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace KpNode.Operations;

/// <summary>The operators' gRPC service on the Local endpoint: a thin adapter over the status report, the ping and the outbox lanes.</summary>
[Authorize(Policy = Callers.OperatorPolicy)]
internal sealed class OperationsApi(
    OperatorGate gate, NodeStatusReport report, PeerPing ping, OutboxDispatcher outbox, OutboxRepair repair, CredentialReload reload, PartnerReload partnerReload, HistoryReconciliation reconciliation, Partners partners, INodeStore store,
    IOptions<NodeOptions> node, IOptions<DeliveryOptions> delivery, TimeProvider time, ILogger<OperationsApi> logger)
    : OperationsService.OperationsServiceBase
{
    public override async Task<GetNodeStatusResponse> GetNodeStatus(GetNodeStatusRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        if (request.RecentCertificates is < 0 or > NodeStatusReport.MaxRecent)
        {
            throw ApiErrors.Invalid("recentCertificates", $"must be 0..{NodeStatusReport.MaxRecent} (0 means {NodeStatusReport.DefaultRecent})");
        }

        return await report.BuildAsync(request.RecentCertificates, context.CancellationToken);
    }

    public override async Task<PingPeerResponse> PingPeer(PingPeerRequest request, ServerCallContext context)
    {
        var op = gate.RequireOperator(context).AuditName;
        var response = await ping.PingAsync(RequirePartner(request.Partner), context.CancellationToken);
        Log.PeerPinged(logger, op, request.Partner,
            response.Ok ? $"answered in {response.Latency.ToTimeSpan().TotalMilliseconds:0.0} ms, signed by {response.Responder}" : response.Error);
        return response;
    }

    public override async Task<ReconcileResponse> Reconcile(ReconcileRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        var partner = RequirePartner(request.Partner);
        var period = request.Period.Length == 0 ? reconciliation.WholeHistory
            : HistoryPeriod.Parse(request.Period) ?? throw ApiErrors.Invalid("period", $"'{Domain.Printable.Of(request.Period, 40)}' is not a period: write 2026Q4, 2026-11 or 2026");
        return await reconciliation.ReconcileAsync(partner.Code, period, context.CancellationToken);
    }

    public override async Task<RetryNowResponse> RetryNow(RetryNowRequest request, ServerCallContext context)
    {
        var op = gate.RequireOperator(context).AuditName;
        var partner = RequirePartner(request.Partner);
        var lane = outbox.Lane(partner.Code)!;
        var before = report.Link(lane, readStore: false).CircuitState;
        var ids = lane.RetryNow();

        // Wait for the attempt this triggered (bounded by what the pipeline may take), then report what it did.
        var deadline = time.GetUtcNow() + delivery.Value.WorstCaseDeliveryTime + TimeSpan.FromSeconds(2);
        // The store keeps milliseconds: compare at that precision.
        var startedAt = time.GetUtcNow().UtcDateTime;
        startedAt = startedAt.AddTicks(-(startedAt.Ticks % TimeSpan.TicksPerMillisecond));
        int delivered = 0, pending = ids.Count;
        while (true)
        {
            var messages = ids.Select(store.FindMessage).Where(m => m is not null).ToList();
            delivered = messages.Count(m => m!.Status is MessageStatus.Delivered or MessageStatus.Rejected);
            pending = messages.Count(m => m!.Status == MessageStatus.Pending);
            // The store is written first, the lane's own view of the partner right after: wait for both.
            var laneCaughtUp = ids.Count == 0 || lane.LastSuccessAt >= startedAt || lane.LastFailureAt >= startedAt;
            // Messages about one certificate go in order, so only the oldest pending one of each can have been tried;
            // and once an attempt finds the link down, the lane tries no more until the partner is back.
            var settled = laneCaughtUp && (lane.LinkDownSince >= startedAt
                || messages.Where(m => m!.Status == MessageStatus.Pending).GroupBy(m => m!.CertificateNumber)
                    .All(g => g.MinBy(m => m!.CreatedAt)!.LastAttemptAt >= startedAt));
            if (settled || time.GetUtcNow() >= deadline || context.CancellationToken.IsCancellationRequested)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, context.CancellationToken);
        }

        Log.RetryNowDone(logger, op, partner.Code, ids.Count, delivered, pending);
        return new RetryNowResponse
        {
            Partner = partner.Code,
            Rescheduled = ids.Count,
            CircuitStateBefore = before,
            Delivered = delivered,
            StillPending = pending,
            PartnerLink = report.Link(lane),
        };
    }

    public override Task<ListOutboxResponse> ListOutbox(ListOutboxRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        if (request.Limit is < 0 or > OutboxRepair.MaxLimit)
        {
            throw ApiErrors.Invalid("limit", $"must be 0..{OutboxRepair.MaxLimit} (0 means {OutboxRepair.DefaultLimit})");
        }

        IEnumerable<string> codes = string.IsNullOrEmpty(request.Partner) ? partners.All.Select(p => p.Code).Order() : [RequirePartner(request.Partner).Code];
        return Task.FromResult(repair.List(codes, request.Limit == 0 ? OutboxRepair.DefaultLimit : request.Limit));
    }

    public override Task<CancelMessageResponse> CancelMessage(CancelMessageRequest request, ServerCallContext context) =>
        repair.CancelAsync(gate.RequireOperator(context).AuditName, request.MessageId, request.Reason, context.CancellationToken);

    public override Task<ResignMessageResponse> ResignMessage(ResignMessageRequest request, ServerCallContext context) =>
        repair.ResignAsync(gate.RequireOperator(context).AuditName, request.MessageId, context.CancellationToken);

    public override Task<ReloadCredentialsResponse> ReloadCredentials(ReloadCredentialsRequest request, ServerCallContext context) =>
        reload.ReloadAsync(gate.RequireOperator(context).AuditName, context.CancellationToken);

    public override Task<ReloadPartnersResponse> ReloadPartners(ReloadPartnersRequest request, ServerCallContext context) =>
        partnerReload.ReloadAsync(gate.RequireOperator(context).AuditName, context.CancellationToken);

    private Partner RequirePartner(string code)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            throw ApiErrors.Invalid("partner", "required (a participant code, e.g. BE)");
        }

        return partners.Find(code) ?? throw ApiErrors.Refuse(StatusCode.NotFound,
            $"partner: {code} is not a configured partner of {node.Value.Participant} (configured: {string.Join(", ", partners.All.Select(p => p.Code).Order())})");
    }
}
