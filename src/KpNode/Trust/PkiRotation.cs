using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KpNode.Trust;

/// <summary>
/// A new leaf with the root key offline: <see cref="Request"/> makes a pending key and its CSR in the node's PKI
/// folder (the key never leaves it), <see cref="Sign"/> issues the certificate where the root key is kept, and
/// <see cref="Install"/> puts the pair in place, keeping the previous pair under <c>retired/</c>.
/// </summary>
internal static class PkiRotation
{
    public const string PendingFolder = "pending";
    public const string RetiredFolder = "retired";

    public static string PendingKeyPath(string dir, LeafKind kind, string? office = null) => Path.Combine(dir, PendingFolder, PendingName(kind, office) + ".key");

    public static string PendingRequestPath(string dir, LeafKind kind, string? office = null) => Path.Combine(dir, PendingFolder, PendingName(kind, office) + ".csr");

    // An office's signing request waits beside the participant's own: "signing-BE-ANTWERP".
    private static string PendingName(LeafKind kind, string? office) =>
        kind == LeafKind.DocumentSigning && office is { Length: > 0 } ? $"{LeafRequest.PurposeName(kind)}-{office}" : LeafRequest.PurposeName(kind);

    /// <summary>The participant a PKI folder belongs to, as its root.crt names it.</summary>
    public static string ParticipantOf(string dir)
    {
        var path = Path.Combine(dir, PkiFiles.RootCertificate);
        using var root = PkiFiles.LoadRoot(path);
        return ParticipantIdentity.FromCertificate(root)
            ?? throw new PkiFileException(path, $"'{root.Subject}' names no participant ({ParticipantIdentity.ParticipantUriPrefix}<code> URI SAN); it is not a root made by 'kpnode pki init'.");
    }

    /// <summary>Writes a new P-256 key as DIR/pending/&lt;purpose&gt;.key (0600, never overwritten) and its CSR; returns the CSR's path.</summary>
    public static string Request(string dir, LeafProfile profile, string? requestPath)
    {
        var keyPath = PendingKeyPath(dir, profile.Kind, profile.Office);
        requestPath ??= PendingRequestPath(dir, profile.Kind, profile.Office);
        var purpose = LeafRequest.PurposeName(profile.Kind);
        if (File.Exists(keyPath))
            throw new PkiFileException(keyPath,
                $"a pending {purpose} key already exists (made {File.GetLastWriteTimeUtc(keyPath).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}) and is never overwritten: "
                + $"install its certificate with 'kpnode pki install CERT --pki {dir}', or delete this file to start over.");
        if (File.Exists(requestPath))
            throw new PkiFileException(requestPath, "already exists and is never overwritten; choose another --out, or remove it.");

        PkiFiles.CreateOwnerOnlyDirectory(Path.Combine(dir, PendingFolder));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = LeafRequest.CreatePem(key, profile);
        // Key first: a CSR without its key would be a request nobody can use.
        PkiFiles.WriteNew(keyPath, key.ExportPkcs8PrivateKeyPem(), PkiFiles.OwnerOnlyFile);
        PkiFiles.WriteNew(requestPath, pem, PkiFiles.PublicFile);
        return requestPath;
    }

    /// <summary>A certificate issued from a CSR; <see cref="ShortenedToRoot"/> when the root expires before the validity asked for.</summary>
    public sealed record Signed(X509Certificate2 Certificate, LeafProfile Profile, bool ShortenedToRoot);

    /// <summary>
    /// Issues the certificate a CSR asks for: its self-signature verified, its participant the root's, and the
    /// extensions of its purpose's <see cref="LeafProfile"/>. Validity: <paramref name="days"/> or the purpose's default, never beyond the root.
    /// </summary>
    public static Signed Sign(byte[] request, string requestPath, X509Certificate2 rootWithKey, string rootPath, DateTimeOffset now, int? days)
    {
        var (profile, key) = LeafRequest.Read(request, requestPath);
        var rootParticipant = ParticipantIdentity.FromCertificate(rootWithKey)
            ?? throw new PkiFileException(rootPath, $"'{rootWithKey.Subject}' names no participant; it is not a root made by 'kpnode pki init'.");
        if (profile.Participant != rootParticipant)
            throw new LeafRequestException(requestPath,
                [$"it asks for a certificate of participant {profile.Participant}, but {rootPath} is {rootParticipant}'s root; a root vouches only for its own participant: sign it with {profile.Participant}'s root"]);
        if (now >= rootWithKey.NotAfter)
            throw new PkiFileException(rootPath, $"the root expired on {TrustChain.Format(rootWithKey.NotAfter)}; nothing it signs now would be trusted.");

        var rootNotBefore = new DateTimeOffset(rootWithKey.NotBefore);
        var rootNotAfter = new DateTimeOffset(rootWithKey.NotAfter);
        var notBefore = now - DevPki.Backdate < rootNotBefore ? rootNotBefore : now - DevPki.Backdate;
        var wanted = days is { } d ? now.AddDays(d) : DevPki.DefaultNotAfter(profile.Kind, now);
        var shortened = wanted > rootNotAfter;
        var certificate = CertificateAuthority.IssueForKey(rootWithKey, key, profile, notBefore, shortened ? rootNotAfter : wanted);
        return new Signed(certificate, profile, shortened);
    }

