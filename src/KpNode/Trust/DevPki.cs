namespace KpNode.Trust;

/// <summary>Creates a participant's PKI in one step, for <c>kpnode pki init</c>, the demo network and tests.</summary>
internal static class DevPki
{
    public static readonly TimeSpan DefaultRootValidity = TimeSpan.FromDays(3652);

    // Backdating absorbs clock skew between partners: a certificate issued a second ago must
    // not be "not yet valid" on a partner whose clock runs a little behind.
    public static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    /// <summary>How long a leaf of each kind is valid from <paramref name="now"/>: TLS 2 years, signing 3, operator 1.</summary>
    public static DateTimeOffset DefaultNotAfter(LeafKind kind, DateTimeOffset now) => kind switch
    {
        LeafKind.NodeTls => now.AddYears(2),
        LeafKind.DocumentSigning => now.AddYears(3),
        LeafKind.Operator => now.AddYears(1),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown leaf kind"),
    };

    /// <summary>
    /// A root and its three leaves, valid from <paramref name="validSince"/> before <paramref name="now"/> (5 minutes
    /// by default; a benchmark's store of past trade needs keys that were valid when that trade was signed).
    /// </summary>
    public static ParticipantCredentials Create(string participant, IEnumerable<string> extraDnsNames, DateTimeOffset now, TimeSpan? rootValidity = null,
        TimeSpan? validSince = null, IEnumerable<string>? offices = null)
    {
        ParticipantIdentity.ParticipantUri(participant);
        var notBefore = now - (validSince ?? Backdate);
        var root = CertificateAuthority.CreateRoot(participant, notBefore, now + (rootValidity ?? DefaultRootValidity));
        // A leaf cannot outlive the root that vouches for it; a short-lived root shortens them all.
        var rootNotAfter = new DateTimeOffset(root.NotAfter);
        DateTimeOffset Until(DateTimeOffset wanted) => wanted < rootNotAfter ? wanted : rootNotAfter;

        return new ParticipantCredentials
        {
            Participant = participant,
            Root = root,
            NodeTls = CertificateAuthority.IssueLeaf(root, participant, LeafKind.NodeTls, notBefore, Until(DefaultNotAfter(LeafKind.NodeTls, now)), extraDnsNames),
            DocumentSigning = CertificateAuthority.IssueLeaf(root, participant, LeafKind.DocumentSigning, notBefore, Until(DefaultNotAfter(LeafKind.DocumentSigning, now))),
            Operator = CertificateAuthority.IssueLeaf(root, participant, LeafKind.Operator, notBefore, Until(DefaultNotAfter(LeafKind.Operator, now))),
            OfficeSigning = (offices ?? []).Distinct().ToDictionary(o => o, o => CertificateAuthority.IssueLeaf(
                root, participant, LeafKind.DocumentSigning, notBefore, Until(DefaultNotAfter(LeafKind.DocumentSigning, now)), office: o)),
        };
    }
}
