using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Google.Protobuf;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Tests.Cli;

/// <summary>What a person or a script sees from the real binary with its stdout a pipe: plain text, whole values, pages that lead somewhere.</summary>
public sealed class CliOutputTests
{
    private static readonly JsonParser Json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    // As in a script or `| less`: no COLUMNS, stdout a pipe.
    private static Task<KpNodeProcess.Result> Piped(params string[] args) =>
        KpNodeProcess.RunAsync(new Dictionary<string, string?> { ["COLUMNS"] = null }, args);

    [Fact]
    public async Task Piped_cert_list_and_status_print_each_certificate_on_one_plain_line_without_box_drawing()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var numbers = new[] { await net.DeliverAsync("ZA", "BE"), await net.DeliverAsync("ZA", "BE") };
        await net["BE"].StopAsync(); // BE unreachable: the status shows a long error and "unreachable" must not break

        var list = await Piped("cert", "list", "--config", net["ZA"].Config.FilePath);
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.DoesNotMatch("[│┃─━╭╮╰╯┌┐└┘]", list.Stdout);
        Assert.DoesNotContain("\u001b[", list.Stdout); // no colour codes in a pipe
        foreach (var number in numbers)
        {
            Assert.Matches($"(?m)^{number}  Delivered  BE  ", list.Stdout);
        }

