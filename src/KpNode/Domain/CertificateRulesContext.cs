namespace KpNode.Domain;

/// <summary>
/// The settings under which <see cref="CertificateRules"/> judges a draft: they differ between participants and between
/// issuing a certificate and checking one received from a partner. Production and tests build it with the same factories.
/// </summary>
/// <param name="Today">The node's calendar date.</param>
/// <param name="AllowedNumberPrefixes">The number must begin with one of these followed by '-'; empty allows any well-formed prefix.</param>
/// <param name="MaxValidityDays">The longest allowed span from issue to expiry (the EU allows 61 days).</param>
/// <param name="FutureIssueToleranceDays">How far past our today a date of issue may lie.</param>
/// <param name="NumberRequired">False when issuing, where an empty number means the node will number it.</param>
/// <param name="BackdatingDays">When issuing: how many days before today a date of issue may lie; null checks no earliest date.</param>
/// <param name="ExpiryAfterToday">When issuing: the date of expiry must lie after today, so nothing is issued already expired.</param>
internal sealed record CertificateRulesContext(
    DateOnly Today,
    IReadOnlyList<string> AllowedNumberPrefixes,
    int MaxValidityDays = CertificateRulesContext.DefaultMaxValidityDays,
    int FutureIssueToleranceDays = 0,
    bool NumberRequired = true,
    int? BackdatingDays = null,
    bool ExpiryAfterToday = false)
{
    /// <summary>Participants admitted after this release (from Node:AdmittedParticipants), accepted besides <see cref="KpParticipants"/>.</summary>
    public IReadOnlyList<KpParticipant> AdmittedParticipants { get; init; } = [];

    /// <summary>The participant with this code, from the built-in table or the admitted ones, or null.</summary>
    public KpParticipant? FindParticipant(string? code) =>
        KpParticipants.Find(code) ?? AdmittedParticipants.FirstOrDefault(p => p.Code == code);

    /// <summary>About six months, when a participant sets no shorter limit.</summary>
    public const int DefaultMaxValidityDays = 183;

    /// <summary>
    /// A partner's certificate is bound by its issuer's validity limit, which this node does not know; the receiving
    /// side refuses only a span no participant allows (ten years).
    /// </summary>
    public const int ReceivedMaxValidityDays = 3650;

    /// <summary>We issue on our own calendar date: no date of issue after today.</summary>
    public const int IssuingFutureToleranceDays = 0;

    /// <summary>A partner's "today" may be ours plus a time zone.</summary>
    public const int ReceivedFutureToleranceDays = 1;

    /// <summary>For a certificate this node is about to issue under one of its own prefixes (its configured limit).</summary>
    public static CertificateRulesContext ForIssuing(DateOnly today, IReadOnlyList<string> issuingPrefixes, int maxValidityDays = DefaultMaxValidityDays,
        int backdatingDays = 0) =>
        new(today, issuingPrefixes, maxValidityDays, IssuingFutureToleranceDays, NumberRequired: false, backdatingDays, ExpiryAfterToday: true);

    /// <summary>
    /// For a certificate received from a partner, numbered under one of the partner's prefixes. Its date of issue is the
    /// issuer's to judge (no back-dating window here); the receiver refuses one already expired, see the workflow.
    /// </summary>
    public static CertificateRulesContext ForReceived(DateOnly today, IReadOnlyList<string> partnerPrefixes, int maxValidityDays = ReceivedMaxValidityDays) =>
        new(today, partnerPrefixes, maxValidityDays, ReceivedFutureToleranceDays, NumberRequired: true);
}
