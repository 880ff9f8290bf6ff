namespace KpNode.Trust;

/// <summary>The extended key usage OIDs the node issues and checks, with names for messages.</summary>
internal static class KeyPurpose
{
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>id-kp-documentSigning (RFC 9336): keeps document signing apart from TLS keys.</summary>
    public const string DocumentSigning = "1.3.6.1.5.5.7.3.36";

    public static string Describe(string oid) => oid switch
    {
        ServerAuth => "serverAuth",
        ClientAuth => "clientAuth",
        DocumentSigning => "documentSigning",
        _ => oid,
    };

    /// <summary>The purpose as a noun phrase, for "the certificate is not a ... certificate".</summary>
    internal static string DescribeRole(string oid) => oid switch
    {
        ServerAuth => "TLS server",
        ClientAuth => "TLS client",
        DocumentSigning => "document-signing",
        _ => $"'{oid}'",
    };
}
