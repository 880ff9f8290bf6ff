using KpNode.Domain;

namespace KpNode.Tests.Domain;

/// <summary>The issuer's verdict: genuine only for a certificate delivered, not voided and valid today.</summary>
public sealed class AuthenticityQuestionTests
{
    private static readonly DateTime Now = new(2026, 7, 10, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DateOnly Today = DateOnly.FromDateTime(Now);
    private static readonly CertificateDraft Content = Drafts.ZaToBe();
    private static readonly AuthenticityQuestion Question = new("ZA-2026-000123", 0, 0);

    private static HeldCertificate Issued() => HeldCertificate.Issue(Drafts.AssertValid(Content), "BE", "m-1", "operator", Now);

    private static Authenticity Verdict(HeldCertificate held, DateOnly? today = null, string asker = "BE") =>
        Question.JudgeAs(held, Content, asker, today ?? Today).Verdict;

    [Fact]
    public void Each_state_of_the_certificate_gives_its_own_verdict()
    {
        var issued = Issued();
        Assert.Equal(Authenticity.NotDelivered, Verdict(issued));
        Assert.Equal(Authenticity.Unknown, Verdict(issued, asker: "AE"));

        var delivered = Issued();
        delivered.Deliver("BE", Now);
        Assert.Equal(Authenticity.Genuine, Verdict(delivered));
        Assert.Equal(Authenticity.Expired, Verdict(delivered, Today.AddDays(90)));

        var rejected = Issued();
        rejected.Reject("BE", "Policy", "suspended", Now);
        Assert.Equal(Authenticity.NotDelivered, Verdict(rejected));

        var confirmed = Issued();
        confirmed.RecordConfirmation(new ImportReport("ZA-2026-000123", ImportOutcome.Discrepancy, 2, 120450, 0, "2026-07-12", ""), "BE", "m-2", Now);
        Assert.Equal(Authenticity.Genuine, Verdict(confirmed));
        Assert.Equal(Authenticity.Expired, Verdict(confirmed, Today.AddDays(90)));

        var voided = Issued();
        voided.Void("operator", "wrong weight", "m-2", importerTold: false, Now);
        voided.Replace("ZA-2026-000124", "BE", Now);
        var judged = Question.JudgeAs(voided, Content, "BE", Today);
        Assert.Equal((Authenticity.Voided, "ZA-2026-000124"), (judged.Verdict, judged.ReplacedBy));
    }

    [Fact]
    public void A_date_in_the_question_that_is_not_a_date_is_refused_naming_the_field()
    {
        Assert.Equal(["dateOfIssue"], (Question with { DateOfIssue = "10/07/2026" }).Problems().Select(p => p.Field));
        Assert.Equal(["certificateNumber"], new AuthenticityQuestion(" ", 0, 0).Problems().Select(p => p.Field));
    }
}
