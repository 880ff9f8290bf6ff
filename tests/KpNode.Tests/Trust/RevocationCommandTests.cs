using KpNode.Tests.Cli;
using KpNode.Trust;

namespace KpNode.Tests.Trust;

/// <summary>
/// `kpnode pki revoke` where the root key is kept, as a person runs it: the real binary writes the CRL, and openssl
/// (not ours) checks its signature and that it revokes the certificate.
/// </summary>
public sealed class RevocationCommandTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("kpnode-revoke-");

    public void Dispose() => _temp.Delete(recursive: true);

    private string Pki => Path.Combine(_temp.FullName, "node", "pki");

    private string RootDir => Path.Combine(_temp.FullName, "usb", "kp-root");

    private string RootKey => Path.Combine(RootDir, "root.key");

    private string Crl => Path.Combine(RootDir, "crl.pem");

    private static Task<KpNodeProcess.Result> Kpnode(params string[] args) => KpNodeProcess.SucceedsAsync(null, args);

    private static async Task<string> Refused(params string[] args)
    {
        var result = await KpNodeProcess.RunAsync(args);
        Assert.True(result.ExitCode != 0, $"kpnode {string.Join(' ', args)} succeeded:\n{result.Stdout}");
        return result.Stdout + result.Stderr;
    }

    internal static async Task<(int Exit, string Output)> OpenSsl(params string[] args)
    {
        await ThirdPartyTools.RequireOpenSslAsync();
        var (exit, stdout, stderr) = await ThirdPartyTools.RunAsync(ThirdPartyTools.OpenSsl, args, TimeSpan.FromSeconds(30));
        return (exit, stdout + stderr);
    }

    private string Serial(string file)
    {
        using var certificate = PkiFiles.LoadCertificate(Path.Combine(Pki, file));
        return certificate.SerialNumber;
    }

    [Fact]
    public async Task Revoke_writes_a_crl_signed_by_the_root_that_openssl_verifies_and_that_makes_openssl_report_the_leaf_revoked()
    {
        await Kpnode("pki", "init", "--participant", "ZA", "--out", Pki, "--root-out", RootDir);
        var signing = Path.Combine(Pki, "signing.crt");
        var root = Path.Combine(RootDir, "root.crt");
        Assert.Equal(0, (await OpenSsl("verify", "-CAfile", root, signing)).Exit);

        var revoked = await Kpnode("pki", "revoke", "--root-key", RootKey, "--serial", Serial("signing.crt"), "--reason", "superseded");
        Assert.Contains("kpnode pki publish crl.pem", revoked.Stdout);

        var (crlExit, crlOutput) = await OpenSsl("crl", "-in", Crl, "-noout", "-verify", "-CAfile", root);
        Assert.True(crlExit == 0 && crlOutput.Contains("verify OK", StringComparison.Ordinal), crlOutput);
        var (verifyExit, verifyOutput) = await OpenSsl("verify", "-crl_check", "-CRLfile", Crl, "-CAfile", root, signing);
        Assert.NotEqual(0, verifyExit);
        Assert.Contains("certificate revoked", verifyOutput);
        // The node's TLS certificate is not in it.
        Assert.Equal(0, (await OpenSsl("verify", "-crl_check", "-CRLfile", Crl, "-CAfile", root, Path.Combine(Pki, "node.crt"))).Exit);
    }

    [Fact]
    public async Task A_second_revocation_keeps_every_earlier_entry_and_numbers_the_list_one_higher_with_each_reason_and_time()
    {
        await Kpnode("pki", "init", "--participant", "ZA", "--out", Pki, "--root-out", RootDir);
        await Kpnode("pki", "revoke", "--root-key", RootKey, "--serial", Serial("signing.crt"), "--reason", "superseded");
        var compromised = DateTimeOffset.UtcNow.AddDays(-3);
        await Kpnode("pki", "revoke", "--root-key", RootKey, "--serial", Serial("node.crt"), "--reason", "keyCompromise",
            "--effective", compromised.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));

        var (_, text) = await OpenSsl("crl", "-in", Crl, "-noout", "-text");
        Assert.Matches(@"X509v3 CRL Number:\s*\n\s*2", text);
        Assert.Contains(Serial("signing.crt"), text);
        Assert.Contains(Serial("node.crt"), text);
        Assert.Contains("Superseded", text);
        Assert.Contains("Key Compromise", text);
        Assert.Contains("Next Update", text);

        using var rootCertificate = PkiFiles.LoadRoot(Path.Combine(RootDir, "root.crt"));
        var list = RevocationList.Verified(await File.ReadAllBytesAsync(Crl), rootCertificate, "ZA");
        Assert.Equal(2, (int)list.Number);
        var entry = list.Find(Serial("node.crt"))!;
        Assert.Equal(compromised.ToUnixTimeSeconds(), entry.EffectiveAt.ToUnixTimeSeconds());
        Assert.Equal("keyCompromise", entry.ReasonName);
        Assert.Equal("superseded", list.Find(Serial("signing.crt"))!.ReasonName);
        var openssl = await OpenSsl("verify", "-crl_check", "-CRLfile", Crl, "-CAfile", Path.Combine(RootDir, "root.crt"), Path.Combine(Pki, "node.crt"));
        Assert.Contains("certificate revoked", openssl.Output);
    }

    [Fact]
    public async Task Revoke_refuses_a_bad_serial_a_future_time_a_back_dated_supersession_and_a_crl_of_another_root_saying_what_to_do()
    {
        await Kpnode("pki", "init", "--participant", "ZA", "--out", Pki, "--root-out", RootDir);
        var serial = Serial("signing.crt");

        Assert.Contains("openssl x509", await Refused("pki", "revoke", "--root-key", RootKey, "--serial", "not-hex", "--reason", "superseded"));
        Assert.Contains("keyCompromise, superseded, cessationOfOperation",
            await Refused("pki", "revoke", "--root-key", RootKey, "--serial", serial, "--reason", "lost"));
        Assert.Contains("in the future", await Refused("pki", "revoke", "--root-key", RootKey, "--serial", serial, "--reason", "keyCompromise",
            "--effective", DateTime.UtcNow.AddHours(2).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains("only --reason keyCompromise is back-dated", await Refused("pki", "revoke", "--root-key", RootKey, "--serial", serial, "--reason", "superseded",
            "--effective", DateTime.UtcNow.AddDays(-2).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.False(File.Exists(Crl));

        // BE's root extends no CRL of ZA's.
        var beRoot = Path.Combine(_temp.FullName, "be-root");
        await Kpnode("pki", "init", "--participant", "BE", "--out", Path.Combine(_temp.FullName, "be"), "--root-out", beRoot);
        await Kpnode("pki", "revoke", "--root-key", RootKey, "--serial", serial, "--reason", "superseded");
        var before = await File.ReadAllBytesAsync(Crl);
        var foreign = await Refused("pki", "revoke", "--root-key", Path.Combine(beRoot, "root.key"), "--serial", "0A", "--reason", "superseded", "--out", Crl);
        Assert.Contains("not signed by BE's root", foreign);
        Assert.Contains("--out", foreign);
        Assert.Contains("already revoked", await Refused("pki", "revoke", "--root-key", RootKey, "--serial", serial.ToLowerInvariant(), "--reason", "superseded"));
        Assert.Equal(before, await File.ReadAllBytesAsync(Crl));
    }
}