    /// <summary>What <see cref="Install"/> did: the purpose, the pair now in place and where the previous pair was kept.</summary>
    public sealed record Installed(LeafKind Kind, string Participant, string CertificatePath, string KeyPath, string RetiredCertificatePath, string RetiredKeyPath,
        string Subject, string Serial, DateTimeOffset NotAfter);

    /// <summary>
    /// Puts <paramref name="certificatePath"/> in place in <paramref name="dir"/> beside its pending key, after checking that it chains
    /// to DIR/root.crt and that the PKI as a whole would pass the node's start-up check. The previous pair is copied to
    /// retired/&lt;purpose&gt;-&lt;serial&gt; first and never deleted. The new files are written as *.new and renamed, key then
    /// certificate; <see cref="PkiFiles.Load"/> finishes an install interrupted between the two renames.
    /// </summary>
    public static Installed Install(string dir, string certificatePath, DateTimeOffset now)
    {
        using var certificate = PkiFiles.LoadCertificate(certificatePath);
        var profile = LeafRequest.ProfileOf(certificate, certificatePath);
        var (purpose, kind, certificateName, keyName) = LeafRequest.Purposes.Single(p => p.Kind == profile.Kind);
        var office = kind == LeafKind.DocumentSigning ? profile.Office : null;
        var rootPath = Path.Combine(dir, PkiFiles.RootCertificate);
        // An operator's own folder holds root.crt and the operator pair only: the CLI presents it (KPNODE_OPERATOR).
        var operatorFolder = kind == LeafKind.Operator && !File.Exists(Path.Combine(dir, PkiFiles.NodeCertificate));
        using var current = operatorFolder ? null : PkiFiles.Load(dir);
        using var root = operatorFolder ? PkiFiles.LoadRoot(rootPath) : null;
        var anchor = current?.Root ?? root!;
        var participant = current?.Participant ?? ParticipantOf(dir);
        if (profile.Participant != participant)
            throw new PkiFileException(certificatePath, $"is a certificate of participant {profile.Participant}, but {dir} is {participant}'s folder.");
        var finalDir = office is null ? dir : PkiFiles.OfficeDirectory(dir, office);
        var finalCertificate = Path.Combine(finalDir, certificateName);
        var finalKey = Path.Combine(finalDir, keyName);
        X509Certificate2? previous = current is null ? null : kind switch
        {
            LeafKind.NodeTls => current.NodeTls,
            LeafKind.DocumentSigning when office is not null => current.OfficeSigning.GetValueOrDefault(office),
            LeafKind.DocumentSigning => current.DocumentSigning,
            _ => current.Operator,
        };
        using var previousInFolder = operatorFolder && File.Exists(finalCertificate) ? PkiFiles.LoadCertificate(finalCertificate) : null;
        previous ??= previousInFolder;
        if (previous is not null && previous.RawData.AsSpan().SequenceEqual(certificate.RawData))
            throw new PkiFileException(certificatePath, $"is already installed as {finalCertificate}; nothing to do.");

        var trust = new TrustChain();
        string[] ekus = kind == LeafKind.NodeTls ? [KeyPurpose.ServerAuth, KeyPurpose.ClientAuth] : kind == LeafKind.DocumentSigning ? [KeyPurpose.DocumentSigning] : [KeyPurpose.ClientAuth];
        foreach (var eku in ekus)
        {
            var result = trust.Validate(certificate, [], eku, now, [anchor], certificatePath);
            if (!result.IsTrusted)
                throw new PkiFileException(certificatePath, result.Failure == TrustFailure.UntrustedRoot
                    ? $"does not chain to {rootPath} (it was issued by '{certificate.Issuer}'); it was signed with another participant's or an older root."
                    : result.Message);
        }

        var pendingKeyPath = PendingKeyPath(dir, kind, office);
        var requestFlag = office is null ? $"--purpose {purpose}" : $"--purpose {purpose} --office {office}";
        if (!File.Exists(pendingKeyPath))
            throw new PkiFileException(certificatePath,
                $"there is no pending {purpose} key ({pendingKeyPath}) for it: a certificate is installed only in the PKI folder whose 'kpnode pki request {requestFlag}' made its key.");
        using var key = PkiFiles.ReadKey(pendingKeyPath);
        if (!PkiFiles.Matches(certificate, key))
            throw new PkiFileException(certificatePath,
                $"does not match the pending {purpose} key {pendingKeyPath}: it was issued for another request. Sign the request made with that key ({PendingRequestPath(dir, kind, office)}).");

        using var leaf = certificate.CopyWithPrivateKey(key);
        if (current is not null)
        {
            var offices = new Dictionary<string, X509Certificate2>(current.OfficeSigning, StringComparer.Ordinal);
            if (office is not null)
                offices[office] = leaf;
            var candidate = new ParticipantCredentials
            {
                Participant = current.Participant,
                Root = current.Root,
                NodeTls = kind == LeafKind.NodeTls ? leaf : current.NodeTls,
                DocumentSigning = kind == LeafKind.DocumentSigning && office is null ? leaf : current.DocumentSigning,
                Operator = kind == LeafKind.Operator ? leaf : current.Operator,
                OfficeSigning = offices,
            };
            var problems = OwnCredentials.Problems(candidate, dir, current.Participant, now);
            if (problems.Count > 0)
                throw new PkiFileException(certificatePath, "installing it would leave a PKI the node refuses to start with: " + string.Join("; ", problems));
        }

        // The previous pair first: once it is safe under retired/, nothing that follows can lose it.
        var retired = Path.Combine(dir, RetiredFolder);
        var stem = Path.Combine(retired, office is null ? $"{purpose}-{previous?.SerialNumber}" : $"{purpose}-{office}-{previous?.SerialNumber}");
        if (previous is not null)
        {
            PkiFiles.CreateOwnerOnlyDirectory(retired);
            Keep(finalCertificate, stem + ".crt", PkiFiles.PublicFile);
            Keep(finalKey, stem + ".key", PkiFiles.OwnerOnlyFile);
        }

        if (office is not null)
        {
            PkiFiles.CreateOwnerOnlyDirectory(Path.Combine(dir, PkiFiles.OfficesFolder));
            PkiFiles.CreateOwnerOnlyDirectory(finalDir);
        }

        // Leftovers of an install that stopped before its renames are ours to replace: the pending key still exists.
        File.Delete(finalKey + PkiFiles.NewSuffix);
        File.Delete(finalCertificate + PkiFiles.NewSuffix);
        PkiFiles.WriteNew(finalKey + PkiFiles.NewSuffix, key.ExportPkcs8PrivateKeyPem(), PkiFiles.OwnerOnlyFile);
        PkiFiles.WriteNew(finalCertificate + PkiFiles.NewSuffix, certificate.ExportCertificatePem(), PkiFiles.PublicFile);
        File.Move(finalKey + PkiFiles.NewSuffix, finalKey, overwrite: true);
        File.Move(finalCertificate + PkiFiles.NewSuffix, finalCertificate, overwrite: true);

        // The key now lives in its place; the request is answered.
        File.Delete(pendingKeyPath);
        File.Delete(PendingRequestPath(dir, kind, office));
        return new Installed(kind, participant, finalCertificate, finalKey, previous is null ? "" : stem + ".crt", previous is null ? "" : stem + ".key",
            certificate.Subject, certificate.SerialNumber, new DateTimeOffset(certificate.NotAfter));
    }

    /// <summary>Copies a file to <paramref name="target"/> unless an identical copy is already there (an install run again).</summary>
    internal static void Keep(string source, string target, UnixFileMode mode)
    {
        var text = File.ReadAllText(source);
        if (File.Exists(target) && File.ReadAllText(target) == text)
            return;
        PkiFiles.WriteNew(target, text.TrimEnd('\n'), mode);
    }
}
