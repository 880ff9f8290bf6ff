using Google.Protobuf;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Tests.Cli;

public sealed class CliTests
{
    private static readonly JsonParser Json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    [Fact]
    public async Task Pki_init_writes_a_participant_PKI_that_chains_to_its_root_and_never_overwrites_keys()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("kpnode-pki-").FullName, "za");
        try
        {
            var first = await KpNodeProcess.RunAsync("pki", "init", "--participant", "ZA", "--out", dir, "--dns", "kp.sadpmr.example");
            Assert.Equal(0, first.ExitCode);
            Assert.Contains("root.crt", first.Stdout);

            using var credentials = PkiFiles.Load(dir);
            var trust = new TrustChain([credentials.Root]);
            Assert.True(trust.Validate(credentials.NodeTls, [], KeyPurpose.ServerAuth, DateTimeOffset.UtcNow).IsTrusted);
            Assert.True(trust.Validate(credentials.NodeTls, [], KeyPurpose.ClientAuth, DateTimeOffset.UtcNow).IsTrusted);
            Assert.True(trust.Validate(credentials.DocumentSigning, [], KeyPurpose.DocumentSigning, DateTimeOffset.UtcNow).IsTrusted);
            Assert.True(trust.Validate(credentials.Operator, [], KeyPurpose.ClientAuth, DateTimeOffset.UtcNow).IsTrusted);
            Assert.Equal("ZA", ParticipantIdentity.FromCertificate(credentials.NodeTls));
            Assert.Contains("kp.sadpmr.example", credentials.NodeTls.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false)
                + string.Join(",", credentials.NodeTls.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames())));
            var keyBefore = await File.ReadAllBytesAsync(Path.Combine(dir, "root.key"));

            var second = await KpNodeProcess.RunAsync("pki", "init", "--participant", "ZA", "--out", dir);
            Assert.Equal(1, second.ExitCode);
            Assert.Contains("never overwritten", second.Stderr);
            Assert.Equal(keyBefore, await File.ReadAllBytesAsync(Path.Combine(dir, "root.key")));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
        }
    }

    [Fact]
    public async Task Pki_init_refuses_a_participant_code_that_is_not_one()
    {
        var result = await KpNodeProcess.RunAsync("pki", "init", "--participant", "Z!", "--out", Path.GetTempPath());
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--participant", result.Stderr);
    }

    [Fact]
    public async Task Cert_issue_show_and_list_work_through_the_Local_API_with_json_for_scripts()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var za = net["ZA"].Config.FilePath;
        var draft = Path.Combine(KpNodeProcess.RepoRoot(), "node-config", "examples", "za-to-be.json");

        var issued = await KpNodeProcess.RunAsync("cert", "issue", "--config", za, "--file", draft, "--json");
        Assert.True(issued.ExitCode == 0, issued.Stderr);
        var number = Json.Parse<CertificateRecord>(issued.Stdout).Certificate.Number;
        Assert.StartsWith($"ZA-{DateTime.UtcNow.Year}-", number);
        await net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered);

        var shown = await KpNodeProcess.RunAsync("cert", "show", "--config", za, number, "--json");
        Assert.Equal(0, shown.ExitCode);
        var record = Json.Parse<CertificateRecord>(shown.Stdout);
        // The evidence is in the JSON, verifiable offline with BE's root alone.
        var receipt = new EnvelopeVerifier(new TrustChain())
            .Verify(Envelope.Parser.ParseFrom(record.ReceiptEnvelope), [net.RootOf("BE")], DateTimeOffset.UtcNow);
        Assert.Equal("BE", receipt.SignerParticipant);

        var human = await KpNodeProcess.RunAsync("cert", "show", "--config", za, number);
        Assert.Contains("Delivered", human.Stdout);
        Assert.Contains("1,204.50 ct", human.Stdout);

        var listed = await KpNodeProcess.RunAsync("cert", "list", "--config", net["BE"].Config.FilePath, "--status", "received", "--json");
        Assert.Equal(0, listed.ExitCode);
        Assert.Equal([number], Json.Parse<ListCertificatesResponse>(listed.Stdout).Records.Select(r => r.Certificate.Number));

        var status = await KpNodeProcess.RunAsync("status", "--config", za, "--json");
        var parsed = Json.Parse<GetNodeStatusResponse>(status.Stdout);
        Assert.Equal("ZA", parsed.Participant);
        Assert.Equal(1, parsed.CertificateCounts.Single(c => c.Status == CertificateStatus.Delivered).Count);
    }

    [Fact]
    public async Task A_draft_breaking_rules_is_refused_naming_every_field_and_nothing_is_stored()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var draft = Path.Combine(net.Root, "bad.json");
        await File.WriteAllTextAsync(draft, """
            {
              "originCountries": ["ZZ"],
              "importingParticipant": "BE",
              "exporter": { "name": "Kgalagadi Rough Diamonds (Pty) Ltd", "address": "12 Diamond Road, Kimberley", "country": "ZA" },
              "importer": { "name": "Schelde Diamond Trading NV", "address": "Hoveniersstraat 30, Antwerpen", "country": "BE" },
              "parcels": 0,
              "caratsHundredths": "124050",
              "valueUsdCents": "100",
              "hsLines": [ { "hsCode": "7104.10", "caratsHundredths": "120450", "valueUsdCents": "100" } ]
            }
            """);

        var result = await KpNodeProcess.RunAsync("cert", "issue", "--config", net["ZA"].Config.FilePath, "--file", draft);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("The certificate breaks", result.Stderr);
        Assert.DoesNotContain("InvalidArgument", result.Stderr); // words for people, not gRPC status names
        foreach (var field in new[] { "originCountries[0]", "parcels", "caratsHundredths", "hsLines[0].hsCode" })
        {
            Assert.Contains(field + ":", result.Stderr);
        }

        Assert.Empty((await net["ZA"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records);
        Assert.Empty(net.Store("ZA").ReadAudit(0, 10));
    }

    [Fact]
    public async Task A_draft_breaking_hundreds_of_rules_is_refused_by_cert_issue_with_the_first_fifty_listed_and_the_rest_counted()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var broken = KpNode.Cli.DemoDrafts.Draft("ZA", "BE");
        var line = broken.HsLines[0];
        // Within the bound on HS lines, two broken rules a line: more than a 64 KB header would carry, listed in full.
        for (var i = broken.HsLines.Count; i < KpNode.Domain.CertificateRules.MaxHsLines; i++)
            broken.HsLines.Add(new HsLine { HsCode = line.HsCode, CaratsHundredths = 0, ValueUsdCents = -1 });
        var duplicated = KpNode.Cli.DemoDrafts.Draft("ZA", "BE");
        // The 200 duplicate lines of the report: past the bound, refused by that one rule.
        for (var i = duplicated.HsLines.Count; i < 250; i++)
            duplicated.HsLines.Add(line.Clone());

        var many = await IssueAsync(net, broken);
        Assert.True(many.ExitCode == 1, many.Stdout + many.Stderr);
        Assert.Contains("The node refused: The certificate breaks", many.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"- and \d+ more of the same rules", many.Stderr);
        // The first fifty violations and the line that counts the rest.
        Assert.Equal(51, many.Stderr.Split('\n').Count(l => l.TrimStart().StartsWith("- ", StringComparison.Ordinal)));
        var past = await IssueAsync(net, duplicated);
        Assert.True(past.ExitCode == 1, past.Stdout + past.Stderr);
        Assert.Contains("The node refused", past.Stderr, StringComparison.Ordinal);
        Assert.Contains("hsLines: 250 HS lines is more than the 50", past.Stderr, StringComparison.Ordinal);
        Assert.Empty((await net["ZA"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records);

        static async Task<(int ExitCode, string Stdout, string Stderr)> IssueAsync(TestNetwork net, Certificate draft)
        {
            var file = Path.Combine(net.Root, $"draft-{Guid.NewGuid():N}.json");
            await File.WriteAllTextAsync(file, JsonFormatter.Default.Format(draft));
            var run = await KpNodeProcess.RunAsync("cert", "issue", "--config", net["ZA"].Config.FilePath, "--file", file);
            return (run.ExitCode, run.Stdout, run.Stderr);
        }
    }

    [Fact]
    public async Task A_draft_that_is_not_protobuf_json_is_refused_before_anything_is_sent()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var draft = Path.Combine(net.Root, "typo.json");
        await File.WriteAllTextAsync(draft, """{ "carats": 12 }""");
        var result = await KpNodeProcess.RunAsync("cert", "issue", "--config", net["ZA"].Config.FilePath, "--file", draft);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--file", result.Stderr);
        Assert.Contains("carats", result.Stderr);
    }

    [Fact]
    public async Task The_CLI_says_what_to_do_when_the_node_is_not_running()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["ZA"].StopAsync();
        var result = await KpNodeProcess.RunAsync("cert", "list", "--config", net["ZA"].Config.FilePath);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Is the node running?", result.Stderr);
    }

    [Fact]
    public async Task Sigterm_stops_a_running_node_gracefully()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["ZA"].StopAsync();
        using var child = await ChildNode.StartAsync(net["ZA"]);

        var exitCode = await child.TerminateAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, exitCode);
        Assert.Contains("stopping", child.Output);
    }

    [Fact]
    public async Task Confirm_void_check_and_stats_work_from_the_command_line()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var za = net["ZA"].Config.FilePath;
        var be = net["BE"].Config.FilePath;
        var first = await net.DeliverAsync("ZA", "BE");
        var second = await net.DeliverAsync("ZA", "BE");
        var held = (await net.FindAsync("BE", first))!.Certificate;
        var carats = KpNode.Wire.StatisticsMapping.Decimal2(held.CaratsHundredths - 150);

        var confirm = await KpNodeProcess.RunAsync("cert", "confirm", "--config", be, first, "--outcome", "discrepancy",
            "--parcels", held.Parcels.ToString(System.Globalization.CultureInfo.InvariantCulture), "--carats", carats,
            "--received", DateTime.UtcNow.ToString("yyyy-MM-dd"), "--remarks", "one parcel light");
        Assert.True(confirm.ExitCode == 0, confirm.Stderr);
        Assert.Contains("Discrepancy", confirm.Stdout);
        await net.WaitForAsync("ZA", first, r => r.Status == CertificateStatus.Discrepancy);

        var badCarats = await KpNodeProcess.RunAsync("cert", "confirm", "--config", be, second, "--outcome", "confirmed",
            "--parcels", "1", "--carats", "12.345", "--received", "2026-01-01");
        Assert.Equal(1, badCarats.ExitCode);
        Assert.Contains("--carats", badCarats.Stderr);

        var voided = await KpNodeProcess.RunAsync("cert", "void", "--config", za, second, "--reason", "shipment not sent");
        Assert.True(voided.ExitCode == 0, voided.Stderr);
        Assert.Contains("Voided", voided.Stdout);

        var check = await KpNodeProcess.RunAsync("cert", "check", "--config", be, "--issuer", "ZA", second, "--json");
        Assert.Equal(AuthenticityVerdict.Voided, Json.Parse<CheckCertificateResponse>(check.Stdout).Verdict);
        var human = await KpNodeProcess.RunAsync("cert", "check", "--config", be, "--issuer", "ZA", first);
        Assert.Contains("GENUINE", human.Stdout);

        var quarter = $"{DateTime.UtcNow.Year}Q{(DateTime.UtcNow.Month - 1) / 3 + 1}";
        var csv = await KpNodeProcess.RunAsync("stats", "--config", za, "--period", quarter, "--format", "csv");
        Assert.True(csv.ExitCode == 0, csv.Stderr);
        Assert.StartsWith("participant,period,flow,partner,hs_code,certificates,carats,value_usd", csv.Stdout);
        Assert.Contains($"ZA,{quarter},export,BE,all,1,", csv.Stdout);
        var json = await KpNodeProcess.RunAsync("stats", "--config", za, "--period", quarter, "--json");
        Assert.Equal(quarter, Json.Parse<GetStatisticsResponse>(json.Stdout).Period);
        var badPeriod = await KpNodeProcess.RunAsync("stats", "--config", za, "--period", "last-quarter");
        Assert.Equal(1, badPeriod.ExitCode);
        Assert.Contains("period:", badPeriod.Stderr);
    }
}