        var za = net["ZA"].Config.FilePath;
        var waiting = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        await net.WaitForAsync("ZA", waiting, r => r.Attempts > 0);
        var status = await KpNodeProcess.RunAsync(new Dictionary<string, string?> { ["COLUMNS"] = null }, "status", "--config", za);
        Assert.True(status.ExitCode == 0, status.Stderr);
        Assert.DoesNotMatch("[│┃─━╭╮╰╯┌┐└┘]", status.Stdout);
        Assert.Matches("(?m)^BE  ", status.Stdout);
        Assert.DoesNotMatch("(?m)unreachab$", status.Stdout);
    }

    [Fact]
    public async Task Cert_list_shows_the_newest_first_and_its_next_page_token_leads_to_the_rest_and_all_streams_every_page()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var numbers = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            numbers.Add((await net.IssueAsync("ZA", "BE")).Certificate.Number);
        }

        var za = net["ZA"].Config.FilePath;
        var first = await Piped("cert", "list", "--config", za, "--limit", "2");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var shown = Regex.Matches(first.Stdout, @"(?m)^ZA-\d{4}-\d{6}").Select(m => m.Value).ToList();
        Assert.Equal([numbers[4], numbers[3]], shown);
        var token = Regex.Match(first.Stdout, @"--page-token (\S+)").Groups[1].Value;
        Assert.Contains("--all", first.Stdout);

        var second = await Piped("cert", "list", "--config", za, "--limit", "2", "--page-token", token, "--json");
        Assert.True(second.ExitCode == 0, second.Stderr);
        var page = Json.Parse<ListCertificatesResponse>(second.Stdout);
        Assert.Equal([numbers[2], numbers[1]], page.Records.Select(r => r.Certificate.Number));

        // --all with --json: JSON Lines, every certificate once, newest first, however small the page.
        var all = await Piped("cert", "list", "--config", za, "--limit", "2", "--all", "--json");
        Assert.True(all.ExitCode == 0, all.Stderr);
        var lines = all.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Reverse(numbers), lines.Select(l => Json.Parse<CertificateRecord>(l).Certificate.Number));

        // A partner's pages merge one range per status: some of these are Delivered by now, some still Issued.
        await net.WaitForAsync("ZA", numbers[1], r => r.Status == CertificateStatus.Delivered);
        var partner = await Piped("cert", "list", "--config", za, "--partner", "BE", "--limit", "2", "--all", "--json");
        Assert.Equal(Enumerable.Reverse(numbers), partner.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Json.Parse<CertificateRecord>(l).Certificate.Number));
        var partnerOldest = await Piped("cert", "list", "--config", za, "--partner", "BE", "--limit", "2", "--all", "--oldest-first", "--json");
        Assert.Equal(numbers, partnerOldest.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Json.Parse<CertificateRecord>(l).Certificate.Number));

        var oldest = await Piped("cert", "list", "--config", za, "--oldest-first", "--limit", "1", "--json");
        Assert.True(oldest.ExitCode == 0, oldest.Stderr);
        Assert.Equal([numbers[0]], Json.Parse<ListCertificatesResponse>(oldest.Stdout).Records.Select(r => r.Certificate.Number));
    }

    [Fact]
    public async Task Cert_list_filters_by_number_prefix_exporter_importer_date_of_issue_and_seal_number()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var outbound = await net.DeliverAsync("ZA", "BE");
        var inbound = await net.DeliverAsync("BE", "ZA");
        var za = net["ZA"].Config.FilePath;
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        async Task<string[]> Numbers(params string[] filters)
        {
            var r = await Piped(["cert", "list", "--config", za, "--json", .. filters]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return Json.Parse<ListCertificatesResponse>(r.Stdout).Records.Select(x => x.Certificate.Number).ToArray();
        }

        Assert.Equal([outbound], await Numbers("--number", "ZA-"));
        Assert.Equal([inbound], await Numbers("--exporter", "be"));
        Assert.Equal([outbound], await Numbers("--importer", "BE"));
        Assert.Equal([outbound], await Numbers("--partner", "BE", "--importer", "BE"));
        Assert.Equal(2, (await Numbers("--from", today, "--to", today)).Length);
        Assert.Empty(await Numbers("--to", "2000-01-01"));
        var seal = (await net.FindAsync("ZA", inbound))!.Certificate.SealNumber;
        Assert.Equal([inbound], await Numbers("--seal", seal));
        Assert.Empty(await Numbers("--seal", seal + "9"));
    }

    [Fact]
    public async Task The_parsers_own_errors_use_the_one_spelling_of_Error_and_say_where_help_is()
    {
        var missing = await Piped("cert", "list");
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("Error: Option '--config' is required.", missing.Stderr);
        Assert.Contains("See 'kpnode cert list --help'.", missing.Stderr);
        Assert.Empty(missing.Stdout);

        var unknown = await Piped("outbox", "lsit");
        Assert.Equal(1, unknown.ExitCode);
        Assert.All(unknown.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            line => Assert.True(line.StartsWith("Error: ", StringComparison.Ordinal) || line.StartsWith("See 'kpnode outbox --help'", StringComparison.Ordinal), line));

        var help = await Piped("cert", "list", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--seal", help.Stdout);
    }

    [Fact]
    public async Task Cert_list_refusals_name_the_options_as_typed_not_the_wire_fields()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var za = net["ZA"].Config.FilePath;

        var limit = await Piped("cert", "list", "--config", za, "--limit", "5000");
        Assert.Equal(1, limit.ExitCode);
        Assert.StartsWith("Error: --limit: must be 1 to 1000", limit.Stderr);
        Assert.Contains("--all", limit.Stderr);
        Assert.DoesNotContain("pageSize", limit.Stderr);
        Assert.DoesNotContain("page_size", limit.Stderr);

        var words = await Piped("cert", "list", "--config", za, "--limit", "fifty");
        Assert.NotEqual(0, words.ExitCode);
        Assert.Contains("--limit: 'fifty' is not a whole number", words.Stderr);
        Assert.DoesNotContain("System.Int32", words.Stderr);

        var from = await Piped("cert", "list", "--config", za, "--from", "26/11/2026");
        Assert.Equal(1, from.ExitCode);
        Assert.Contains("--from: '26/11/2026' is not a date", from.Stderr);

        // Checked by the node too: a token it never gave out, named as the option.
        var token = await Piped("cert", "list", "--config", za, "--page-token", "not*a*token");
        Assert.Equal(1, token.ExitCode);
        Assert.Contains("--page-token:", token.Stderr);
        Assert.DoesNotContain("pageToken", token.Stderr);
        Assert.DoesNotContain("InvalidArgument", token.Stderr);
    }

    [Fact]
    public async Task Refusals_of_show_stats_and_ping_name_what_was_typed_not_the_request_fields()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var za = net["ZA"].Config.FilePath;

        var show = await Piped("cert", "show", "--config", za, "ZA-2026-999999");
        Assert.Equal(1, show.ExitCode);
        Assert.Contains("no certificate ZA-2026-999999 is held by this node", show.Stderr);
        Assert.DoesNotContain("certificateNumber", show.Stderr);
        Assert.DoesNotContain("NotFound", show.Stderr);

        var stats = await Piped("stats", "--config", za, "--period", "2026-Q3");
        Assert.Equal(1, stats.ExitCode);
        Assert.Contains("--period: '2026-Q3' is not a calendar quarter", stats.Stderr);

        var ping = await Piped("peer", "ping", "--config", za, "XX");
        Assert.Equal(1, ping.ExitCode);
        Assert.Contains("XX is not a configured partner", ping.Stderr);
        Assert.DoesNotContain("partner:", ping.Stderr);
    }

    [Fact]
    public void A_refusal_names_the_option_in_each_of_several_violations()
    {
        var names = new Dictionary<string, string> { ["pageSize"] = "--limit", ["issuedFrom"] = "--from" };
        Assert.Equal("--limit: must be 1 to 1000; --from: 'x' is not a date",
            KpNode.Cli.Refusals.Rename("pageSize: must be 1 to 1000; issuedFrom: 'x' is not a date", names));
        Assert.Equal("The certificate breaks 1 rule:\n- --limit: too big", KpNode.Cli.Refusals.Rename("The certificate breaks 1 rule:\n- pageSize: too big", names));
        Assert.Null(KpNode.Cli.Refusals.Rename("hsLines[0].hsCode: not a rough diamond code", names));
    }

    [Fact]
    public async Task Cert_issue_quiet_prints_only_the_number_and_wait_returns_once_delivered()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var draft = Path.Combine(KpNodeProcess.RepoRoot(), "node-config", "examples", "za-to-be.json");
        var issued = await Piped("cert", "issue", "--config", net["ZA"].Config.FilePath, "--file", draft, "--quiet", "--wait");
        Assert.True(issued.ExitCode == 0, issued.Stderr);
        Assert.Matches($"^ZA-{DateTime.UtcNow.Year}-\\d{{6}}\n$", issued.Stdout);
        var record = await net.FindAsync("ZA", issued.Stdout.Trim());
        Assert.Equal(CertificateStatus.Delivered, record!.Status);
    }

    [Fact]
    public async Task A_draft_with_a_json_syntax_error_is_refused_naming_the_file_line_and_column()
    {
        var dir = Directory.CreateTempSubdirectory("kpnode-draft-");
        try
        {
            var draft = Path.Combine(dir.FullName, "broken.json");
            await File.WriteAllTextAsync(draft, "{\n  \"parcels\": 3,\n  \"carats\" 12\n}\n");
            var config = Path.Combine(KpNodeProcess.RepoRoot(), "node-config", "za.json");
            var result = await Piped("cert", "issue", "--config", config, "--file", draft);
            Assert.Equal(1, result.ExitCode);
            Assert.StartsWith($"Error: --file: {draft}:3:12: ", result.Stderr);

            await File.WriteAllTextAsync(draft, "{\n  \"parcels\": 3,\n  \"carats\": 12\n}\n");
            var unknown = await Piped("cert", "issue", "--config", config, "--file", draft);
            Assert.Equal(1, unknown.ExitCode);
            Assert.Contains($"{draft}:3:3: ", unknown.Stderr);
            Assert.Contains("carats", unknown.Stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Status_json_prints_zero_counts()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var status = await Piped("status", "--config", net["ZA"].Config.FilePath, "--json");
        Assert.True(status.ExitCode == 0, status.Stderr);
        Assert.Matches("\"count\": \"0\"", status.Stdout);
    }

    [Fact]
    public async Task Stats_keep_one_json_option_and_the_csv_lists_the_exports_never_confirmed()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var number = await net.DeliverAsync("ZA", "BE");
        var za = net["ZA"].Config.FilePath;
        var csv = await Piped("stats", "--config", za, "--format", "csv");
        Assert.True(csv.ExitCode == 0, csv.Stderr);
        Assert.Matches($"(?m)^ZA,{DateTime.UtcNow.Year}Q\\d,never-confirmed,BE,,1,,,{number},Delivered$", csv.Stdout);
        var formatJson = await Piped("stats", "--config", za, "--format", "json");
        Assert.NotEqual(0, formatJson.ExitCode);
    }

    [Fact]
    public async Task Pki_init_accepts_a_lowercase_participant_code_and_the_operator_is_named_once()
    {
        var dir = Directory.CreateTempSubdirectory("kpnode-pki-");
        try
        {
            var result = await Piped("pki", "init", "--participant", "za", "--out", Path.Combine(dir.FullName, "za"));
            Assert.True(result.ExitCode == 0, result.Stderr);
            var credentials = PkiFiles.Load(Path.Combine(dir.FullName, "za"));
            Assert.Equal("ZA", credentials.Participant);
            var cn = credentials.Operator.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            Assert.Equal("KP ZA Operator", cn);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_demo_exits_0_wraps_its_prose_at_80_columns_when_piped_and_leaves_nothing_behind()
    {
        var tmp = Directory.CreateTempSubdirectory("kpnode-demo-test-");
        try
        {
            var demo = await KpNodeProcess.RunAsync(new Dictionary<string, string?> { ["COLUMNS"] = null, ["TMPDIR"] = tmp.FullName }, "demo");
            Assert.True(demo.ExitCode == 0, demo.Stdout + demo.Stderr);
            Assert.All(demo.Stdout.Split('\n'), line => Assert.True(line.Length <= 80, $"{line.Length}: {line}"));
            Assert.Contains("All 9 certificates reached their importers", demo.Stdout.Replace("\n", " "));
            // The trust steps print a success line only after checking it on the node that would know.
            var prose = System.Text.RegularExpressions.Regex.Replace(demo.Stdout, @"\s+", " ");
            Assert.Contains("5. A new signing key for ZA, the root key offline, no restart", prose);
            Assert.Matches(@"signing certificate \S+ -> \S+, without a restart", prose);
            Assert.Matches(@"BE verified ZA-\d{4}-\d+, signed with the new key", prose);
            Assert.Contains("6. ZA revokes its old signing key; every partner is told", prose);
            Assert.Contains("queued a signed revocation notice for AE, BE and EU", prose);
            foreach (var partner in new[] { "BE", "AE", "EU" })
                Assert.Contains($"{partner} verified the notice against ZA's root and holds list 1; ZA verified {partner}'s signed receipt.", prose);
            // The EU's office step: an office's certificate, verified as the office's at ZA, confirmed by ZA.
            Assert.Contains("7. The EU: one participant, an issuing office per Union authority", prose);
            Assert.Matches(@"EU office DE-IDAR-OBERSTEIN issued DE-\d{4}-\d+ to ZA", prose);
            Assert.Matches(@"DE-\d{4}-\d+ EU → ZA Confirmed Confirmed signed by ZA, Accepted", prose);
            Assert.Empty(tmp.GetDirectories("kpnode-demo-*"));
        }
        finally
        {
            tmp.Delete(recursive: true);
        }
    }
}
