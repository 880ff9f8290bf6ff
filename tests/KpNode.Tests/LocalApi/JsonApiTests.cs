using System.Text.Json;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.LocalApi;

/// <summary>
/// The Local API as JSON over HTTP, driven by clients that are not ours: curl and Python's standard library, over
/// mutual TLS with the operator certificate from the PKI folder, as the README shows.
/// </summary>
public sealed class JsonApiTests : IAsyncLifetime
{
    private static readonly string Draft = Path.Combine(KpNodeProcess.RepoRoot(), "node-config", "examples", "za-to-be.json");
    private TestNetwork _net = null!;

    public async Task InitializeAsync()
    {
        await ThirdPartyTools.RequireCurlAsync();
        await ThirdPartyTools.RequirePythonGrpcAsync(); // Debian's python3, which json_api.py runs on (it needs only the standard library)
        _net = await TestNetwork.StartAsync("ZA", "BE");
    }

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Fact]
    public async Task Curl_issues_a_certificate_from_a_draft_file_and_reads_and_lists_it()
    {
        var (status, issued) = await CurlAsync("ZA", "POST", "/v1/certificates", ["--data-binary", "@" + Draft]);
        Assert.True(status == 200, issued.ToString());
        var number = issued.GetProperty("record").GetProperty("certificate").GetProperty("number").GetString()!;
        Assert.StartsWith("ZA-", number, StringComparison.Ordinal);
        Assert.Equal("CERTIFICATE_STATUS_ISSUED", issued.GetProperty("record").GetProperty("status").GetString());
        await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered);

        var (got, read) = await CurlAsync("ZA", "GET", $"/v1/certificates/{number}");
        Assert.True(got == 200, read.ToString());
        Assert.Equal("CERTIFICATE_STATUS_DELIVERED", read.GetProperty("record").GetProperty("status").GetString());
        Assert.Equal(120450, read.GetProperty("record").GetProperty("certificate").GetProperty("caratsHundredths").GetInt64());
        Assert.False(string.IsNullOrEmpty(read.GetProperty("record").GetProperty("receiptEnvelope").GetString()), "BE's signed receipt, base64");

        var (listed, list) = await CurlAsync("ZA", "GET", "/v1/certificates?partner=BE&status=CERTIFICATE_STATUS_DELIVERED&pageSize=10");
        Assert.True(listed == 200, list.ToString());
        Assert.Equal([number], list.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("certificate").GetProperty("number").GetString()));

        var (reported, report) = await CurlAsync("ZA", "GET", "/v1/status");
        Assert.True(reported == 200, report.ToString());
        Assert.Equal("ZA", report.GetProperty("participant").GetString());
        var (stats, figures) = await CurlAsync("ZA", "GET", $"/v1/stats/{DateTime.UtcNow.Year}Q{(DateTime.UtcNow.Month + 2) / 3}");
        Assert.True(stats == 200, figures.ToString());
    }

    [Fact]
    public async Task Python_confirms_an_import_over_http_1_1_and_the_exporter_holds_the_confirmation()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var received = (await _net.FindAsync("BE", number))!.Certificate;
        var body = Path.Combine(_net.Root, "confirm.json");
        await File.WriteAllTextAsync(body, $$"""
            { "outcome": "IMPORT_OUTCOME_CONFIRMED", "parcelsReceived": {{received.Parcels}}, "caratsReceivedHundredths": {{received.CaratsHundredths}},
              "dateOfReceipt": "{{DateTime.UtcNow:yyyy-MM-dd}}" }
            """);
        var (status, confirmed) = await PythonAsync("BE", "POST", $"/v1/certificates/{number}:confirm", body);
        Assert.True(status == 200, confirmed.ToString());
        Assert.Equal("CERTIFICATE_STATUS_CONFIRMED", confirmed.GetProperty("record").GetProperty("status").GetString());
        await _net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Confirmed);

        var (read, record) = await PythonAsync("ZA", "GET", $"/v1/certificates/{number}");
        Assert.True(read == 200, record.ToString());
        Assert.False(string.IsNullOrEmpty(record.GetProperty("record").GetProperty("confirmationEnvelope").GetString()), "BE's signed confirmation");
    }

    [Fact]
    public async Task Python_follows_the_event_stream_over_http_live_and_resumes_after_its_last_cursor()
    {
        var first = new[] { await _net.DeliverAsync("ZA", "BE"), await _net.DeliverAsync("ZA", "BE") };
        var seen = await EventsAsync("BE", "", 2);
        Assert.Equal(first, seen.Select(e => e.GetProperty("certificateNumber").GetString()));
        Assert.All(seen, e => Assert.Equal("EVENT_KIND_CERTIFICATE_RECEIVED", e.GetProperty("kind").GetString()));

        // Following from the last cursor: the stream stays open and the next arrival comes as it happens.
        var last = seen[^1].GetProperty("cursor").GetString()!;
        var following = EventsAsync("BE", last, 1);
        await Eventually.WaitAsync(() => _net["BE"].Logs.Entries.Any(e => e.Id.Id == 1791 && e.Message.EndsWith($"after cursor {last}", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the HTTP watch to be open at BE");
        var third = await _net.DeliverAsync("ZA", "BE");
        var next = Assert.Single(await following);
        Assert.Equal(third, next.GetProperty("certificateNumber").GetString());
        Assert.True(long.Parse(next.GetProperty("cursor").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            > long.Parse(last, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_refused_draft_gets_a_json_status_naming_each_violated_field_and_nothing_is_stored()
    {
        var bad = Path.Combine(_net.Root, "bad-draft.json");
        await File.WriteAllTextAsync(bad, """
            { "originCountries": ["ZA"], "importingParticipant": "BE",
              "exporter": { "name": "Kgalagadi Rough Diamonds (Pty) Ltd", "address": "12 Diamond Road, Kimberley 8301", "country": "ZA" },
              "importer": { "name": "Schelde Diamond Trading NV", "address": "Hoveniersstraat 30, 2018 Antwerpen", "country": "BE" },
              "parcels": 0, "caratsHundredths": "120450", "valueUsdCents": "48180000",
              "hsLines": [ { "hsCode": "7104.10", "caratsHundredths": "120450", "valueUsdCents": "48180000" } ] }
            """);
        foreach (var (status, error) in new[] { await CurlAsync("ZA", "POST", "/v1/certificates", ["--data-binary", "@" + bad]), await PythonAsync("ZA", "POST", "/v1/certificates", bad) })
        {
            Assert.True(status == 400, error.ToString());
            Assert.Equal(3, error.GetProperty("code").GetInt32()); // INVALID_ARGUMENT
            var detail = Assert.Single(error.GetProperty("details").EnumerateArray());
            Assert.Equal("type.googleapis.com/google.rpc.BadRequest", detail.GetProperty("@type").GetString());
            var fields = detail.GetProperty("fieldViolations").EnumerateArray().Select(v => v.GetProperty("field").GetString()).ToList();
            // In the words the draft used: its JSON names.
            Assert.Contains("parcels", fields);
            Assert.Contains("hsLines[0].hsCode", fields);
            Assert.All(detail.GetProperty("fieldViolations").EnumerateArray(), v => Assert.False(string.IsNullOrWhiteSpace(v.GetProperty("description").GetString())));
        }

        var (_, list) = await CurlAsync("ZA", "GET", "/v1/certificates");
        Assert.Empty(list.GetProperty("records").EnumerateArray());
        Assert.Empty(_net.Store("ZA").PendingOutbound("BE", 10));
        Assert.Empty(_net.Store("ZA").SharedMessages("BE"));
    }

    [Fact]
    public async Task The_json_api_answers_only_operators_of_the_node_on_its_local_listener()
    {
        // No client certificate, and a partner's node certificate: refused at the handshake, no HTTP answer at all.
        var pki = _net.PkiDir("ZA");
        var anonymous = await ThirdPartyTools.RunAsync(ThirdPartyTools.Curl,
            ["-sS", "--cacert", Path.Combine(pki, "root.crt"), $"https://localhost:{_net["ZA"].Host!.LocalPort}/v1/status"], TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, anonymous.ExitCode);
        var partner = await CurlAsync("ZA", "GET", "/v1/status", [], as_: ("BE", "node"));
        Assert.Null(partner.Status);

        // The Peer listener, with the partner's own node certificate: the route does not exist there.
        var (status, _) = await CurlAsync("ZA", "GET", "/v1/status", [], as_: ("BE", "node"), port: _net["ZA"].Host!.PeerPort);
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task The_committed_openapi_document_is_the_one_the_node_generates_and_serves_and_it_is_valid_openapi()
    {
        var committed = Path.Combine(KpNodeProcess.RepoRoot(), "protos", "openapi", "local-api.json");
        const string regenerate = "regenerate it with 'dotnet run --project src/KpNode -- openapi --out protos/openapi/local-api.json'";
        Assert.True(File.Exists(committed), $"protos/openapi/local-api.json is missing: {regenerate}");
        var expected = await File.ReadAllTextAsync(committed);

        var generated = await KpNodeProcess.RunAsync("openapi");
        Assert.True(generated.ExitCode == 0, generated.Stderr);
        Assert.True(expected == generated.Stdout, $"protos/openapi/local-api.json differs from the wire contract: {regenerate}");
        var served = await ThirdPartyTools.RunAsync(ThirdPartyTools.Curl, [.. Tls("ZA", "operator"), $"https://localhost:{_net["ZA"].Host!.LocalPort}/v1/openapi.json"], TimeSpan.FromSeconds(30));
        Assert.True(served.ExitCode == 0, served.Stderr);
        Assert.True(expected == served.Stdout, "the node serves another document than protos/openapi/local-api.json");

        // Every route the node transcodes is in it, and an OpenAPI validator that is not ours accepts it.
        var paths = JsonDocument.Parse(expected).RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/certificates/{certificateNumber}:confirm", paths);
        Assert.Contains("/v1/stats/{period}", paths);
        await ThirdPartyTools.RequireSwaggerParserAsync();
        var validate = await ThirdPartyTools.RunAsync("node",
            ["-e", "require(process.argv[1]).validate(process.argv[2]).then(a => console.log('valid ' + a.openapi), e => { console.error(e.message); process.exit(1); })",
             Path.Combine(ThirdPartyTools.NpmTools, "node_modules", "@apidevtools", "swagger-parser"), committed], TimeSpan.FromMinutes(1));
        Assert.True(validate.ExitCode == 0, validate.Stderr);
        Assert.StartsWith("valid 3.0", validate.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The first <paramref name="count"/> events of GET /v1/events?afterCursor=, read by Python's urllib.</summary>
    private async Task<List<JsonElement>> EventsAsync(string code, string after, int count)
    {
        var pki = _net.PkiDir(code);
        var run = await ThirdPartyTools.RunAsync(ThirdPartyTools.Python,
            [Path.Combine(KpNodeProcess.RepoRoot(), "tests", "clients", "json_events.py"), $"https://localhost:{_net[code].Host!.LocalPort}/v1/events?afterCursor={after}",
             Path.Combine(pki, "root.crt"), Path.Combine(pki, "operator.crt"), Path.Combine(pki, "operator.key"), count.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").Clone()).ToList();
    }

    private string[] Tls(string code, string identity, string? of = null)
    {
        var pki = _net.PkiDir(of ?? code);
        return ["-sS", "--cacert", Path.Combine(_net.PkiDir(code), "root.crt"), "--cert", Path.Combine(pki, identity + ".crt"), "--key", Path.Combine(pki, identity + ".key")];
    }

    /// <summary>curl with <paramref name="code"/>'s operator certificate (or another identity); the HTTP status (null: no answer) and the JSON body.</summary>
    private async Task<(int? Status, JsonElement Body)> CurlAsync(string code, string method, string path, string[]? extra = null,
        (string Code, string Identity)? as_ = null, int? port = null)
    {
        var identity = as_ ?? (code, "operator");
        var url = $"https://localhost:{port ?? _net[code].Host!.LocalPort}{path}";
        return await ThirdPartyTools.CurlJsonAsync([.. Tls(code, identity.Identity, identity.Code), "-X", method, "-H", "Content-Type: application/json", .. extra ?? []], url);
    }

    /// <summary>Python's urllib over HTTP/1.1 with <paramref name="code"/>'s operator certificate.</summary>
    private async Task<(int Status, JsonElement Body)> PythonAsync(string code, string method, string path, string? bodyFile = null)
    {
        var pki = _net.PkiDir(code);
        var run = await ThirdPartyTools.RunAsync(ThirdPartyTools.Python,
            [Path.Combine(KpNodeProcess.RepoRoot(), "tests", "clients", "json_api.py"), method, $"https://localhost:{_net[code].Host!.LocalPort}{path}",
             Path.Combine(pki, "root.crt"), Path.Combine(pki, "operator.crt"), Path.Combine(pki, "operator.key"), .. bodyFile is null ? Array.Empty<string>() : [bodyFile]],
            TimeSpan.FromSeconds(30));
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var lines = run.Stdout.Split('\n', 2);
        return (int.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture), JsonDocument.Parse(lines[1]).RootElement.Clone());
    }
}
