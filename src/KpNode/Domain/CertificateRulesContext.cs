namespace KpNode.Domain;

/// <summary>
/// The settings under which <see cref="CertificateRules"/> judges a draft: they differ between
/// participants and between issuing a certificate and checking one received from a partner.
/// </summary>
/// <param name="Today">The node's calendar date.</param>
/// <param name="AllowedNumberPrefixes">The number must begin with one of these followed by '-'; empty allows any well-formed prefix.</param>
/// <param name="MaxValidityDays">The longest allowed span from issue to expiry (the EU allows 61 days).</param>
/// <param name="FutureIssueToleranceDays">0 when issuing; 1 for a partner's certificate, whose "today" may be ours plus a time zone.</param>
/// <param name="NumberRequired">False when issuing, where an empty number means the node will number it.</param>
internal sealed record CertificateRulesContext(
    DateOnly Today,
    IReadOnlyList<string> AllowedNumberPrefixes,
    int MaxValidityDays = CertificateRulesContext.DefaultMaxValidityDays,
    int FutureIssueToleranceDays = 0,
    bool NumberRequired = true)
{
    /// <summary>About six months, when a participant sets no shorter limit.</summary>
    public const int DefaultMaxValidityDays = 183;

    /// <summary>For a certificate this node is about to issue under its own prefix.</summary>
    public static CertificateRulesContext ForIssuing(DateOnly today, string prefix, int maxValidityDays = DefaultMaxValidityDays) =>
        new(today, [prefix], maxValidityDays, FutureIssueToleranceDays: 0, NumberRequired: false);

    /// <summary>For a certificate received from a partner, numbered under one of the partner's prefixes.</summary>
    public static CertificateRulesContext ForReceived(DateOnly today, IReadOnlyList<string> partnerPrefixes, int maxValidityDays = DefaultMaxValidityDays) =>
        new(today, partnerPrefixes, maxValidityDays, FutureIssueToleranceDays: 1, NumberRequired: true);
}
