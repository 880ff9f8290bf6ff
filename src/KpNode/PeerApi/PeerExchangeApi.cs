using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Exchange;
using KpNode.Operations;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using KpNode.Workflow;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KpNode.PeerApi;

/// <summary>The Peer API: a thin adapter from partners' calls to the certificate workflow.</summary>
[Authorize(Policy = Callers.PartnerPolicy)]
internal sealed class PeerExchangeApi(
    PeerGate gate, CertificateWorkflow workflow, EnvelopeSigner signer, HelloAnswer hello,
    NodeConfig config, TimeProvider time, NodeMetrics metrics, HealthCheckService health, ILogger<PeerExchangeApi> logger)
    : PeerExchangeService.PeerExchangeServiceBase
{
    public override async Task<DeliverResponse> Deliver(DeliverRequest request, ServerCallContext context)
    {
        var partner = gate.RequirePartner(context);
        if (request.Envelope is null)
        {
            throw ApiErrors.Invalid("envelope", "required");
        }

        try
        {
            var answer = await workflow.AcceptDeliveryAsync(partner, request.Envelope, context.CancellationToken);
            metrics.ReceiptSent(answer.Accepted ? ReceiptOutcome.Accepted : ReceiptOutcome.Rejected);
            return new DeliverResponse { Receipt = answer.Receipt };
        }
        catch (WorkflowException e)
        {
            Log.DeliveryRefused(logger, partner.Code, e.Kind.ToString(), e.Message);
            throw;
        }
    }

    public override async Task<CheckAuthenticityResponse> CheckAuthenticity(CheckAuthenticityRequest request, ServerCallContext context)
    {
        var partner = gate.RequirePartner(context);
        return new CheckAuthenticityResponse
        {
            Statement = await workflow.AnswerAuthenticityAsync(partner, AuthenticityMapping.ToDomain(request), context.CancellationToken),
        };
    }

    public override Task<GetRevocationListResponse> GetRevocationList(GetRevocationListRequest request, ServerCallContext context)
    {
        gate.RequirePartner(context);
        return Task.FromResult(workflow.OwnRevocationList() is { } der
            ? new GetRevocationListResponse { CrlDer = ByteString.CopyFrom(der), CrlNumber = (long)RevocationList.Parse(der).Number }
            : new GetRevocationListResponse());
    }

    public override async Task<HelloResponse> Hello(HelloRequest request, ServerCallContext context)
    {
        var partner = gate.RequirePartner(context);
        if (request.Nonce.Length is 0 or > 64)
        {
            throw ApiErrors.Invalid("nonce", "1 to 64 random bytes required");
        }

        var answer = await hello.ForAsync(partner, request.Nonce, context.CancellationToken);
        return new HelloResponse { Hello = signer.Sign(PayloadTypes.Hello, answer.ToByteArray()) };
    }

    public override async Task<PingResponse> Ping(PingRequest request, ServerCallContext context)
    {
        var partner = gate.RequirePartner(context);
        if (request.Nonce.Length is 0 or > 64)
        {
            throw ApiErrors.Invalid("nonce", "1 to 64 random bytes required");
        }

        var answer = new PingAnswer
        {
            Nonce = request.Nonce,
            Responder = config.Participant,
            Caller = partner.Code,
            AnsweredAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            Version = NodeVersion.Current,
            // The same checks as grpc.health.v1 and 'kpnode health': a partner must not see a healthy node that is not.
            Health = (await health.CheckHealthAsync(context.CancellationToken)).Status == HealthStatus.Healthy
                ? PeerHealth.Serving : PeerHealth.NotServing,
        };
        return new PingResponse { Answer = signer.Sign(PayloadTypes.PingAnswer, answer.ToByteArray()) };
    }
}
