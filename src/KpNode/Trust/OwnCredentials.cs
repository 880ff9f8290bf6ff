using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>
/// The start-up check of our own PKI: every certificate we present or sign with chains to our root, carries the key
/// usage of its role and names our participant, so that a partner never has to be the one who finds out.
/// (That each matches its private key is checked as <see cref="PkiFiles.Load"/> reads the pair.)
/// </summary>
internal static class OwnCredentials
{
    /// <summary>The configured offices that have no signing pair in the PKI folder, each with the commands that make one.</summary>
    public static IReadOnlyList<string> MissingOffices(ParticipantCredentials credentials, string pkiDirectory, IEnumerable<string> offices) =>
        [.. offices.Where(o => !credentials.OfficeSigning.ContainsKey(o)).Select(o =>
            $"{Path.Combine(PkiFiles.OfficeDirectory(pkiDirectory, o), PkiFiles.SigningCertificate)} is missing: office {o} (Node:Offices) signs with its own key; "
            + $"make it with 'kpnode pki request --purpose signing --office {o} --pki {pkiDirectory}', then 'kpnode pki sign' and 'kpnode pki install'")];

    /// <summary>Every rule broken, each naming the file, e.g. "…/pki/za/signing.crt does not chain to …/pki/za/root.crt: …".</summary>
    public static IReadOnlyList<string> Problems(ParticipantCredentials credentials, string pkiDirectory, string participant, DateTimeOffset now)
    {
        var problems = new List<string>();
        string File(string name) => Path.Combine(pkiDirectory, name);
        var rootFile = File(PkiFiles.RootCertificate);

        var rootNames = ParticipantIdentity.FromCertificate(credentials.Root);
        if (credentials.Root.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            problems.Add($"{rootFile} is not a CA certificate (BasicConstraints CA=true missing); it must be the root made by 'kpnode pki init'");
        else if (rootNames != participant)
            problems.Add($"{rootFile} is the root of {rootNames ?? "no participant"}, not of {participant}");

        var trust = new TrustChain();
        Check(credentials.NodeTls, PkiFiles.NodeCertificate, [KeyPurpose.ServerAuth, KeyPurpose.ClientAuth]);
        Check(credentials.DocumentSigning, PkiFiles.SigningCertificate, [KeyPurpose.DocumentSigning]);
        Check(credentials.Operator, PkiFiles.OperatorCertificate, [KeyPurpose.ClientAuth]);
        foreach (var (office, signing) in credentials.OfficeSigning)
            Check(signing, Path.Combine(PkiFiles.OfficesFolder, office, PkiFiles.SigningCertificate), [KeyPurpose.DocumentSigning]);
        return problems;

        void Check(X509Certificate2 leaf, string name, string[] purposes)
        {
            var file = File(name);
            // Expiry is the expiry warnings' concern (events 1400/1401), so the chain is judged inside the leaf's own window.
            var at = now < leaf.NotBefore ? new DateTimeOffset(leaf.NotBefore) : now > leaf.NotAfter ? new DateTimeOffset(leaf.NotAfter) : now;
            foreach (var purpose in purposes)
            {
                var result = trust.Validate(leaf, [], purpose, at, [credentials.Root], file);
                if (result.IsTrusted)
                {
                    if (result.Participant != participant)
                        problems.Add($"{file} names participant {result.Participant}, not {participant}");
                    continue;
                }

                if (result.Failure is TrustFailure.Expired or TrustFailure.NotYetValid)
                    continue;
                problems.Add(result.Failure == TrustFailure.UntrustedRoot
                    ? $"{file} does not chain to {rootFile} (it was issued by '{leaf.Issuer}'); issue it from this root, or use the PKI folder it belongs to"
                    : result.Message.TrimEnd('.'));
                return;
            }
        }
    }
}
