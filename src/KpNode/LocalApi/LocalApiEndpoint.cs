using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Exchange;
using KpNode.Integrity;
using KpNode.Operations;
using KpNode.Storage;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.AspNetCore.Authorization;

namespace KpNode.LocalApi;

/// <summary>The Local API for the participant's own systems and operators: map, call the workflow, map back.</summary>
[Authorize(Policy = Callers.OperatorPolicy)]
internal sealed class LocalApiEndpoint(
    OperatorGate gate, CertificateWorkflow workflow, INodeStore store, StoredEvidence evidence, StoreIntegrity integrity, NodeStatusReport report,
    NodeConfig config, Trust.RevokedKeys revoked, ILogger<LocalApiEndpoint> logger)
    : LocalApiService.LocalApiServiceBase
{
    public override async Task<IssueCertificateResponse> IssueCertificate(IssueCertificateRequest request, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        if (request.Draft is null)
        {
            throw ApiErrors.Invalid("draft", "required (the certificate to issue)");
        }

        if (config.Options.FourEyes.Issuing)
        {
            // Checked as issuing checks it, then kept for a second officer: nothing numbered, signed or sent yet.
            var approval = await workflow.SubmitIssueAsync(request.Draft, actor, context.CancellationToken);
            return new IssueCertificateResponse { AwaitingApproval = approval.Id };
        }

        var (held, message) = await workflow.IssueAsync(CertificateMapping.ToDraft(request.Draft), actor, context.CancellationToken);
        Log.CertificateIssued(logger, held.Number, held.Partner, actor.AuditName);
        // The message just written and signed carries the certificate: no need to read it back from the store.
        var record = CertificateRecordMapping.ToRecord(held, CertificateRecordMapping.ReadCertificate(message),
            id => id == message.Id ? message : store.FindMessage(id), withEvidence: true);
        return new IssueCertificateResponse { Record = record };
    }

    public override async Task<VoidCertificateResponse> VoidCertificate(VoidCertificateRequest request, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        if (config.Options.FourEyes.Voiding)
        {
            var approval = await workflow.SubmitVoidAsync(request.CertificateNumber, request.Reason, actor, context.CancellationToken);
            return new VoidCertificateResponse { Record = Record(store.FindCertificate(approval.CertificateNumber!)!, withEvidence: true), AwaitingApproval = approval.Id };
        }

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
        var actor = gate.RequireOperator(context);
        var answer = await workflow.CheckAuthenticityAsync(request.Issuer, AuthenticityMapping.ToDomain(request), actor, context.CancellationToken);
        return AuthenticityMapping.ToResponse(answer.Statement, answer.Signed);
    }

    public override Task<GetStatisticsResponse> GetStatistics(GetStatisticsRequest request, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        if (Domain.TradeStatistics.ParsePeriod(request.Period) is not var (first, last))
        {
            throw ApiErrors.Invalid("period", $"'{request.Period}' is not a calendar quarter written like 2026Q3");
        }

        var office = ViewOf(actor, request.Office);

        var docs = store.IssuedBetween(first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), last.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        // Counted only from records whose figures and status their signed messages bear out: statistics go to the KP.
        foreach (var held in docs)
            evidence.Certificate(held, store.FindMessage);
        return Task.FromResult(StatisticsMapping.ToResponse(Domain.TradeStatistics.Compute(config.Participant, request.Period, first, last, docs, office)));
    }

    public override Task<GetCertificateResponse> GetCertificate(GetCertificateRequest request, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        if (string.IsNullOrWhiteSpace(request.CertificateNumber))
        {
            throw ApiErrors.Invalid("certificateNumber", "required");
        }

        var doc = store.FindCertificate(request.CertificateNumber)
            ?? throw ApiErrors.Refuse(StatusCode.NotFound, $"certificateNumber: no certificate {request.CertificateNumber} is held by this node (try 'kpnode cert list')");
        if (actor.Office is { } own && doc.Direction == Domain.CertificateDirection.Outbound && doc.Summary.IssuingOffice != own)
        {
            throw ApiErrors.Refuse(StatusCode.PermissionDenied,
                $"certificateNumber: {doc.Number} was issued by {doc.Summary.IssuingOffice ?? config.Participant + " as a whole"}; you act for office {own}, which sees its own certificates and every one received");
        }
        return Task.FromResult(new GetCertificateResponse { Record = Record(doc, withEvidence: true) });
    }

    public override Task<ListCertificatesResponse> ListCertificates(ListCertificatesRequest request, ServerCallContext context)
    {
        var query = CertificateListing.ToQuery(request, gate.RequireOperator(context).Office);
        var docs = store.ListCertificates(query);
        var response = new ListCertificatesResponse();
        // A damaged record, unreadable or no longer matching its signatures, is left out and named; the rest is served.
        response.SkippedDamagedRecords.AddRange(PartialList<Domain.HeldCertificate>.SkippedIn(docs));
        foreach (var held in docs.Take(query.PageSize - 1))
        {
            try
            {
                response.Records.Add(Record(held, withEvidence: false));
            }
            catch (DamagedRecordException e)
            {
                if (integrity.Report(e))
                    Log.DamagedRecord(logger, e);
                response.SkippedDamagedRecords.Add(e.Record);
            }
        }

        if (docs.Count == query.PageSize)
        {
            response.NextPageToken = CertificateListing.PageToken(docs[^2].Number);
        }

        return Task.FromResult(response);
    }

    public override async Task<PublishRevocationListResponse> PublishRevocationList(PublishRevocationListRequest request, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        var published = await workflow.PublishRevocationListAsync(request.Crl.ToByteArray(), actor.AuditName, context.CancellationToken);
        var response = new PublishRevocationListResponse { CrlNumber = (long)published.List.Number };
        response.Revoked.AddRange(RevocationMapping.ToWire(published.List));
        response.NotifiedPartners.AddRange(published.NotifiedPartners);
        return response;
    }

    public override Task<GetStatusResponse> GetStatus(GetStatusRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        return Task.FromResult(report.Summary());
    }

    /// <summary>The office whose view a call asks for: an office's operator has their own; anyone else the one named, or the whole participant.</summary>
    private string? ViewOf(Domain.Actor actor, string named)
    {
        var office = string.IsNullOrWhiteSpace(named) ? actor.Office : named.Trim().ToUpperInvariant();
        if (actor.Office is { } own && office != own)
        {
            throw ApiErrors.Invalid("office", $"you act for office {own} only: leave it empty or name {own}");
        }

        if (office is not null && config.Options.Offices.All(o => o.Code != office))
        {
            throw ApiErrors.Invalid("office", config.Options.Offices.Count == 0
                ? $"this node has no offices (Node:Offices): leave it empty"
                : $"'{Domain.Printable.Of(office, 40)}' is not one of this node's offices ({string.Join(", ", config.Options.Offices.Select(o => o.Code))})");
        }

        return office;
    }

    // Served only once verified: the signed certificate, and with the evidence the messages its status rests on.
    // A message signed by a key revoked at the time is served as it is, marked: kept evidence, no longer proof.
    private CertificateRecord Record(Domain.HeldCertificate held, bool withEvidence)
    {
        var record = CertificateRecordMapping.ToRecord(held, evidence.Certificate(held, store.FindMessage, followUps: withEvidence), store.FindMessage, withEvidence);
        var marks = new[] { held.MessageId, held.VoidMessageId, held.ConfirmationMessageId }
            .OfType<string>().Select(store.FindMessage).OfType<Domain.PartnerMessage>()
            .Select(m => Trust.RevokedSignature.Of(revoked, m, config.Participant) is { } r ? $"{Integrity.StoredEvidence.Name(m)}: {r.Describe()}" : null)
            .OfType<string>().ToList();
        if (marks.Count > 0)
            record.SignedByRevokedKey = "signed by a revoked key: " + string.Join("; ", marks);
        return record;
    }
}
