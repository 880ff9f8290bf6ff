using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KpNode.Exchange;
using KpNode.Integrity;
using KpNode.Operations;
using KpNode.Storage;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.AspNetCore.Authorization;

namespace KpNode.LocalApi;

/// <summary>Four-eyes approvals on the Local API: list, approve, reject; an adapter over the workflow.</summary>
[Authorize(Policy = Callers.OperatorPolicy)]
internal sealed class ApprovalsApi(OperatorGate gate, CertificateWorkflow workflow, INodeStore store, StoredEvidence evidence)
    : ApprovalService.ApprovalServiceBase
{
    public override Task<ListApprovalsResponse> ListApprovals(ListApprovalsRequest request, ServerCallContext context)
    {
        gate.RequireOperator(context);
        var response = new ListApprovalsResponse();
        response.Approvals.AddRange(store.ListApprovals(request.IncludeDecided).Select(ToWire));
        return Task.FromResult(response);
    }

    public override async Task<ApproveResponse> Approve(ApproveRequest request, ServerCallContext context)
    {
        var approver = gate.RequireOperator(context);
        var (approval, held, message) = await workflow.ApproveAsync(request.ApprovalId, approver, context.CancellationToken);
        var record = message is not null
            ? CertificateRecordMapping.ToRecord(held, CertificateRecordMapping.ReadCertificate(message), id => id == message.Id ? message : store.FindMessage(id), withEvidence: true)
            : CertificateRecordMapping.ToRecord(held, evidence.Certificate(held, store.FindMessage, followUps: true), store.FindMessage, withEvidence: true);
        return new ApproveResponse { Approval = ToWire(approval), Record = record };
    }

    public override async Task<RejectResponse> Reject(RejectRequest request, ServerCallContext context)
    {
        var approver = gate.RequireOperator(context);
        var approval = await workflow.RejectAsync(request.ApprovalId, request.Reason, approver, context.CancellationToken);
        return new RejectResponse { Approval = ToWire(approval) };
    }

    private static Approval ToWire(StoredApproval a)
    {
        var wire = new Approval
        {
            Id = a.Id,
            Kind = a.Kind == Storage.ApprovalKind.Issue ? Wire.V1.ApprovalKind.Issue : Wire.V1.ApprovalKind.Void,
            State = a.State switch
            {
                Storage.ApprovalState.Pending => Wire.V1.ApprovalState.Pending,
                Storage.ApprovalState.Approved => Wire.V1.ApprovalState.Approved,
                _ => Wire.V1.ApprovalState.Rejected,
            },
            SubmittedBy = CertificateWorkflow.Submitter(a).AuditName,
            SubmittedAt = Timestamp.FromDateTime(a.SubmittedAt),
            Office = a.Office ?? "",
            Partner = a.Partner,
            Summary = a.Summary,
            CertificateNumber = a.CertificateNumber ?? "",
            DecidedBy = a.DecidedById is { } id ? new Domain.Actor(id, a.DecidedByName ?? id).AuditName : "",
            Reason = a.DecisionReason ?? "",
        };
        if (a.DecidedAt is { } at)
            wire.DecidedAt = Timestamp.FromDateTime(at);
        return wire;
    }
}
