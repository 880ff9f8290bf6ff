using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Workflow;

internal sealed partial class CertificateWorkflow
{
    private static readonly TimeSpan AuthenticityTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// As the issuer: a signed statement on whether one of our certificates is genuine. Only the importer
    /// named on it learns anything; anyone else is told "unknown", so trade data does not leak.
    /// </summary>
    public Envelope AnswerAuthenticity(Partner asker, CheckAuthenticityRequest request)
    {
        var statement = new AuthenticityStatement
        {
            CertificateNumber = request.CertificateNumber,
            Issuer = Us,
            AskedBy = asker.Code,
            AnsweredAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            Verdict = AuthenticityVerdict.Unknown,
        };
        var cert = string.IsNullOrEmpty(request.CertificateNumber) ? null : store.FindCertificate(request.CertificateNumber);
        if (cert is not null && cert.Direction == Domain.CertificateDirection.Outbound && cert.Partner == asker.Code)
        {
            var mismatches = new List<string>();
            if (request.Parcels != 0 && request.Parcels != cert.Summary.Parcels)
            {
                mismatches.Add($"parcels: {request.Parcels} presented, {cert.Summary.Parcels} certified");
            }

            if (request.CaratsHundredths != 0 && request.CaratsHundredths != cert.Summary.Carats.Hundredths)
            {
                mismatches.Add($"carats: {new Domain.Carats(request.CaratsHundredths)} presented, {cert.Summary.Carats} certified");
            }

            statement.Mismatches.AddRange(mismatches);
            statement.Verdict = cert.Status == Domain.CertificateStatus.Voided ? AuthenticityVerdict.Voided
                : mismatches.Count > 0 ? AuthenticityVerdict.Mismatch
                : AuthenticityVerdict.Genuine;
        }

        return signer.Sign(PayloadTypes.AuthenticityStatement, statement.ToByteArray());
    }

    /// <summary>As the importer: asks the issuer's node, and verifies its signed statement against the issuer's root.</summary>
    public async Task<CheckCertificateResponse> CheckAuthenticityAsync(CheckCertificateRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.CertificateNumber))
        {
            throw WorkflowException.Invalid("certificate_number", "required");
        }

        var issuer = partners.Find(request.Issuer) ?? throw WorkflowException.Invalid("issuer",
            $"'{request.Issuer}' is not a configured partner of this node; its root certificate is needed to trust its answer");
        CheckAuthenticityResponse answer;
        try
        {
            answer = await channels.ClientFor(issuer).CheckAuthenticityAsync(new CheckAuthenticityRequest
            {
                CertificateNumber = request.CertificateNumber,
                Parcels = request.Parcels,
                CaratsHundredths = request.CaratsHundredths,
            }, deadline: DateTime.UtcNow + AuthenticityTimeout, cancellationToken: ct);
        }
        catch (RpcException e)
        {
            throw new WorkflowException(FailureKind.FailedPrecondition,
                $"issuer: {issuer.Code}'s node did not answer ({e.StatusCode}: {e.Status.Detail}); try again later or ask {issuer.Code}'s authority directly");
        }

        VerifiedEnvelope verified;
        try
        {
            verified = verifier.Verify(answer.Statement ?? new Envelope(), issuer.Anchors, time.GetUtcNow());
        }
        catch (EnvelopeVerificationException e)
        {
            throw new WorkflowException(FailureKind.FailedPrecondition, $"issuer: {issuer.Code}'s answer is not validly signed: {e.Message}");
        }

        var statement = verified.PayloadType == PayloadTypes.AuthenticityStatement && verified.SignerParticipant == issuer.Code
            ? AuthenticityStatement.Parser.ParseFrom(verified.Payload.Span)
            : throw new WorkflowException(FailureKind.FailedPrecondition, $"issuer: {issuer.Code} answered with a {verified.PayloadType} signed by {verified.SignerParticipant}");
        if (statement.CertificateNumber != request.CertificateNumber || statement.AskedBy != Us || statement.Issuer != issuer.Code)
        {
            throw new WorkflowException(FailureKind.FailedPrecondition,
                $"issuer: {issuer.Code}'s statement is about {statement.CertificateNumber} for {statement.AskedBy}, not the question asked");
        }

        var response = new CheckCertificateResponse { Verdict = statement.Verdict, Statement = answer.Statement };
        response.Mismatches.AddRange(statement.Mismatches);
        return response;
    }
}
