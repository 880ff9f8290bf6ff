using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using KpNode.Storage;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Evidence;

/// <summary>An issuer's signed answer to "is this certificate genuine?" is kept by both sides and exported as evidence that verifies offline.</summary>
public sealed class AuthenticityEvidenceTests : IAsyncLifetime
{
    private TestNetwork _net = null!;
    private string _number = "";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kpnode-authn-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        _net = await TestNetwork.StartAsync("ZA", "BE");
        _number = await _net.DeliverAsync("ZA", "BE");
        var check = await KpNodeProcess.RunAsync("cert", "check", "--config", _net["BE"].Config.FilePath, "--issuer", "ZA", _number);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
    }

    public async Task DisposeAsync()
    {
        await _net.DisposeAsync();
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private string Root(string code) => Path.Combine(_net.PkiDir(code), "root.crt");

    private async Task<string> ExportAsync(string code, string name, params string[] subject)
    {
        var output = Path.Combine(_dir, name);
        var run = await KpNodeProcess.RunAsync(["cert", "export", .. subject, "--out", output, "--config", _net[code].Config.FilePath]);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return output;
    }

    private async Task<(int ExitCode, JsonElement Result, string Text)> VerifyAsync(string bundle)
    {
        var run = await KpNodeProcess.RunAsync("verify", bundle, "--json", "--root", Root("ZA"), "--root", Root("BE"));
        return (run.ExitCode, JsonDocument.Parse(run.Stdout).RootElement.Clone(), run.Stdout + run.Stderr);
    }

    private static string StatementFile(string bundle) =>
        Assert.Single(Directory.GetFiles(Path.Combine(bundle, "authenticity"), "*.dsse.json"));

    [Fact]
    public void The_issuer_keeps_the_statement_it_signed_and_the_asker_the_very_statement_it_received()
    {
        var signed = Assert.Single(_net.Store("ZA").AuthenticityStatementsAbout(_number));
        var received = Assert.Single(_net.Store("BE").AuthenticityStatementsAbout(_number));
        Assert.Equal((AuthenticityRole.Answered, "BE"), (signed.Role, signed.Partner));
        Assert.Equal((AuthenticityRole.Asked, "ZA"), (received.Role, received.Partner));
        // The same signature: what ZA signed is what BE holds, byte for byte.
        Assert.Equal(signed.Envelope, received.Envelope);
        var statement = AuthenticityStatement.Parser.ParseFrom(Envelope.Parser.ParseFrom(received.Envelope).Payload);
        Assert.Equal((_number, "ZA", "BE", AuthenticityVerdict.Genuine), (statement.CertificateNumber, statement.Issuer, statement.AskedBy, statement.Verdict));
        Assert.Contains(_net.Store("ZA").ReadAudit(0, 100), a => a.Action == "authenticity.answered" && a.Subject == _number);
        Assert.Contains(_net.Store("BE").ReadAudit(0, 100), a => a.Action == "authenticity.asked" && a.Subject == _number);
    }

    [Theory]
    [InlineData("ZA")]
    [InlineData("BE")]
    public async Task Each_sides_certificate_export_holds_the_statement_with_the_issuers_root_and_verifies_offline(string side)
    {
        var bundle = await ExportAsync(side, "cert-" + side, _number);
        var file = StatementFile(bundle);
        Assert.True(File.Exists(file[..^".dsse.json".Length] + ".payload.json"));
        Assert.True(File.Exists(Path.Combine(bundle, "roots", "ZA.crt")));
        var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(bundle, "manifest.json"))).RootElement;
        Assert.Contains(manifest.GetProperty("files").EnumerateArray(), f => f.GetProperty("kind").GetString() == "authenticity-envelope");

        var (code, result, text) = await VerifyAsync(bundle);
        Assert.True(code == 0, text);
        var item = Assert.Single(result.GetProperty("items").EnumerateArray(), i => i.GetProperty("item").GetString() == "authenticity/" + Path.GetFileName(file));
        var passed = item.GetProperty("passed").EnumerateArray().Select(p => p.GetString()).ToList();
        // The certificate's signed issue is in the bundle, so the statement is held to its issuer.
        Assert.Equal(["signature", "chain", "validity", "revocation", "payload json", "reference"], passed);
    }

    [Fact]
    public async Task A_participant_that_did_not_issue_the_certificate_may_only_say_it_knows_none_and_that_answer_verifies_too()
    {
        // ZA asks BE about ZA's own certificate: BE signs "unknown", which ZA keeps beside its signed issue.
        var asked = await KpNodeProcess.RunAsync("cert", "check", "--config", _net["ZA"].Config.FilePath, "--issuer", "BE", _number);
        Assert.True(asked.ExitCode == 7, asked.Stdout + asked.Stderr);
        var bundle = await ExportAsync("ZA", "other-issuer", _number);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(bundle, "authenticity"), "*.dsse.json").Length);

        var (code, result, text) = await VerifyAsync(bundle);
        Assert.True(code == 0, text);
        var statements = result.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("item").GetString()!.StartsWith("authenticity/", StringComparison.Ordinal)).ToList();
        // Only ZA's statement is held to the certificate; BE's stands on BE's signature.
        Assert.Equal(1, statements.Count(i => i.GetProperty("passed").EnumerateArray().Any(p => p.GetString() == "reference")));
    }

    [Fact]
    public async Task A_period_export_holds_the_statements_signed_in_it()
    {
        var quarter = $"{DateTime.UtcNow.Year}Q{(DateTime.UtcNow.Month - 1) / 3 + 1}";
        var bundle = await ExportAsync("ZA", "period", "--period", quarter);
        StatementFile(bundle);
        var (code, _, text) = await VerifyAsync(bundle);
        Assert.True(code == 0, text);
    }

    [Fact]
    public async Task One_altered_byte_in_the_statement_fails_the_verification_naming_its_file()
    {
        var bundle = await ExportAsync("BE", "altered", _number);
        var file = StatementFile(bundle);
        var dsse = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!;
        var payload = Convert.FromBase64String(dsse["payload"]!.GetValue<string>());
        payload[payload.Length / 2] ^= 0x01;
        dsse["payload"] = Convert.ToBase64String(payload);
        File.WriteAllText(file, dsse.ToJsonString());

        var (code, result, text) = await VerifyAsync(bundle);
        Assert.True(code == 3, text);
        var failed = result.GetProperty("items").EnumerateArray().Where(i => !i.GetProperty("verified").GetBoolean()).ToList();
        Assert.Contains(failed, i => i.GetProperty("item").GetString() == "authenticity/" + Path.GetFileName(file)
            && i.GetProperty("failedCheck").GetString() != "manifest");
    }

    [Fact]
    public async Task A_number_longer_than_any_certificate_number_is_refused_before_asking_and_nothing_is_kept()
    {
        var question = new CheckCertificateRequest { Issuer = "ZA", CertificateNumber = new string('9', 41) };
        var refused = await Assert.ThrowsAsync<RpcException>(() => _net["BE"].Client.Api.CheckCertificateAsync(question).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Empty(_net.Store("BE").AuthenticityStatementsAbout(question.CertificateNumber));
        Assert.Single(_net.Store("ZA").AuthenticityStatementsBetween(DateTime.MinValue, DateTime.MaxValue));
    }

    [Fact]
    public async Task The_issuer_keeps_and_signs_a_partners_overlong_number_cut_as_in_its_audit_log()
    {
        var peer = _net.DialPeer("ZA", _net.Credentials("BE").NodeTls, _net.RootOf("ZA"));
        var answer = await peer.CheckAuthenticityAsync(new CheckAuthenticityRequest { CertificateNumber = new string('9', 10_000) });

        var statement = AuthenticityStatement.Parser.ParseFrom(answer.Statement.Payload);
        var cut = new string('9', 40) + "…";
        Assert.Equal((cut, AuthenticityVerdict.Unknown), (statement.CertificateNumber, statement.Verdict));
        var kept = Assert.Single(_net.Store("ZA").AuthenticityStatementsAbout(cut));
        Assert.Equal(answer.Statement.ToByteArray(), kept.Envelope);
        Assert.Contains(_net.Store("ZA").ReadAudit(0, 100), a => a.Action == "authenticity.answered" && a.Subject == cut);
    }

    [Fact]
    public async Task The_store_check_names_a_kept_statement_that_no_longer_matches_its_signature_and_a_rebuild_keeps_only_the_intact_ones()
    {
        await _net["BE"].Client.Api.CheckCertificateAsync(new CheckCertificateRequest { Issuer = "ZA", CertificateNumber = _number, Parcels = 999 });
        var kept = _net.Store("ZA").AuthenticityStatementsAbout(_number);
        Assert.Equal(2, kept.Count);
        var (tampered, intact) = (kept[0].Id, kept[1].Id);

        var za = _net["ZA"];
        await za.StopAsync();
        using (var db = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = Path.Combine(za.Config.Options.DataDirectory, "kpnode.db"), Connection = LiteDB.ConnectionType.Direct }))
        {
            var statements = db.GetCollection(NodeStore.AuthenticityStatementsCollection);
            var document = statements.FindById(tampered);
            document["Partner"] = "CN";
            Assert.True(statements.Update(document));
        }

        var check = await KpNodeProcess.RunAsync("store", "check", "--config", za.Config.FilePath);
        Assert.True(check.ExitCode == 3, check.Stdout + check.Stderr);
        Assert.Contains($"authenticity statement {tampered}", check.Stdout);
        Assert.DoesNotContain($"authenticity statement {intact}", check.Stdout);

        var rebuild = await KpNodeProcess.RunAsync("store", "check", "--config", za.Config.FilePath, "--rebuild");
        Assert.True(rebuild.ExitCode == 4, rebuild.Stdout + rebuild.Stderr);
        var again = await KpNodeProcess.RunAsync("store", "check", "--config", za.Config.FilePath);
        Assert.True(again.ExitCode == 0, again.Stdout + again.Stderr);

        await za.StartAsync();
        Assert.Equal([intact], _net.Store("ZA").AuthenticityStatementsAbout(_number).Select(s => s.Id));
    }
}
