using Google.Protobuf;
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
    /// As the issuer: a signed statement on whether one of our certificates is genuine today, read from the signed
    /// certificate itself. Only the importer named on it learns anything; anyone else is told "unknown", so trade data
    /// does not leak. Every question and its answer is audited before the answer leaves.
    /// </summary>
    public async Task<Envelope> AnswerAuthenticityAsync(Partner asker, AuthenticityQuestion question, CancellationToken ct)
    {
        var number = question.CertificateNumber ?? "";
        // A partner's text in our audit log: a number is 14 characters, so anything much longer is cut.
        var subject = number.Length > 40 ? number[..40] + "…" : number;
        var judgement = await store.WriteDurableAsync(w =>
        {
            var held = number.Length == 0 ? null : w.FindCertificate(number);
            // What we sign is judged from the signed certificate and a status its messages bear out, never from derived fields.
            var content = held is { Direction: Domain.CertificateDirection.Outbound } && held.Partner == asker.Code
                ? CertificateMapping.ToDraft(evidence.Certificate(held, w.FindMessage))
                : null;
            var judged = question.JudgeAs(held, content, asker.Code, Today);
            w.Audit(asker.Code, "authenticity.answered", subject, Described(judged));
            return judged;
        }, ct);
        Diagnostics.Log.AuthenticityAnswered(logger, subject, asker.Code, judgement.Verdict.ToString());
        var statement = AuthenticityMapping.ToStatement(judgement, number, Us, asker.Code, time.GetUtcNow());
        return signer.Sign(PayloadTypes.AuthenticityStatement, statement.ToByteArray());
    }

    private static string Described(AuthenticityJudgement j) =>
        j.Verdict + (j.Verdict == Authenticity.Genuine ? "" : $": {j.Detail}") + (j.Mismatches.Count > 0 ? "; " + string.Join("; ", j.Mismatches) : "");

    /// <summary>
    /// As the importer: asks the issuer's node, and verifies its signed statement against the issuer's root. The
    /// question and the answer (or that none came) are audited here too, under <paramref name="actor"/>.
    /// </summary>
    public async Task<AuthenticityAnswer> CheckAuthenticityAsync(string issuerCode, AuthenticityQuestion request, Actor actor, CancellationToken ct)
    {
        if (request.Problems() is { Count: > 0 } problems)
        {
            throw WorkflowException.Invalid(problems, "The question");
        }

        var issuer = partners.Find(issuerCode) ?? throw WorkflowException.Invalid("issuer",
            $"'{issuerCode}' is not a configured partner of this node; its root certificate is needed to trust its answer");
        AuthenticityAnswer answer;
        try
        {
            answer = await AskAsync(issuer, request, ct);
        }
        catch (WorkflowException e)
        {
            await store.WriteDurableAsync(w => w.Audit(actor.AuditName, "authenticity.unanswered", request.CertificateNumber, $"asked {issuer.Code}: {e.Message}"), ct);
            throw;
        }

        var statement = answer.Statement;
        var verdict = StatusMapping.ToDomain(statement.Verdict);
        await store.WriteDurableAsync(w => w.Audit(actor.AuditName, "authenticity.asked", request.CertificateNumber,
            $"asked {issuer.Code}: {verdict?.ToString() ?? "no verdict this node knows"}"
            + (statement.Detail.Length > 0 ? $": {statement.Detail}" : "")
            + (statement.Mismatches.Count > 0 ? "; " + string.Join("; ", statement.Mismatches) : "")), ct);
        return answer;
    }

    /// <summary>The issuer's statement on the question, its signature and subject verified.</summary>
    private async Task<AuthenticityAnswer> AskAsync(Partner issuer, AuthenticityQuestion request, CancellationToken ct)
    {
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

        // The issuer's words reach our officer's screen and audit log: refused, like any partner text, when they could hide or reorder text.
        var problems = new List<Violation>();
        FreeText.CheckOptional("detail", statement.Detail, "the statement's detail", Printable.DefaultMaxLength, allowLineBreaks: false, problems);
        for (var i = 0; i < statement.Mismatches.Count && problems.Count == 0; i++)
            FreeText.CheckOptional($"mismatches[{i}]", statement.Mismatches[i], "the statement's mismatch", Printable.DefaultMaxLength, allowLineBreaks: false, problems);
        if (statement.Mismatches.Count > 50)
            problems.Add(new Violation("mismatches", $"{statement.Mismatches.Count} mismatches is more than a certificate has figures"));
        if (problems.Count > 0)
        {
            throw new WorkflowException(FailureKind.FailedPrecondition,
                $"issuer: {issuer.Code}'s statement is refused: {problems[0].Field}: {problems[0].Rule}; ask {issuer.Code}'s authority directly");
        }

        return new AuthenticityAnswer(statement, answer.Statement!);
    }
}

/// <summary>An issuer's verified statement and the signed envelope that carried it.</summary>
internal sealed record AuthenticityAnswer(AuthenticityStatement Statement, Envelope Signed);
