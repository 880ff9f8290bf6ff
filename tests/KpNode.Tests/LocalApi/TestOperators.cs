using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KpNode.Cli;
using KpNode.Tests.Exchange;
using KpNode.Trust;

namespace KpNode.Tests.LocalApi;

/// <summary>
/// Named operators of a test node, each in a folder of its own (root.crt, operator.crt, operator.key) as
/// KPNODE_OPERATOR reads it, with the roles its certificate names: issued by the node's root, whose key the test PKI holds.
/// </summary>
internal static class TestOperators
{
    /// <summary>The folder of a new operator <paramref name="id"/> of <paramref name="code"/>'s root, granting <paramref name="roles"/>.</summary>
    public static string Create(TestNetwork net, string code, string id, string displayName, params OperatorRole[] roles) =>
        CreateForOffice(net, code, null, id, displayName, roles);

    /// <summary>As <see cref="Create"/>, for an operator of <paramref name="office"/> (null: participant-level).</summary>
    public static string CreateForOffice(TestNetwork net, string code, string? office, string id, string displayName, params OperatorRole[] roles)
    {
        using var pki = net.Credentials(code);
        var now = DateTimeOffset.UtcNow;
        using var cert = CertificateAuthority.IssueLeaf(pki.Root, code, LeafKind.Operator, now.AddMinutes(-5), now.AddDays(30),
            operatorName: id, office: office, roles: roles, operatorDisplayName: displayName);
        return Write(net, code, id, cert);
    }

    /// <summary>An operator folder whose certificate names these URI SANs exactly (e.g. a role KpNode does not know).</summary>
    public static string CreateWithUris(TestNetwork net, string code, string id, params string[] uris)
    {
        using var pki = net.Credentials(code);
        var profile = new LeafProfile(code, LeafKind.Operator, [], id, id, true, null, null);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(profile.Subject, key, HashAlgorithmName.SHA256);
        foreach (var extension in profile.Extensions().Where(e => e.Oid?.Value != "2.5.29.17"))
            request.CertificateExtensions.Add(extension);
        request.CertificateExtensions.Add(LeafProfile.SubjectAltNames([], [], uris));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(pki.Root, true, false));
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(pki.Root, now.AddMinutes(-5), now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        using var cert = issued.CopyWithPrivateKey(key);
        return Write(net, code, id, cert);
    }

    /// <summary>A Local API client presenting the operator certificate of <paramref name="folder"/>.</summary>
    public static LocalApiClient Connect(TestNetwork net, string code, string folder) =>
        LocalApiClient.Connect(net[code].Config, net[code].Host!.LocalPort, folder);

    private static string Write(TestNetwork net, string code, string id, X509Certificate2 cert)
    {
        var dir = Path.Combine(net.Root, "operators", code.ToLowerInvariant(), id);
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(net.PkiDir(code), PkiFiles.RootCertificate), Path.Combine(dir, PkiFiles.RootCertificate));
        using var key = cert.GetECDsaPrivateKey()!;
        var keyPath = Path.Combine(dir, PkiFiles.OperatorKey);
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(dir, PkiFiles.OperatorCertificate), cert.ExportCertificatePem() + "\n");
        return dir;
    }
}
