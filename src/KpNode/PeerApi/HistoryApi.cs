using System.Globalization;
using Grpc.Core;
using KpNode.Exchange;
using KpNode.Operations;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.AspNetCore.Authorization;

namespace KpNode.PeerApi;

/// <summary>The Peer API's history service: a partner reconciling the history it shares with us, and fetching its head back.</summary>
[Authorize(Policy = Callers.PartnerPolicy)]
internal sealed class HistoryApi(PeerGate gate, CertificateWorkflow workflow, HistoryReconciliation reconciliation) : HistoryService.HistoryServiceBase
{
    public override Task<ExchangeDigestsResponse> ExchangeDigests(ExchangeDigestsRequest request, ServerCallContext context)
    {
        var partner = gate.RequirePartner(context);
        if (request.Digest is null)
            throw ApiErrors.Invalid("digest", "required");
        var theirs = workflow.KeepPartnerDigest(partner, request.Digest);
        var period = HistoryReconciliation.PeriodOf(theirs)
            ?? throw ApiErrors.Invalid("digest.throughDate", $"'{theirs.FromDate}'..'{theirs.ThroughDate}' is not a period of YYYY-MM-DD dates");
        var ours = workflow.HistoryWith(partner.Code, period);
        var days = CertificateWorkflow.Days(ours);
        if (!days.SequenceEqual(theirs.Days))
            reconciliation.PartnerDiffers(partner.Code, period);
        return Task.FromResult(new ExchangeDigestsResponse { Digest = workflow.SignHistoryDigest(partner.Code, period, ours) });
    }

    public override Task<ListHistoryDayResponse> ListHistoryDay(ListHistoryDayRequest request, ServerCallContext context)
    {
        var partner = gate.RequirePartner(context);
        if (!DateOnly.TryParseExact(request.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            throw ApiErrors.Invalid("date", $"'{Domain.Printable.Of(request.Date, 40)}' is not a date (YYYY-MM-DD)");
        var response = new ListHistoryDayResponse();
        response.Entries.Add(workflow.HistoryWith(partner.Code, new HistoryPeriod(day, day)));
        return Task.FromResult(response);
    }

    public override Task<FetchMessageResponse> FetchMessage(FetchMessageRequest request, ServerCallContext context)
    {
        var partner = gate.RequirePartner(context);
        if (!MessageIds.IsWellFormed(request.MessageId))
            throw ApiErrors.Invalid("messageId", $"'{Domain.Printable.Of(request.MessageId, 40)}' is not a UUID in canonical form");
        var (envelope, receipt) = workflow.SharedMessage(partner.Code, request.MessageId);
        return Task.FromResult(new FetchMessageResponse { Envelope = envelope, Receipt = receipt });
    }

    public override Task<GetHeldDigestResponse> GetHeldDigest(GetHeldDigestRequest request, ServerCallContext context)
    {
        var partner = gate.RequirePartner(context);
        return Task.FromResult(new GetHeldDigestResponse { Digest = workflow.HeldDigestOf(partner.Code) });
    }
}
