using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Tests.Evidence;

/// <summary>
/// One period bundle exported by the real CLI from ZA's node, shared by a test class: a certificate issued, delivered
/// and confirmed, another voided, and a revocation list from each root (so the bundle carries CRLs). The network is
/// stopped once the bundle is written; the roots and PKI folders are kept beside it for the checks and the forgeries.
/// </summary>
public sealed class ExportedPeriodBundle : IAsyncLifetime
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("kpnode-bundle-");

    /// <summary>The exported bundle as written: tests copy it (<see cref="Copy"/>) before changing anything.</summary>
    public string Bundle => Path.Combine(_temp.FullName, "bundle");

    public string Confirmed { get; private set; } = "";

    public string Voided { get; private set; } = "";

    /// <summary>The serial each root revoked: no key that signed anything in the bundle.</summary>
    public const string RevokedSerial = "7E5701";

    public string Root(string code) => Path.Combine(Pki(code), "root.crt");

    /// <summary>The participant's PKI folder as its node had it (private keys included, in the temp folder only).</summary>
    public string Pki(string code) => Path.Combine(_temp.FullName, "pki", code.ToLowerInvariant());

    public async Task InitializeAsync()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        Confirmed = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        await net.WaitForAsync("ZA", Confirmed, r => r.Status == CertificateStatus.Delivered);
        await net.ConfirmAsync("BE", Confirmed);
        await net.WaitForAsync("ZA", Confirmed, r => r.Status == CertificateStatus.Confirmed);

        Voided = await net.DeliverAsync("ZA", "BE");
        await net["ZA"].Client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = Voided, Reason = "shipment not sent" });
        await Eventually.WaitAsync(() => Task.FromResult(net.Store("ZA").FindCertificate(Voided)?.VoidMessageId is { } id ? net.Store("ZA").FindMessage(id) : null),
            m => m?.ReceiptEnvelope is { Length: > 0 }, TimeSpan.FromSeconds(30), m => $"the void of {Voided} has no receipt yet: {m?.Status} {m?.LastError}");

        foreach (var code in new[] { "ZA", "BE" })
        {
            using var root = PkiFiles.LoadRootWithKey(Path.Combine(net.PkiDir(code), "root.crt"), Path.Combine(net.PkiDir(code), "root.key"));
            var now = DateTimeOffset.UtcNow;
            var list = RevocationListIssuer.Revoke(root, null, "crl.pem", RevocationListIssuer.ParseSerial(RevokedSerial), X509RevocationReason.KeyCompromise, now, now);
            await net[code].Client.Api.PublishRevocationListAsync(new PublishRevocationListRequest { Crl = ByteString.CopyFrom(list.Der) });
        }

        await Eventually.WaitAsync(() => Task.FromResult(net.Store("ZA").FindRevocationList("BE")), l => l is not null, TimeSpan.FromSeconds(30),
            _ => "ZA does not hold BE's revocation list");

        // No --period: the current quarter, as an auditor types it.
        var run = await KpNodeProcess.RunAsync("cert", "export", "--out", Bundle, "--config", net["ZA"].Config.FilePath);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        foreach (var code in new[] { "ZA", "BE" })
        {
            Directory.CreateDirectory(Pki(code));
            foreach (var file in Directory.GetFiles(net.PkiDir(code)))
                File.Copy(file, Path.Combine(Pki(code), Path.GetFileName(file)));
        }
    }

    public Task DisposeAsync()
    {
        _temp.Delete(recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A fresh copy of the bundle to alter.</summary>
    public string Copy()
    {
        var target = Path.Combine(_temp.FullName, "copy-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.GetFiles(Bundle, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Bundle, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        return target;
    }

    /// <summary>The envelopes (not receipts) under messages/, by file name.</summary>
    public static IReadOnlyList<string> Envelopes(string bundle) =>
        [.. Directory.GetFiles(Path.Combine(bundle, "messages"), "*.dsse.json").Where(f => !f.EndsWith(".receipt.dsse.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    public static string Relative(string bundle, string file) => Path.GetRelativePath(bundle, file).Replace('\\', '/');
}
