using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KpNode.Domain;
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
    public Envelope AnswerAuthenticity(Partner asker, AuthenticityQuestion question)
    {
        var held = string.IsNullOrEmpty(question.CertificateNumber) ? null : store.FindCertificate(question.CertificateNumber);
        var (verdict, mismatches) = question.JudgeAs(held, asker.Code);
        var statement = new AuthenticityStatement
        {
            CertificateNumber = question.CertificateNumber,
            Issuer = Us,
            AskedBy = asker.Code,
            AnsweredAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            Verdict = StatusMapping.ToWire(verdict),
        };
        statement.Mismatches.AddRange(mismatches);
        return signer.Sign(PayloadTypes.AuthenticityStatement, statement.ToByteArray());
    }

    /// <summary>As the importer: asks the issuer's node, and verifies its signed statement against the issuer's root.</summary>
    public async Task<AuthenticityAnswer> CheckAuthenticityAsync(string issuerCode, AuthenticityQuestion request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.CertificateNumber))
        {
            throw WorkflowException.Invalid("certificateNumber", "required");
        }

        var issuer = partners.Find(issuerCode) ?? throw WorkflowException.Invalid("issuer",
            $"'{issuerCode}' is not a configured partner of this node; its root certificate is needed to trust its answer");
        CheckAuthenticityResponse answer;
        try
        {
            answer = await channels.ClientFor(issuer).CheckAuthenticityAsync(AuthenticityMapping.ToRequest(request), deadline: DateTime.UtcNow + AuthenticityTimeout, cancellationToken: ct);
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

        return new AuthenticityAnswer(StatusMapping.ToDomain(statement.Verdict), [.. statement.Mismatches], answer.Statement!);
    }
}

/// <summary>An issuer's verified answer: its verdict (null when it gave none this node knows), the mismatches it found, and its signed statement.</summary>
internal sealed record AuthenticityAnswer(Authenticity? Verdict, IReadOnlyList<string> Mismatches, Envelope Statement);
