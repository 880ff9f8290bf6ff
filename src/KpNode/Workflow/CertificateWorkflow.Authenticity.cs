using Google.Protobuf;
using Grpc.Core;
using KpNode.Domain;
using KpNode.Storage;
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
    /// does not leak. Every question is audited, and the statement kept as evidence, before the answer leaves.
    /// </summary>
    public async Task<Envelope> AnswerAuthenticityAsync(Partner asker, AuthenticityQuestion question, CancellationToken ct)
    {
        var number = question.CertificateNumber ?? "";
        // A partner's text in our audit log and our evidence: a number is 14 characters, so anything much longer is cut,
        // in the statement too (no certificate has such a number, so the answer is "unknown" either way).
        var subject = number.Length > CertificateRules.MaxCodeLength ? number[..CertificateRules.MaxCodeLength] + "…" : number;
        var (judgement, signed) = await store.WriteDurableAsync(w =>
        {
            var held = number.Length == 0 ? null : w.FindCertificate(number);
            // What we sign is judged from the signed certificate and a status its messages bear out, never from derived fields.
            var content = held is { Direction: Domain.CertificateDirection.Outbound } && held.Partner == asker.Code
                ? CertificateMapping.ToDraft(evidence.Certificate(held, w.FindMessage))
                : null;
            var judged = question.JudgeAs(held, content, asker.Code, Today);
            // Signed inside the write that keeps it: a statement we signed leaves only once it is on record.
            var now = time.GetUtcNow();
            var envelope = signer.Sign(PayloadTypes.AuthenticityStatement, AuthenticityMapping.ToStatement(judged, subject, Us, asker.Code, now).ToByteArray());
            w.InsertAuthenticityStatement(new StoredAuthenticityStatement(ids.Next(), AuthenticityRole.Answered, asker.Code, subject, now.UtcDateTime, envelope.ToByteArray()));
            w.Audit(asker.Code, "authenticity.answered", subject, Described(judged));
            return (judged, envelope);
        }, ct);
        Diagnostics.Log.AuthenticityAnswered(logger, subject, asker.Code, judgement.Verdict.ToString());
        return signed;
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

        // The issuer cuts a longer number in its statement (see AnswerAuthenticityAsync), and no certificate has one.
        if (request.CertificateNumber.Length > CertificateRules.MaxCodeLength)
        {
            throw WorkflowException.Invalid("certificateNumber", $"longer than any certificate number ({CertificateRules.MaxCodeLength} characters at most)");
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
        // The verified statement is kept, with the audit line, as the issuer's signed word for an auditor.
        var received = answer.Signed.ToByteArray();
        var at = time.GetUtcNow().UtcDateTime;
        await store.WriteDurableAsync(w =>
        {
            w.InsertAuthenticityStatement(new StoredAuthenticityStatement(ids.Next(), AuthenticityRole.Asked, issuer.Code, request.CertificateNumber, at, received));
            return w.Audit(actor.AuditName, "authenticity.asked", request.CertificateNumber,
                $"asked {issuer.Code}: {verdict?.ToString() ?? "no verdict this node knows"}"
                + (statement.Detail.Length > 0 ? $": {statement.Detail}" : "")
                + (statement.Mismatches.Count > 0 ? "; " + string.Join("; ", statement.Mismatches) : ""));
        }, ct);
        Diagnostics.Log.AuthenticityStatementKept(logger, request.CertificateNumber, issuer.Code, received.Length);
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
