using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KpNode.Diagnostics;
using KpNode.Evidence;
using KpNode.Exchange;
using KpNode.Integrity;
using KpNode.Operations;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using Microsoft.AspNetCore.Authorization;

namespace KpNode.LocalApi;

/// <summary>Signs the QR token of a printable certificate; only for certificates this node issued, read from their verified envelopes.</summary>
[Authorize(Policy = Callers.OperatorPolicy)]
internal sealed class PrintingEndpoint(
    OperatorGate gate, INodeStore store, StoredEvidence evidence, NodeCredentials credentials, TimeProvider time, ILogger<PrintingEndpoint> logger)
    : PrintingService.PrintingServiceBase
{
    public override Task<SignCertificateTokenResponse> SignCertificateToken(SignCertificateTokenRequest request, ServerCallContext context)
    {
        var actor = gate.RequireOperator(context);
        if (string.IsNullOrWhiteSpace(request.CertificateNumber))
        {
            throw ApiErrors.Invalid("certificateNumber", "required");
        }

        var held = store.FindCertificate(request.CertificateNumber)
            ?? throw ApiErrors.Refuse(StatusCode.NotFound, $"certificateNumber: no certificate {request.CertificateNumber} is held by this node (try 'kpnode cert list')");
        var refusal = held.Direction != Domain.CertificateDirection.Outbound
            ? $"certificate {held.Number} was issued by {held.Partner}, not by this node: only the exporting authority prints and signs a certificate (ask {held.Partner}, or check its paper's QR code with 'kpnode verify --qr')"
            : held.Status is Domain.CertificateStatus.Voided or Domain.CertificateStatus.Rejected
                ? $"certificate {held.Number} is {held.Status.ToString().ToLowerInvariant()}: a paper for it would travel as if it were valid"
                : null;
        if (refusal is not null)
        {
            Log.CertificateTokenRefused(logger, held.Number, refusal);
            throw ApiErrors.Refuse(StatusCode.FailedPrecondition, refusal);
        }

        // The figures come from the signed envelope, verified now, never from the summary row.
        var certificate = evidence.Certificate(held, store.FindMessage, followUps: true);
        var message = store.FindMessage(held.MessageId)
            ?? throw new InvalidOperationException($"The store holds certificate {held.Number} without its message {held.MessageId}.");
        var payload = Envelope.Parser.ParseFrom(message.Envelope).Payload.Span;
        var signer = credentials.Current.DocumentSigning;
        var signedAt = time.GetUtcNow();
        var token = CertificateToken.Sign(certificate, payload, signedAt, signer);
        var claims = CertificateToken.Parse(token).Claims!;
        Log.CertificateTokenSigned(logger, held.Number, actor.AuditName);
        return Task.FromResult(new SignCertificateTokenResponse
        {
            Token = token,
            Record = CertificateRecordMapping.ToRecord(held, certificate, store.FindMessage, withEvidence: false),
            SignerSubject = signer.Subject,
            SignedAt = Timestamp.FromDateTimeOffset(claims.SignedAt),
            PayloadSha256 = claims.PayloadSha256,
        });
    }
}
