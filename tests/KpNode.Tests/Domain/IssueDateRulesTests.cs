using KpNode.Domain;
using static KpNode.Tests.Domain.Drafts;

namespace KpNode.Tests.Domain;

/// <summary>At issue a certificate is dated today (or within the back-dating window) and expires after today.</summary>
public sealed class IssueDateRulesTests
{
    private static readonly CertificateDraft Good = ZaToBe();

    [Fact]
    public void A_certificate_already_expired_is_not_issued_naming_both_dates_and_today()
    {
        var result = Validate(Good with { DateOfIssue = "2020-01-01", DateOfExpiry = "2020-03-01" }, Issuing);
        var expiry = AssertViolation(result, "dateOfExpiry", "2020-03-01", "after today", "2026-07-10");
        Assert.Contains("already expired", expiry.Rule);
        AssertViolation(result, "dateOfIssue", "2020-01-01", "in the past", "2026-07-10");
    }

    [Fact]
    public void A_date_of_issue_before_today_is_refused_by_default_and_allowed_within_the_back_dating_window()
    {
        var yesterday = Good with { DateOfIssue = "2026-07-09" };
        AssertViolation(Validate(yesterday, Issuing), "dateOfIssue", "2026-07-09", "issued today");
        AssertValid(yesterday, CertificateRulesContext.ForIssuing(Today, ["ZA"], backdatingDays: 3));
        var tooEarly = AssertViolation(Validate(Good with { DateOfIssue = "2026-07-06" }, CertificateRulesContext.ForIssuing(Today, ["ZA"], backdatingDays: 3)),
            "dateOfIssue", "2026-07-06", "more than 3 days", "2026-07-07 or later");
        Assert.Contains("today is 2026-07-10", tooEarly.Rule);
    }

    [Fact]
    public void A_date_of_expiry_of_today_is_refused_at_issue_and_tomorrow_is_allowed()
    {
        AssertViolation(Validate(Good with { DateOfExpiry = "2026-07-10" }, CertificateRulesContext.ForIssuing(Today, ["ZA"], backdatingDays: 5) with { }),
            "dateOfExpiry", "after");
        AssertValid(Good with { DateOfExpiry = "2026-07-11" }, Issuing);
    }

    [Fact]
    public void A_received_certificate_is_not_held_to_the_issuers_back_dating_window()
    {
        // Its issuer applied its own window; the receiver refuses only what is already expired (the workflow's check).
        AssertValid(Good with { DateOfIssue = "2026-06-01", DateOfExpiry = "2026-07-31" }, Received);
    }
}
