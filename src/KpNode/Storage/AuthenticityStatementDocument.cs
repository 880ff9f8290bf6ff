namespace KpNode.Storage;

/// <summary>
/// A signed authenticity statement kept as evidence: one this node signed as the issuer (<see cref="AuthenticityRole.Answered"/>,
/// <see cref="Partner"/> being who asked) or one it received and verified as the asker (<see cref="AuthenticityRole.Asked"/>,
/// <see cref="Partner"/> being the issuer). <see cref="Envelope"/> is the envelope byte for byte as signed or received.
/// </summary>
internal sealed record StoredAuthenticityStatement(string Id, AuthenticityRole Role, string Partner, string CertificateNumber, DateTime At, byte[] Envelope);

/// <summary>Which side of the question this node was on.</summary>
internal enum AuthenticityRole
{
    /// <summary>We issued the certificate and signed the statement.</summary>
    Answered = 1,
    /// <summary>We asked the issuer and verified the statement it signed.</summary>
    Asked = 2,
}

/// <summary>The document of <see cref="StoredAuthenticityStatement"/>, keyed by its id; its envelope packed (see <see cref="EnvelopePacking"/>).</summary>
internal sealed class AuthenticityStatementDocument
{
    public string Id { get; set; } = "";
    public AuthenticityRole Role { get; set; }
    public string Partner { get; set; } = "";
    public string CertificateNumber { get; set; } = "";
    /// <summary>When the statement was signed (ours) or received (the issuer's).</summary>
    public DateTime At { get; set; }
    public byte[] Envelope { get; set; } = [];

    public static AuthenticityStatementDocument From(StoredAuthenticityStatement s, byte[] storedEnvelope) => new()
    {
        Id = s.Id,
        Role = s.Role,
        Partner = s.Partner,
        CertificateNumber = s.CertificateNumber,
        At = s.At,
        Envelope = storedEnvelope,
    };

    public StoredAuthenticityStatement ToStored(byte[] envelope) => new(Id, Role, Partner, CertificateNumber, At, envelope);
}
