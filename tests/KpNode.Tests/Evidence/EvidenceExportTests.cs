using System.Text.Json;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Evidence;

public sealed class EvidenceExportTests : IAsyncLifetime
{
    private TestNetwork _net = null!;
    private string _number = "";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kpnode-export-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        _net = await TestNetwork.StartAsync("ZA", "BE");
        var issued = await _net.IssueAsync("ZA", "BE");
        _number = issued.Certificate.Number;
        await _net.WaitForAsync("ZA", _number, r => r.Status == CertificateStatus.Delivered);
        await _net.ConfirmAsync("BE", _number);
        await _net.WaitForAsync("ZA", _number, r => r.Status == CertificateStatus.Confirmed);
    }

    public async Task DisposeAsync()
    {
        await _net.DisposeAsync();
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private string Root(string code) => Path.Combine(_net.PkiDir(code), "root.crt");

    private async Task<string> ExportAsync(string name, params string[] subject)
    {
        var output = Path.Combine(_dir, name);
        var run = await KpNodeProcess.RunAsync(["cert", "export", .. subject, "--out", output, "--config", _net["ZA"].Config.FilePath]);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return output;
    }

    private static async Task<(int ExitCode, JsonElement Result, string Text)> VerifyAsync(string bundle, params string[] roots)
    {
        var args = new List<string> { "verify", bundle, "--json" };
        foreach (var root in roots)
            args.AddRange(["--root", root]);
        var run = await KpNodeProcess.RunAsync([.. args]);
        return (run.ExitCode, JsonDocument.Parse(run.Stdout).RootElement.Clone(), run.Stdout + run.Stderr);
    }

    [Fact]
    public async Task An_exported_certificate_verifies_offline_against_the_two_roots_and_its_files_are_DSSE_JSON()
    {
        var bundle = await ExportAsync("one", _number);
        var (code, result, text) = await VerifyAsync(bundle, Root("ZA"), Root("BE"));
        Assert.True(code == 0, text);
        Assert.True(result.GetProperty("verified").GetBoolean());

        // DSSE as the specification spells it: payloadType, payload (base64), signatures [{keyid, sig}], x5c beside them.
        var envelopes = Directory.GetFiles(Path.Combine(bundle, "messages"), "*.dsse.json");
        Assert.True(envelopes.Length >= 4, string.Join(", ", envelopes)); // certificate + receipt, confirmation + receipt
        var dsse = JsonDocument.Parse(File.ReadAllText(envelopes[0])).RootElement;
        Assert.False(string.IsNullOrEmpty(dsse.GetProperty("payloadType").GetString()));
        Assert.NotEmpty(Convert.FromBase64String(dsse.GetProperty("payload").GetString()!));
        var signature = dsse.GetProperty("signatures")[0];
        Assert.Equal(64, signature.GetProperty("keyid").GetString()!.Length);
        Assert.NotEmpty(Convert.FromBase64String(signature.GetProperty("sig").GetString()!));
        Assert.NotEmpty(Convert.FromBase64String(signature.GetProperty("x5c")[0].GetString()!));
        Assert.True(File.Exists(Path.Combine(bundle, "manifest.json")));
    }

    [Fact]
    public async Task A_period_export_verifies_and_only_the_named_roots_are_trusted()
    {
        var quarter = $"{DateTime.UtcNow.Year}Q{(DateTime.UtcNow.Month - 1) / 3 + 1}";
        var bundle = await ExportAsync("period", "--period", quarter);
        var (code, _, text) = await VerifyAsync(bundle, Root("ZA"), Root("BE"));
        Assert.True(code == 0, text);
        Assert.True(Directory.GetFiles(Path.Combine(bundle, "audit")).Length > 0);

        // BE's messages (receipts, the confirmation) do not chain to ZA's root: named roots only, never the bundle's.
        var (onlyZa, verdict, onlyZaText) = await VerifyAsync(bundle, Root("ZA"));
        Assert.True(onlyZa == 3, onlyZaText);
        Assert.False(verdict.GetProperty("verified").GetBoolean());
    }

    [Fact]
    public async Task One_altered_byte_in_a_signed_payload_fails_the_verification_naming_the_file()
    {
        var bundle = await ExportAsync("altered", _number);
        var file = Directory.GetFiles(Path.Combine(bundle, "messages"), "*.dsse.json").First(f => !f.EndsWith(".receipt.dsse.json", StringComparison.Ordinal));
        var dsse = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!;
        var payload = Convert.FromBase64String(dsse["payload"]!.GetValue<string>());
        payload[payload.Length / 2] ^= 0x01;
        dsse["payload"] = Convert.ToBase64String(payload);
        File.WriteAllText(file, dsse.ToJsonString());

        var (code, result, text) = await VerifyAsync(bundle, Root("ZA"), Root("BE"));
        Assert.True(code == 3, text);
        var failed = result.GetProperty("items").EnumerateArray().Where(i => !i.GetProperty("verified").GetBoolean()).ToList();
        Assert.Contains(failed, i => i.GetProperty("item").GetString()!.Contains(Path.GetFileName(file), StringComparison.Ordinal));
    }
}
