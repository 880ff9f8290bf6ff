using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using KpNode.Evidence;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;

namespace KpNode.Tests.Evidence;

public sealed class PrintTests
{
    [Fact]
    public async Task A_printed_certificate_QR_code_decodes_with_zbarimg_and_verifies_against_the_exporter_root_alone()
    {
        await Task.WhenAll(ThirdPartyTools.RequirePopplerAsync(), ThirdPartyTools.RequireZbarAsync());
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var number = await net.DeliverAsync("ZA", "BE");
        var dir = Directory.CreateTempSubdirectory("kpnode-print-").FullName;
        try
        {
            var pdf = Path.Combine(dir, "certificate.pdf");
            var print = await KpNodeProcess.RunAsync("cert", "print", number, "--config", net["ZA"].Config.FilePath, "--out", pdf, "--json");
            Assert.True(print.ExitCode == 0, print.Stderr);
            using var printed = JsonDocument.Parse(print.Stdout);
            var token = printed.RootElement.GetProperty("token").GetString()!;
            Assert.StartsWith("%PDF-", Encoding.ASCII.GetString(await File.ReadAllBytesAsync(pdf), 0, 5));

            var render = await ThirdPartyTools.RunAsync(ThirdPartyTools.PdfToPpm, ["-png", "-r", "300", "-singlefile", pdf, Path.Combine(dir, "page")], TimeSpan.FromSeconds(60));
            Assert.True(render.ExitCode == 0, render.Stderr);
            var scan = await ThirdPartyTools.RunAsync(ThirdPartyTools.ZbarImg, ["--raw", "-q", Path.Combine(dir, "page.png")], TimeSpan.FromSeconds(60));
            Assert.True(scan.ExitCode == 0, $"zbarimg found no QR code ({scan.ExitCode}): {scan.Stderr}");
            var scanned = scan.Stdout.TrimEnd('\n');
            Assert.Equal(token, scanned);

            var zaRoot = Path.Combine(net.PkiDir("ZA"), "root.crt");
            var verified = await KpNodeProcess.RunAsync("verify", "--qr", scanned, "--root", zaRoot, "--json");
            Assert.True(verified.ExitCode == 0, verified.Stdout + verified.Stderr);
            using (var verdict = JsonDocument.Parse(verified.Stdout))
            {
                Assert.True(verdict.RootElement.GetProperty("valid").GetBoolean());
                Assert.Equal(number, verdict.RootElement.GetProperty("claims").GetProperty("number").GetString());
            }

            var altered = await KpNodeProcess.RunAsync("verify", "--qr", Altered(scanned, "carats"), "--root", zaRoot);
            Assert.Equal(KpNode.Cli.QrVerifyCommand.Refused, altered.ExitCode);
            Assert.Contains("does not match its figures", altered.Stdout);

            var otherRoot = await KpNodeProcess.RunAsync("verify", "--qr", scanned, "--root", Path.Combine(net.PkiDir("BE"), "root.crt"));
            Assert.Equal(KpNode.Cli.QrVerifyCommand.Refused, otherRoot.ExitCode);
            Assert.Contains("REFUSED", otherRoot.Stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task The_importer_cannot_print_a_certificate_it_received()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var number = await net.DeliverAsync("ZA", "BE");
        var pdf = Path.Combine(Path.GetTempPath(), $"kpnode-print-{Guid.NewGuid():N}.pdf");
        var print = await KpNodeProcess.RunAsync("cert", "print", number, "--config", net["BE"].Config.FilePath, "--out", pdf);
        Assert.Equal(1, print.ExitCode);
        Assert.Contains("issued by ZA, not by this node", print.Stderr);
        Assert.False(File.Exists(pdf));
    }

    [Fact]
    public async Task The_offline_verifier_page_accepts_the_real_token_and_refuses_an_altered_one_with_no_network()
    {
        await ThirdPartyTools.RequireChromiumAsync();
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var number = await net.DeliverAsync("ZA", "BE");
        var dir = Directory.CreateTempSubdirectory("kpnode-verifier-").FullName;
        try
        {
            var print = await KpNodeProcess.RunAsync("cert", "print", number, "--config", net["ZA"].Config.FilePath, "--out", Path.Combine(dir, "c.pdf"), "--json");
            Assert.True(print.ExitCode == 0, print.Stderr);
            using var printed = JsonDocument.Parse(print.Stdout);
            var token = printed.RootElement.GetProperty("token").GetString()!;
            // The importer's page: it holds BE's own root and its partner ZA's.
            var html = Path.Combine(dir, "verifier.html");
            var page = await KpNodeProcess.RunAsync("cert", "verifier", "--config", net["BE"].Config.FilePath, "--out", html);
            Assert.True(page.ExitCode == 0, page.Stderr);

            var valid = await OfflineDomAsync(html, token);
            Assert.Contains("data-verdict=\"valid\"", valid);
            Assert.Contains($"VALID: certificate {number}", valid);

            var altered = await OfflineDomAsync(html, Altered(token, "parcels"));
            Assert.Contains("data-verdict=\"refused\"", altered);
            Assert.Contains("does not match its figures", altered);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Base45_round_trips_and_matches_the_RFC_9285_examples()
    {
        Assert.Equal("BB8", Base45.Encode("AB"u8));
        Assert.Equal("%69 VD92EX0", Base45.Encode("Hello!!"u8));
        Assert.Equal("UJCLQE7W581", Base45.Encode("base-45"u8));
        Assert.Equal("ietf!"u8.ToArray(), Base45.Decode("QED8WEX0"));
        Assert.Null(Base45.Decode("GGW"));
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        Assert.Equal(bytes, Base45.Decode(Base45.Encode(bytes)));
    }

    /// <summary>The token with one figure changed (its last digit moved by one), the signature left as it was.</summary>
    private static string Altered(string token, string key)
    {
        var parsed = CertificateToken.Parse(token);
        var lines = Encoding.UTF8.GetString(parsed.ClaimBytes!).Split('\n');
        var i = Array.FindIndex(lines, l => l.StartsWith(key + "=", StringComparison.Ordinal));
        var last = lines[i][^1];
        lines[i] = lines[i][..^1] + (last == '9' ? '8' : (char)(last + 1));
        var claims = Encoding.UTF8.GetBytes(string.Join('\n', lines));
        var binary = new List<byte> { 1 };
        foreach (var block in new[] { claims, parsed.Leaf! })
        {
            var length = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)block.Length);
            binary.AddRange(length);
            binary.AddRange(block);
        }

        binary.AddRange(parsed.Signature!);
        return CertificateToken.Prefix + Base45.Encode([.. binary]);
    }

    /// <summary>Opens the page from disk in headless Chromium with every host unresolvable and no proxy reachable, and returns the DOM once its checks ran.</summary>
    private static async Task<string> OfflineDomAsync(string html, string token)
    {
        var profile = Directory.CreateTempSubdirectory("kpnode-chromium-").FullName;
        try
        {
            var url = new Uri(html).AbsoluteUri + "#" + Uri.EscapeDataString(token);
            var run = await ThirdPartyTools.RunAsync(ThirdPartyTools.Chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                "--virtual-time-budget=10000", "--dump-dom", url,
            ], TimeSpan.FromSeconds(90));
            Assert.True(run.ExitCode == 0 && run.Stdout.Contains("</html>"), $"chromium failed ({run.ExitCode}): {run.Stderr}");
            return run.Stdout;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
