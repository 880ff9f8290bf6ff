using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Tests.Cli;

/// <summary>
/// Operators are named people: the name in the operator certificate a person installed reaches the certificate history
/// and the audit log, through the real CLI and a real node; the name is read from the certificate, never from the request.
/// </summary>
public sealed class OperatorNameTests
{
    private static readonly JsonParser Json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    private static Task<KpNodeProcess.Result> Kpnode(params string[] args) => KpNodeProcess.SucceedsAsync(null, args);

    [Fact]
    public async Task A_certificate_issued_by_a_named_operator_says_who_in_its_history_and_in_the_audit_log()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var za = net["ZA"].Config.FilePath;
        var pki = net.PkiDir("ZA");
        var draft = Path.Combine(KpNodeProcess.RepoRoot(), "node-config", "examples", "za-to-be.json");

        // The dev operator first (through the Local API client the CLI uses): it keeps its plain name.
        var before = await net.IssueAsync("ZA", "BE");
        Assert.StartsWith("Issued by operator;", before.History[0].Text);

        await Kpnode("pki", "request", "--purpose", "operator", "--name", "N. Dlamini", "--pki", pki);
        await Kpnode("pki", "sign", "--root-key", Path.Combine(pki, "root.key"), Path.Combine(pki, "pending", "operator.csr"));
        await Kpnode("pki", "install", Path.Combine(pki, "pending", "operator.crt"), "--pki", pki);

        var issued = Json.Parse<CertificateRecord>((await Kpnode("cert", "issue", "--config", za, "--file", draft, "--json")).Stdout);
        var number = issued.Certificate.Number;
        await net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered);
        await Kpnode("cert", "void", "--config", za, number, "--reason", "shipment not sent");

        var shown = Json.Parse<CertificateRecord>((await Kpnode("cert", "show", "--config", za, number, "--json")).Stdout);
        Assert.StartsWith("Issued by N. Dlamini;", shown.History[0].Text);
        Assert.Contains(shown.History, e => e.Text.StartsWith("Voided by N. Dlamini: shipment not sent", StringComparison.Ordinal));
        var human = await Kpnode("cert", "show", "--config", za, number);
        Assert.Contains("Issued by N. Dlamini", human.Stdout);

        var audit = net.Store("ZA").ReadAudit(1, 1000);
        Assert.Equal("operator", Assert.Single(audit, e => e.Action == "certificate.issued" && e.Subject == before.Certificate.Number).Actor);
        Assert.Equal("N. Dlamini (n.dlamini)", Assert.Single(audit, e => e.Action == "certificate.issued" && e.Subject == number).Actor);
        Assert.Equal("N. Dlamini (n.dlamini)", Assert.Single(audit, e => e.Action == "certificate.voided" && e.Subject == number).Actor);
    }

    [Fact]
    public async Task The_importer_s_named_operator_confirms_in_their_own_name()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var number = await net.DeliverAsync("ZA", "BE");
        var pki = net.PkiDir("BE");
        await Kpnode("pki", "request", "--purpose", "operator", "--name", "Zoë O'Brien", "--pki", pki);
        await Kpnode("pki", "sign", "--root-key", Path.Combine(pki, "root.key"), Path.Combine(pki, "pending", "operator.csr"));
        await Kpnode("pki", "install", Path.Combine(pki, "pending", "operator.crt"), "--pki", pki);

        var held = await net.FindAsync("BE", number);
        await Kpnode("cert", "confirm", "--config", net["BE"].Config.FilePath, number, "--outcome", "confirmed",
            "--received", DateTime.UtcNow.ToString("yyyy-MM-dd"), "--carats", KpNode.Wire.StatisticsMapping.Decimal2(held!.Certificate.CaratsHundredths),
            "--parcels", held.Certificate.Parcels.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var shown = Json.Parse<CertificateRecord>((await Kpnode("cert", "show", "--config", net["BE"].Config.FilePath, number, "--json")).Stdout);
        Assert.Contains(shown.History, e => e.Text.StartsWith("Confirmed by Zoë O'Brien", StringComparison.Ordinal));
        Assert.Equal("Zoë O'Brien (zoe.o.brien)", Assert.Single(net.Store("BE").ReadAudit(1, 1000), e => e.Action == "import.confirmed").Actor);
    }

    [Fact]
    public async Task An_operator_certificate_whose_name_is_not_printable_text_is_known_by_its_id()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        // Made by hand with the root key: pki request refuses such a name, so only a hand-made certificate carries one.
        using var root = PkiFiles.LoadRootWithKey(Path.Combine(net.PkiDir("ZA"), "root.crt"), Path.Combine(net.PkiDir("ZA"), "root.key"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var profile = new LeafProfile("ZA", LeafKind.Operator, [], "n.dlamini", "N. Dlamini\u202Eevil");
        using var issued = CertificateAuthority.IssueForKey(root, new PublicKey(key), profile, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var withKey = issued.CopyWithPrivateKey(key);
        using var client = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);

        var record = (await net.DialLocal("ZA", client).IssueCertificateAsync(new IssueCertificateRequest { Draft = KpNode.Cli.DemoDrafts.Draft("ZA", "BE") })).Record;

        Assert.StartsWith("Issued by n.dlamini;", record.History[0].Text);
        Assert.Equal("n.dlamini", Assert.Single(net.Store("ZA").ReadAudit(1, 1000), e => e.Subject == record.Certificate.Number).Actor);
        Assert.Null(OperatorNames.DisplayNameIn(client, "ZA"));
        Assert.Null(OperatorNames.DisplayNameIn(client, "BE"));
    }
}
