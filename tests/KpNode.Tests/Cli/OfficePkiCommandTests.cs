using KpNode.Trust;

namespace KpNode.Tests.Cli;

/// <summary>
/// Offices and roles in the PKI, as a person makes them with the root key offline: `pki init --office`, an office's
/// signing key and an office operator's own folder through request, sign and install; openssl (not ours) reads the names.
/// </summary>
public sealed class OfficePkiCommandTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("kpnode-offices-");

    public void Dispose() => _temp.Delete(recursive: true);

    private string Pki => Path.Combine(_temp.FullName, "node", "pki");

    private string RootDir => Path.Combine(_temp.FullName, "usb", "kp-root");

    private static Task<KpNodeProcess.Result> Kpnode(params string[] args) => KpNodeProcess.SucceedsAsync(null, args);

    private static async Task<string> SubjectAltNames(string certificate)
    {
        await ThirdPartyTools.RequireOpenSslAsync();
        var (exit, stdout, stderr) = await ThirdPartyTools.RunAsync(ThirdPartyTools.OpenSsl, ["x509", "-in", certificate, "-noout", "-ext", "subjectAltName"], TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, stderr);
        return stdout;
    }

    /// <summary>Signs a request where the root key is and installs the certificate in <paramref name="dir"/>.</summary>
    private async Task<KpNodeProcess.Result> SignAndInstallAsync(string csr, string dir)
    {
        await Kpnode("pki", "sign", "--root-key", Path.Combine(RootDir, "root.key"), csr);
        return await Kpnode("pki", "install", Path.ChangeExtension(csr, ".crt"), "--pki", dir);
    }

    [Fact]
    public async Task Init_with_an_office_then_a_second_office_through_request_sign_install_each_get_a_signing_key_naming_the_office()
    {
        await Kpnode("pki", "init", "--participant", "EU", "--out", Pki, "--root-out", RootDir, "--office", "DE-IDAR-OBERSTEIN");
        Assert.Contains("URI:kp:office:DE-IDAR-OBERSTEIN", await SubjectAltNames(Path.Combine(Pki, "offices", "DE-IDAR-OBERSTEIN", "signing.crt")));

        await Kpnode("pki", "request", "--purpose", "signing", "--office", "CZ-PRAGUE", "--pki", Pki);
        var csr = Path.Combine(Pki, "pending", "signing-CZ-PRAGUE.csr");
        var installed = await SignAndInstallAsync(csr, Pki);

        Assert.Contains("none (the first of its kind here)", installed.Stdout);
        var sans = await SubjectAltNames(Path.Combine(Pki, "offices", "CZ-PRAGUE", "signing.crt"));
        Assert.Contains("URI:kp:participant:EU", sans);
        Assert.Contains("URI:kp:office:CZ-PRAGUE", sans);
        using var loaded = PkiFiles.Load(Pki);
        Assert.Equal(["CZ-PRAGUE", "DE-IDAR-OBERSTEIN"], loaded.OfficeSigning.Keys.Order(StringComparer.Ordinal));
        Assert.False(File.Exists(csr));
    }

    [Fact]
    public async Task An_office_operator_gets_a_folder_of_their_own_with_the_office_and_roles_in_the_certificate()
    {
        await Kpnode("pki", "init", "--participant", "EU", "--out", Pki, "--root-out", RootDir);
        var weber = Path.Combine(_temp.FullName, "operators", "k.weber");
        Directory.CreateDirectory(weber);
        File.Copy(Path.Combine(Pki, "root.crt"), Path.Combine(weber, "root.crt"));

        await Kpnode("pki", "request", "--purpose", "operator", "--pki", weber, "--name", "K. Weber", "--office", "DE-IDAR-OBERSTEIN",
            "--role", "issuing-officer", "--role", "customs");
        await SignAndInstallAsync(Path.Combine(weber, "pending", "operator.csr"), weber);

        var sans = await SubjectAltNames(Path.Combine(weber, "operator.crt"));
        foreach (var uri in new[] { "kp:participant:EU", "kp:office:DE-IDAR-OBERSTEIN", "kp:operator:k.weber", "kp:role:issuing-officer", "kp:role:customs" })
            Assert.Contains("URI:" + uri, sans);
        var (_, op) = PkiFiles.LoadOperator(weber);
        Assert.Equal([OperatorRole.IssuingOfficer, OperatorRole.Customs], ParticipantIdentity.RolesFromCertificate(op));
    }

    [Fact]
    public async Task A_role_nobody_knows_or_an_office_on_a_tls_key_is_refused_with_what_to_give_instead()
    {
        await Kpnode("pki", "init", "--participant", "EU", "--out", Pki, "--root-out", RootDir);

        var role = await KpNodeProcess.RunAsync("pki", "request", "--purpose", "operator", "--pki", Pki, "--role", "superuser");
        Assert.Equal(1, role.ExitCode);
        Assert.Contains("--role: 'superuser' is not a role; give one of issuing-officer, approving-officer, customs, statistics, administrator", role.Stderr);
        var tls = await KpNodeProcess.RunAsync("pki", "request", "--purpose", "tls", "--pki", Pki, "--office", "DE-IDAR-OBERSTEIN");
        Assert.Equal(1, tls.ExitCode);
        Assert.Contains("--office: the node's TLS certificate serves the whole participant", tls.Stderr);
        Assert.False(Directory.Exists(Path.Combine(Pki, "pending")) && Directory.EnumerateFiles(Path.Combine(Pki, "pending")).Any());
    }
}
