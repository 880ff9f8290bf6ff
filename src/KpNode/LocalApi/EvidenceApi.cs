using Google.Protobuf;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Evidence;
using KpNode.Exchange;
using KpNode.Operations;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using Microsoft.AspNetCore.Authorization;

namespace KpNode.LocalApi;

/// <summary>Evidence bundles for operators: map the request, build the bundle, stream its files.</summary>
[Authorize(Policy = Callers.OperatorPolicy)]
internal sealed class EvidenceApi(OperatorGate gate, INodeStore store, NodeConfig config, NodeCredentials credentials, Partners partners,
    ILogger<EvidenceApi> logger) : EvidenceService.EvidenceServiceBase
{
    public override async Task ExportEvidence(ExportEvidenceRequest request, IServerStreamWriter<ExportEvidenceResponse> responseStream, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        var export = new BundleExport(store, config.Participant, credentials.Anchors, code => partners.Find(code)?.Anchors);
        EvidenceBundle bundle;
        string subject;
        switch (request.SubjectCase)
        {
            case ExportEvidenceRequest.SubjectOneofCase.CertificateNumber:
                subject = request.CertificateNumber;
                bundle = export.ForCertificate(request.CertificateNumber)
                    ?? throw ApiErrors.Refuse(StatusCode.NotFound, $"certificateNumber: no certificate {request.CertificateNumber} is held by this node (try 'kpnode cert list')");
                break;
            case ExportEvidenceRequest.SubjectOneofCase.Period:
                var period = Domain.ReportingPeriod.Parse(request.Period)
                    ?? throw ApiErrors.Invalid("period", $"'{request.Period}' is not a period written like 2026Q4, 2026-11 or 2026");
                subject = period.Label;
                bundle = export.ForPeriod(period);
                break;
            default:
                throw ApiErrors.Invalid("subject", "required: a certificate number or a period");
        }

        foreach (var file in bundle.Files)
            await responseStream.WriteAsync(new ExportEvidenceResponse { Path = file.Path, Content = ByteString.CopyFrom(file.Content) }, context.CancellationToken);
        await responseStream.WriteAsync(new ExportEvidenceResponse { Path = EvidenceBundle.ManifestPath, Content = ByteString.CopyFrom(bundle.Manifest()) }, context.CancellationToken);
        Log.EvidenceExported(logger, subject, actor.AuditName, bundle.Files.Count + 1);
    }
}
