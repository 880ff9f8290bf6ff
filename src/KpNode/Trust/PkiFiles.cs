using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KpNode.Trust;

/// <summary>Writes and reads a participant's PKI as PEM files in one directory.</summary>
internal static class PkiFiles
{
    public const string RootCertificate = "root.crt";

    /// <summary>Our earlier roots after a root rollover, newest first; partners keep them too, for what was signed under them.</summary>
    public const string PreviousRoots = "previous-roots.crt";
    public const string RootKey = "root.key";
    public const string NodeCertificate = "node.crt";
    public const string NodeKey = "node.key";
    public const string SigningCertificate = "signing.crt";
    public const string SigningKey = "signing.key";
    public const string OperatorCertificate = "operator.crt";
    public const string OperatorKey = "operator.key";

    /// <summary>offices/CODE/ holds the signing pair of each issuing office (signing.crt, signing.key).</summary>
    public const string OfficesFolder = "offices";

    public static string OfficeDirectory(string dir, string office) => Path.Combine(dir, OfficesFolder, office);

    private static readonly string[] AllFiles =
        [RootCertificate, RootKey, NodeCertificate, NodeKey, SigningCertificate, SigningKey, OperatorCertificate, OperatorKey];

    internal const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnlyFile | UnixFileMode.UserExecute;
    internal const UnixFileMode PublicFile = OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// Writes the eight PEM files; with <paramref name="rootDirectory"/>, root.key (and a copy of root.crt) goes there
    /// instead, so the node's folder never holds the root key. Refuses if any of them exists, before writing anything,
    /// so an existing key is never replaced and a directory never ends up with a mix of two PKIs.
    /// </summary>
    public static void Write(string dir, ParticipantCredentials pki, string? rootDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        ArgumentNullException.ThrowIfNull(pki);
        var separateRoot = rootDirectory is not null && Path.GetFullPath(rootDirectory) != Path.GetFullPath(dir);

        // Keys first, so the message names the file that matters most.
        var planned = AllFiles.Select(n => Path.Combine(dir, n)).Where(p => !separateRoot || Path.GetFileName(p) != RootKey)
            .Concat(separateRoot ? [Path.Combine(rootDirectory!, RootKey), Path.Combine(rootDirectory!, RootCertificate)] : []);
        foreach (var path in planned.OrderByDescending(p => p.EndsWith(".key", StringComparison.Ordinal)))
        {
            if (File.Exists(path))
                throw new PkiFileException(path, path.EndsWith(".key", StringComparison.Ordinal)
                    ? "a private key already exists here; it is never overwritten. Move the directory aside or choose another one."
                    : "a certificate already exists here; refusing to write a second PKI over the first. Move the directory aside or choose another one.");
        }
        if (separateRoot && File.Exists(Path.Combine(dir, RootKey)))
            throw new PkiFileException(Path.Combine(dir, RootKey), "a root key already exists in the node's folder; move it offline, or choose another folder.");

        CreateOwnerOnlyDirectory(dir);
        if (separateRoot)
        {
            CreateOwnerOnlyDirectory(rootDirectory!);
            WritePair(rootDirectory!, RootCertificate, RootKey, pki.Root);
            WriteNew(Path.Combine(dir, RootCertificate), pki.Root.ExportCertificatePem(), PublicFile);
        }
        else
        {
            WritePair(dir, RootCertificate, RootKey, pki.Root);
        }
        WritePair(dir, NodeCertificate, NodeKey, pki.NodeTls);
        WritePair(dir, SigningCertificate, SigningKey, pki.DocumentSigning);
        WritePair(dir, OperatorCertificate, OperatorKey, pki.Operator);
        foreach (var (office, signing) in pki.OfficeSigning)
        {
            CreateOwnerOnlyDirectory(Path.Combine(dir, OfficesFolder));
            CreateOwnerOnlyDirectory(OfficeDirectory(dir, office));
            WritePair(OfficeDirectory(dir, office), SigningCertificate, SigningKey, signing);
        }
    }

