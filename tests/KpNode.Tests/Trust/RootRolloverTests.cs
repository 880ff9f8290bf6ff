using System.Security.Cryptography.X509Certificates;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Tests.Trust;

/// <summary>
/// A root rollover end to end with real nodes and the real CLI (issue 15, part 5): ZA makes a new root, announces it
/// in a card both roots sign, BE takes the card with no phone call, ZA moves its node to the new root and restarts.
/// Certificates flow under the new root, and what was signed under the old one still verifies on both sides, also
/// after a later card that names the new root alone.
/// </summary>
public sealed class RootRolloverTests
{
    private static Task<KpNodeProcess.Result> Kpnode(params string[] args) => KpNodeProcess.SucceedsAsync(null, args);

    [Fact]
    public async Task After_a_root_rollover_certificates_flow_under_the_new_root_and_what_the_old_root_signed_still_verifies_on_both_sides()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var before = await net.DeliverAsync("ZA", "BE");
        await net.ConfirmAsync("BE", before);
        await net.WaitForAsync("ZA", before, r => r.Status == CertificateStatus.Confirmed);
        var za = net.PkiDir("ZA");
        using var oldRoot = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(za, "root.crt"));

        // Where ZA's root keys are kept: a new root and its leaves, and the card both roots sign.
        var next = Path.Combine(net.Root, "za-next");
        var nextRoot = Path.Combine(net.Root, "za-root-next");
        await Kpnode("pki", "init", "--participant", "ZA", "--out", next, "--root-out", nextRoot);
        var card = Path.Combine(net.Root, "za-rollover.card");
        await Kpnode("partner", "card", "--config", net["ZA"].Config.FilePath, "--root-key", Path.Combine(za, "root.key"),
            "--root-key", Path.Combine(nextRoot, "root.key"), "--out", card);

        // BE takes it on the old root's word, while running.
        var update = await Kpnode("partner", "update", card, "--config", net["BE"].Config.FilePath);
        Assert.Contains("signed by the root we already trust", update.Stdout, StringComparison.Ordinal);

        // ZA moves its node to the new root; the old root is kept for what it signed.
        await net["ZA"].StopAsync();
        var rollover = await Kpnode("pki", "rollover", "--pki", za, "--from", next, "--json");
        Assert.Contains("\"takesEffect\": \"restart\"", rollover.Stdout, StringComparison.Ordinal);
        Assert.Equal(oldRoot.RawData, PkiFiles.LoadRoots(Path.Combine(za, PkiFiles.PreviousRoots), "ZA").Single().RawData);
        await net["ZA"].StartAsync();

        // A certificate signed by a leaf of the new root is accepted by BE, and BE's receipt by ZA.
        var after = await net.DeliverAsync("ZA", "BE");
        var signed = Envelope.Parser.ParseFrom((await net.FindAsync("BE", after))!.CertificateEnvelope);
        using var signer = X509CertificateLoader.LoadCertificate(signed.Signatures[0].X5C[0].ToByteArray());
        using var newRoot = Root(next);
        Assert.True(new TrustChain().Validate(signer, [], KeyPurpose.DocumentSigning, DateTimeOffset.UtcNow, [newRoot]).IsTrusted, "signed under the new root");
        Assert.False(new TrustChain().Validate(signer, [], KeyPurpose.DocumentSigning, DateTimeOffset.UtcNow, [oldRoot]).IsTrusted, "not under the old one");

        // What the old root signed is served on both sides: each read verifies the stored evidence first.
        Assert.Equal(CertificateStatus.Confirmed, (await net.FindAsync("ZA", before))!.Status);
        Assert.Equal(CertificateStatus.Confirmed, (await net.FindAsync("BE", before))!.Status);
        var check = await KpNodeProcess.RunAsync("audit", "verify", "--config", net["ZA"].Config.FilePath);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);

        // After the overlap ZA's card names the new root alone; BE keeps the old one for what it signed.
        await Eventually.WaitAsync(() => File.GetLastWriteTimeUtc(card).AddSeconds(1) <= DateTime.UtcNow, TimeSpan.FromSeconds(5), "a later second for the next card's date");
        var alone = Path.Combine(net.Root, "za-new-root.card");
        await Kpnode("partner", "card", "--config", net["ZA"].Config.FilePath, "--root-key", Path.Combine(nextRoot, "root.key"), "--out", alone);
        await Kpnode("partner", "update", alone, "--config", net["BE"].Config.FilePath);
        await net["BE"].StopAsync();
        net["BE"].Config = KpNode.Configuration.NodeConfig.Load(net["BE"].Config.FilePath); // as partner update wrote it
        Assert.Equal(2, PkiFiles.LoadRoots(net["BE"].Config.Options.Partners.Single(p => p.Participant == "ZA").RootCertificate, "ZA").Count);
        await net["BE"].StartAsync();
        Assert.Equal(CertificateStatus.Confirmed, (await net.FindAsync("BE", before))!.Status);
        Assert.Equal(CertificateStatus.Received, (await net.FindAsync("BE", after))!.Status);
        var third = await net.DeliverAsync("ZA", "BE");
        Assert.NotNull(await net.FindAsync("BE", third));
    }

    [Fact]
    public async Task A_rollover_to_the_same_root_or_another_participants_pki_is_refused_and_changes_nothing()
    {
        using var temp = new TempFolder();
        await Kpnode("pki", "init", "--participant", "ZA", "--out", temp.Path("za"));
        await Kpnode("pki", "init", "--participant", "BE", "--out", temp.Path("be"));
        var files = Snapshot(temp.Path("za"));

        var same = await KpNodeProcess.RunAsync("pki", "rollover", "--pki", temp.Path("za"), "--from", temp.Path("za"));
        Assert.NotEqual(0, same.ExitCode);
        Assert.Contains("a rollover takes a new root", same.Stderr, StringComparison.Ordinal);
        var other = await KpNodeProcess.RunAsync("pki", "rollover", "--pki", temp.Path("za"), "--from", temp.Path("be"));
        Assert.NotEqual(0, other.ExitCode);
        Assert.Contains("is a PKI of participant BE", other.Stderr, StringComparison.Ordinal);
        Assert.Equal(files, Snapshot(temp.Path("za")));
    }

    private static X509Certificate2 Root(string pki) => X509CertificateLoader.LoadCertificateFromFile(Path.Combine(pki, "root.crt"));

    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);

    private sealed class TempFolder : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kpnode-rollover-");

        public string Path(string name) => System.IO.Path.Combine(_dir.FullName, name);

        public void Dispose() => _dir.Delete(recursive: true);
    }
}
