using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>A PKI file is missing, unreadable or wrong; the message names the file and the problem.</summary>
internal sealed class PkiFileException(string path, string problem)
    : Exception($"{path}: {problem}")
{
    public string FilePath { get; } = path;

    /// <summary>What is wrong with the file, without its path.</summary>
    public string Problem { get; } = problem;
}

/// <summary>A participant's PKI: root, node TLS, document-signing and operator certificates, the leaves with their private keys.</summary>
internal sealed class ParticipantCredentials : IDisposable
{
    public required string Participant { get; init; }

    /// <summary>Carries its private key only if root.key is present; it may be kept offline.</summary>
    public required X509Certificate2 Root { get; init; }

    public required X509Certificate2 NodeTls { get; init; }
    public required X509Certificate2 DocumentSigning { get; init; }
    public required X509Certificate2 Operator { get; init; }

    /// <summary>Each office's own document-signing certificate (offices/CODE/signing.crt), by office code; empty without offices.</summary>
    public IReadOnlyDictionary<string, X509Certificate2> OfficeSigning { get; init; } = new Dictionary<string, X509Certificate2>();

    /// <summary>Our earlier roots, newest first (previous-roots.crt after a rollover): anchors only for what was signed under them.</summary>
    public IReadOnlyList<X509Certificate2> PreviousRoots { get; init; } = [];

    /// <summary>Every root our own evidence may chain to: the current one first, then the earlier ones.</summary>
    public IReadOnlyList<X509Certificate2> Anchors => [Root, .. PreviousRoots];

    /// <summary>
    /// A fresh copy of the node certificate, re-imported through PKCS#12: a certificate assembled
    /// from PEM holds an ephemeral key that TLS server stacks may not accept. The caller owns it.
    /// </summary>
    public X509Certificate2 NodeTlsForKestrel() =>
        X509CertificateLoader.LoadPkcs12(NodeTls.Export(X509ContentType.Pkcs12), password: null);

    public void Dispose()
    {
        Root.Dispose();
        NodeTls.Dispose();
        DocumentSigning.Dispose();
        Operator.Dispose();
        foreach (var office in OfficeSigning.Values)
            office.Dispose();
        foreach (var root in PreviousRoots)
            root.Dispose();
    }
}