    /// <summary>An operator's own folder: the participant's root.crt and the operator pair, as the CLI reads it (KPNODE_OPERATOR).</summary>
    public static void WriteOperator(string dir, X509Certificate2 root, X509Certificate2 operatorWithKey)
    {
        CreateOwnerOnlyDirectory(dir);
        WriteNew(Path.Combine(dir, RootCertificate), root.ExportCertificatePem(), PublicFile);
        WritePair(dir, OperatorCertificate, OperatorKey, operatorWithKey);
    }

    /// <summary>Creates a folder only its owner can enter (on Unix), if it does not exist.</summary>
    internal static void CreateOwnerOnlyDirectory(string dir)
    {
        if (Directory.Exists(dir))
            return;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(dir);
        else
            Directory.CreateDirectory(dir, OwnerOnlyDirectory);
    }

    /// <summary>
    /// What the CLI needs from a PKI folder to reach the node's Local API: the root (to check the node) and the operator
    /// pair. Nothing else is read, so a signing or TLS pair being replaced never locks the operator out.
    /// </summary>
    public static (X509Certificate2 Root, X509Certificate2 Operator) LoadOperator(string dir) =>
        (LoadCertificate(Path.Combine(dir, RootCertificate)), LoadWithKey(Path.Combine(dir, OperatorCertificate), Path.Combine(dir, OperatorKey)));

    /// <summary>A root CA with its private key, from where the root key is kept (for <c>pki sign</c>).</summary>
    public static X509Certificate2 LoadRootWithKey(string certificatePath, string keyPath)
    {
        var root = LoadWithKey(certificatePath, keyPath);
        if (root.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            var subject = root.Subject;
            root.Dispose();
            throw new PkiFileException(certificatePath, $"'{subject}' is not a CA certificate; give the root.crt made by 'kpnode pki init'.");
        }
        return root;
    }

    /// <summary>
    /// Loads a PKI directory written by <see cref="Write"/>. root.key is optional (a root key
    /// belongs offline once the leaves are issued); every other file is required.
    /// </summary>
    public static ParticipantCredentials Load(string dir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        var loaded = new List<X509Certificate2>();
        try
        {
            var rootKeyPath = Path.Combine(dir, RootKey);
            var root = File.Exists(rootKeyPath)
                ? LoadWithKey(Path.Combine(dir, RootCertificate), rootKeyPath)
                : LoadCertificate(Path.Combine(dir, RootCertificate));
            loaded.Add(root);
            var node = LoadWithKey(Path.Combine(dir, NodeCertificate), Path.Combine(dir, NodeKey));
            loaded.Add(node);
            var signing = LoadWithKey(Path.Combine(dir, SigningCertificate), Path.Combine(dir, SigningKey));
            loaded.Add(signing);
            var op = LoadWithKey(Path.Combine(dir, OperatorCertificate), Path.Combine(dir, OperatorKey));
            loaded.Add(op);

            var participant = ParticipantOf(Path.Combine(dir, NodeCertificate), node);
            foreach (var (name, cert) in new[] { (SigningCertificate, signing), (OperatorCertificate, op) })
            {
                var other = ParticipantOf(Path.Combine(dir, name), cert);
                if (other != participant)
                    throw new PkiFileException(Path.Combine(dir, name),
                        $"belongs to participant {other}, but {NodeCertificate} belongs to {participant}; the directory mixes two PKIs.");
            }

            var offices = new Dictionary<string, X509Certificate2>(StringComparer.Ordinal);
            var officesDir = Path.Combine(dir, OfficesFolder);
            foreach (var officeDir in Directory.Exists(officesDir) ? [.. Directory.GetDirectories(officesDir).Order(StringComparer.Ordinal)] : Array.Empty<string>())
            {
                var certificatePath = Path.Combine(officeDir, SigningCertificate);
                if (!File.Exists(certificatePath))
                    continue;
                var officeSigning = LoadWithKey(certificatePath, Path.Combine(officeDir, SigningKey));
                loaded.Add(officeSigning);
                var office = Path.GetFileName(officeDir);
                if (ParticipantOf(certificatePath, officeSigning) != participant)
                    throw new PkiFileException(certificatePath, $"belongs to participant {ParticipantOf(certificatePath, officeSigning)}, but {NodeCertificate} belongs to {participant}; the directory mixes two PKIs.");
                if (ParticipantIdentity.OfficeFromCertificate(officeSigning) != office)
                    throw new PkiFileException(certificatePath,
                        $"names office {ParticipantIdentity.OfficeFromCertificate(officeSigning) ?? "none"}, but it lies in the folder of office {office}; install it with 'kpnode pki install'.");
                offices[office] = officeSigning;
            }

            var previousPath = Path.Combine(dir, PreviousRoots);
            var previous = File.Exists(previousPath) ? LoadRoots(previousPath, participant) : [];
            loaded.AddRange(previous);
            return new ParticipantCredentials
            {
                Participant = participant,
                Root = root,
                NodeTls = node,
                DocumentSigning = signing,
                Operator = op,
                OfficeSigning = offices,
                PreviousRoots = previous,
            };
        }
        catch
        {
            foreach (var cert in loaded)
                cert.Dispose();
            throw;
        }
    }

