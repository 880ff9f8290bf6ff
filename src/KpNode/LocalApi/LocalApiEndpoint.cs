using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Hosting;
using KpNode.Operations;
using KpNode.Outbox;
using KpNode.Storage;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;

namespace KpNode.LocalApi;

/// <summary>The Local API for the participant's own systems and operators: map, call the workflow, map back.</summary>
internal sealed class LocalApiEndpoint(
    OperatorGate gate, CertificateWorkflow workflow, INodeStore store, OutboxDispatcher outbox,
    NodeConfig config, NodeClock clock, ILogger<LocalApiEndpoint> logger)
    : LocalApiService.LocalApiServiceBase
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 1000;

    public override async Task<IssueCertificateResponse> IssueCertificate(IssueCertificateRequest request, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        if (request.Draft is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "draft: required (the certificate to issue)"));
        }

        var (held, message) = await workflow.IssueAsync(CertificateMapping.ToDraft(request.Draft), actor, context.CancellationToken);
        Log.CertificateIssued(logger, held.Number, held.Partner, actor);
        // The message just written carries the signed certificate: no need to read it back from the store.
        var record = CertificateRecordMapping.ToRecord(held, id => id == message.Id ? message : store.FindMessage(id), withEvidence: true);
        return new IssueCertificateResponse { Record = record };
    }

    public override async Task<VoidCertificateResponse> VoidCertificate(VoidCertificateRequest request, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        var doc = await workflow.VoidAsync(request.CertificateNumber, request.Reason, actor, context.CancellationToken);
        return new VoidCertificateResponse { Record = Record(doc, withEvidence: true) };
    }

    public override async Task<ConfirmImportResponse> ConfirmImport(ConfirmImportRequest request, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        var doc = await workflow.ConfirmImportAsync(ImportReportMapping.ToDomain(request), actor, context.CancellationToken);
        return new ConfirmImportResponse { Record = Record(doc, withEvidence: true) };
    }

    public override async Task<CheckCertificateResponse> CheckCertificate(CheckCertificateRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        var answer = await workflow.CheckAuthenticityAsync(request.Issuer, AuthenticityMapping.ToDomain(request), context.CancellationToken);
        return AuthenticityMapping.ToResponse(answer.Verdict, answer.Mismatches, answer.Statement);
    }

    public override Task<GetStatisticsResponse> GetStatistics(GetStatisticsRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        if (Domain.TradeStatistics.ParsePeriod(request.Period) is not var (first, last))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"period: '{request.Period}' is not a calendar quarter written like 2026Q3"));
        }

        var docs = store.IssuedBetween(first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), last.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        return Task.FromResult(StatisticsMapping.ToResponse(Domain.TradeStatistics.Compute(config.Participant, request.Period, first, last, docs)));
    }

    public override Task<GetCertificateResponse> GetCertificate(GetCertificateRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        if (string.IsNullOrWhiteSpace(request.CertificateNumber))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "certificate_number: required"));
        }

        var doc = store.FindCertificate(request.CertificateNumber)
            ?? throw new RpcException(new Status(StatusCode.NotFound,
                $"certificate_number: no certificate {request.CertificateNumber} is held by this node (try 'kpnode cert list')"));
        return Task.FromResult(new GetCertificateResponse { Record = Record(doc, withEvidence: true) });
    }

    public override Task<ListCertificatesResponse> ListCertificates(ListCertificatesRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        if (request.PageSize is < 0 or > MaxPageSize)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"page_size: must be 0..{MaxPageSize} (0 means {DefaultPageSize})"));
        }

        var pageSize = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        var docs = store.ListCertificates(new CertificateQuery(
            StatusMapping.ToDomain(request.Status),
            string.IsNullOrEmpty(request.Partner) ? null : request.Partner,
            StatusMapping.ToDomain(request.Direction),
            pageSize + 1,
            string.IsNullOrEmpty(request.PageToken) ? null : request.PageToken));
        var response = new ListCertificatesResponse();
        response.Records.AddRange(docs.Take(pageSize).Select(d => Record(d, withEvidence: false)));
        if (docs.Count > pageSize)
        {
            response.NextPageToken = docs[pageSize - 1].Number;
        }

        return Task.FromResult(response);
    }

    public override Task<GetStatusResponse> GetStatus(GetStatusRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        var response = new GetStatusResponse
        {
            Participant = config.Participant,
            Version = NodeVersion.Current,
            StartedAt = Timestamp.FromDateTimeOffset(clock.StartedAt),
            StoreSizeBytes = store.FileSizeBytes,
        };
        foreach (var (status, count) in store.CountCertificatesByStatus().OrderBy(kv => kv.Key))
        {
            response.CertificateCounts.Add(new StatusCount { Status = StatusMapping.ToWire(status), Count = count });
        }

        foreach (var lane in outbox.Lanes.OrderBy(l => l.Partner, StringComparer.Ordinal))
        {
            // The figures only: the backlog's envelopes stay on disk (kpnode status has the full report).
            var pending = store.SummarizePending(lane.Partner);
            var partner = new PartnerStatus
            {
                Participant = lane.Partner,
                Address = config.Options.Partners.First(p => p.Participant == lane.Partner).Address,
                Backlog = pending.Count,
                LastError = lane.LastError ?? "",
                CircuitState = lane.CircuitState.ToString(),
            };
            if (pending.OldestCreatedAt is { } oldest)
            {
                partner.OldestPendingAt = Timestamp.FromDateTime(DateTime.SpecifyKind(oldest, DateTimeKind.Utc));
            }

            if (lane.LastSuccessAt is { } success)
            {
                partner.LastSuccessAt = Timestamp.FromDateTimeOffset(success);
            }

            response.Partners.Add(partner);
        }

        return Task.FromResult(response);
    }

    private CertificateRecord Record(Domain.HeldCertificate held, bool withEvidence) =>
        CertificateRecordMapping.ToRecord(held, store.FindMessage, withEvidence);
}