    /// <summary>Loads a partner's root (PEM or DER) to use as a trust anchor; it must be a CA certificate.</summary>
    public static X509Certificate2 LoadRoot(string path)
    {
        var cert = LoadCertificate(path);
        var constraints = cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (constraints is not { CertificateAuthority: true })
        {
            var subject = cert.Subject;
            cert.Dispose();
            throw new PkiFileException(path,
                $"'{subject}' is not a CA certificate (BasicConstraints CA=true missing). Configure the partner's root CA certificate, not its node or signing certificate.");
        }
        return cert;
    }

    /// <summary>As <see cref="LoadRoot(string)"/>, and refuses a root that names a different participant.</summary>
    public static X509Certificate2 LoadRoot(string path, string expectedParticipant)
    {
        var cert = LoadRoot(path);
        var named = ParticipantIdentity.FromCertificate(cert);
        if (named is not null && named != expectedParticipant)
        {
            cert.Dispose();
            throw new PkiFileException(path, $"is the root of participant {named}, but it is configured for {expectedParticipant}.");
        }
        return cert;
    }

    /// <summary>
    /// Every root in a partner's root file, in file order (the first is the partner's current root): a PEM file may
    /// hold several during a root rollover; each must be a CA of <paramref name="expectedParticipant"/>.
    /// </summary>
    public static IReadOnlyList<X509Certificate2> LoadRoots(string path, string expectedParticipant)
    {
        var text = ReadText(path, "root certificate");
        if (!text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) || CountOf(text, "-----BEGIN CERTIFICATE-----") == 1)
            return [LoadRoot(path, expectedParticipant)];

        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(text);
        }
        catch (CryptographicException e)
        {
            throw new PkiFileException(path, $"holds a certificate that cannot be read ({e.Message}).");
        }

        var roots = new List<X509Certificate2>();
        foreach (var cert in collection)
        {
            var named = ParticipantIdentity.FromCertificate(cert);
            var problem = cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true }
                ? $"'{cert.Subject}' is not a CA certificate (BasicConstraints CA=true missing)"
                : named is not null && named != expectedParticipant ? $"holds the root of participant {named}, but it is configured for {expectedParticipant}" : null;
            if (problem is not null)
            {
                foreach (var c in collection)
                    c.Dispose();
                throw new PkiFileException(path, problem + ".");
            }

            roots.Add(cert);
        }

        return roots;

        static int CountOf(string text, string marker)
        {
            var count = 0;
            for (var i = text.IndexOf(marker, StringComparison.Ordinal); i >= 0; i = text.IndexOf(marker, i + marker.Length, StringComparison.Ordinal))
                count++;
            return count;
        }
    }

    private static void WritePair(string dir, string certificateName, string keyName, X509Certificate2 cert)
    {
        using var key = cert.GetECDsaPrivateKey()
            ?? throw new ArgumentException($"the certificate for {certificateName} ('{cert.Subject}') has no ECDSA private key.", nameof(cert));
        // Key first: if it cannot be written, no certificate suggests a usable pair.
        WriteNew(Path.Combine(dir, keyName), key.ExportPkcs8PrivateKeyPem(), OwnerOnlyFile);
        WriteNew(Path.Combine(dir, certificateName), cert.ExportCertificatePem(), PublicFile);
    }

    /// <summary>
    /// Creates the file with its final mode in the open call itself, so a key is never readable by
    /// others even for a moment; CreateNew makes a file that appeared since the check an error too.
    /// </summary>
    internal static void WriteNew(string path, string pem, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = mode;
        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(Encoding.ASCII.GetBytes(pem + "\n"));
            stream.Flush(flushToDisk: true);
        }
        catch (IOException e) when (File.Exists(path) && e is not PathTooLongException)
        {
            throw new PkiFileException(path, $"already exists and is never overwritten ({e.Message}).");
        }
    }

    /// <summary>The suffix of a certificate written by <c>pki install</c> and not yet renamed into place.</summary>
    internal const string NewSuffix = ".new";

    private static X509Certificate2 LoadWithKey(string certificatePath, string keyPath)
    {
        var publicOnly = LoadCertificate(certificatePath);
        try
        {
            using var key = ReadKey(keyPath);
            if (!Matches(publicOnly, key))
            {
                // pki install renames the key into place, then the certificate: a crash between the two leaves the new
                // certificate beside its key as *.new, and the install is finished here.
                var pending = certificatePath + NewSuffix;
                if (!File.Exists(pending))
                    throw new PkiFileException(keyPath, $"the private key does not match the certificate in {Path.GetFileName(certificatePath)} ('{publicOnly.Subject}').");
                using var installed = LoadCertificate(pending);
                if (!Matches(installed, key))
                    throw new PkiFileException(keyPath, $"the private key does not match the certificate in {Path.GetFileName(certificatePath)} ('{publicOnly.Subject}'), nor {Path.GetFileName(pending)}.");
                File.Move(pending, certificatePath, overwrite: true);
                publicOnly.Dispose();
                publicOnly = LoadCertificate(certificatePath);
            }
            return publicOnly.CopyWithPrivateKey(key);
        }
        finally
        {
            publicOnly.Dispose();
        }
    }

    /// <summary>An unencrypted PKCS#8 ECDSA private key from a PEM file.</summary>
    internal static ECDsa ReadKey(string keyPath)
    {
        var keyPem = ReadText(keyPath, "private key");
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(keyPem);
            return key;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new PkiFileException(keyPath, $"unreadable private key: expected an unencrypted PKCS#8 ECDSA key (\"PRIVATE KEY\" PEM) ({e.Message}).");
        }
    }

    internal static bool Matches(X509Certificate2 certificate, ECDsa key)
    {
        using var certificateKey = certificate.GetECDsaPublicKey();
        return certificateKey is not null && certificateKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>A certificate in PEM or DER; the message names the file when it is missing or is not one.</summary>
    internal static X509Certificate2 LoadCertificate(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new PkiFileException(path, "certificate file is missing.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PkiFileException(path, $"certificate file cannot be read ({e.Message}).");
        }

        try
        {
            var text = Encoding.ASCII.GetString(bytes);
            return text.Contains("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : X509CertificateLoader.LoadCertificate(bytes);
        }
        catch (CryptographicException e)
        {
            throw new PkiFileException(path, $"is not a readable X.509 certificate in PEM or DER ({e.Message}).");
        }
    }

    internal static string ReadText(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new PkiFileException(path, $"{what} file is missing.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PkiFileException(path, $"{what} file cannot be read ({e.Message}).");
        }
    }

    private static string ParticipantOf(string path, X509Certificate2 cert) =>
        ParticipantIdentity.FromCertificate(cert)
        ?? throw new PkiFileException(path, $"'{cert.Subject}' names no participant ({ParticipantIdentity.ParticipantUriPrefix}<code> URI SAN).");
}
