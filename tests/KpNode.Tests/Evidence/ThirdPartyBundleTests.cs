using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KpNode.Tests.Evidence;

/// <summary>
/// An exported period bundle checked with tools that are not ours, as an auditor without KpNode would: Debian's
/// python3-cryptography for every manifest hash and every DSSE signature over PAE (tests/clients/dsse_verify.py), and
/// the openssl CLI for every signer chain, validity at signing time, revocation and every CRL's signature.
/// </summary>
public sealed class ThirdPartyBundleTests(ExportedPeriodBundle exported) : IClassFixture<ExportedPeriodBundle>
{
    private static readonly string Script = Path.Combine(Cli.KpNodeProcess.RepoRoot(), "tests", "clients", "dsse_verify.py");

    private static async Task<(int Exit, string Output)> PythonAsync(string bundle)
    {
        await ThirdPartyTools.RequirePythonCryptographyAsync();
        var (exit, stdout, stderr) = await ThirdPartyTools.RunAsync(ThirdPartyTools.Python, [Script, bundle], TimeSpan.FromSeconds(60));
        return (exit, stdout + stderr);
    }

    private static async Task<(int Exit, string Output)> OpenSslAsync(params string[] args)
    {
        await ThirdPartyTools.RequireOpenSslAsync();
        var (exit, stdout, stderr) = await ThirdPartyTools.RunAsync(ThirdPartyTools.OpenSsl, args, TimeSpan.FromSeconds(30));
        return (exit, $"openssl {string.Join(' ', args)}\n{stdout}{stderr}");
    }

    [Fact]
    public async Task Python_cryptography_verifies_every_manifest_hash_and_every_DSSE_signature_over_PAE()
    {
        var (exit, output) = await PythonAsync(exported.Bundle);
        Assert.True(exit == 0, output);

        // Two issues, the confirmation and the void, each with its receipt: eight envelopes, each on its own OK line.
        var envelopes = Directory.GetFiles(Path.Combine(exported.Bundle, "messages"), "*.dsse.json");
        Assert.Equal(8, envelopes.Length);
        foreach (var file in envelopes)
        {
            Assert.Contains($"OK {ExportedPeriodBundle.Relative(exported.Bundle, file)}\n", output);
            // Plain base64 and payload types, no \u002B escapes: what grep, sed and base64 read as they are.
            Assert.DoesNotContain("\\u", await File.ReadAllTextAsync(file));
        }

        Assert.DoesNotContain("FAILED", output);
    }

    [Fact]
    public async Task Openssl_verifies_each_signer_chain_at_its_signing_time_against_its_root_and_CRL_and_each_CRL_signature()
    {
        var work = Directory.CreateTempSubdirectory("kpnode-openssl-");
        try
        {
            var crls = Directory.GetFiles(Path.Combine(exported.Bundle, "crls"), "*.crl").Select(Path.GetFileNameWithoutExtension).Order().ToList();
            Assert.Equal(["BE", "ZA"], crls);
            foreach (var code in crls)
            {
                var (exit, output) = await OpenSslAsync("crl", "-in", Crl(code!), "-CAfile", Root(code!), "-noout", "-verify");
                Assert.True(exit == 0 && output.Contains("verify OK", StringComparison.Ordinal), output);
                // The CRL really revokes something: openssl lists the serial.
                var (_, text) = await OpenSslAsync("crl", "-in", Crl(code!), "-noout", "-text");
                Assert.Contains($"Serial Number: {ExportedPeriodBundle.RevokedSerial}", text);
            }

            var signers = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in Directory.GetFiles(Path.Combine(exported.Bundle, "messages"), "*.dsse.json"))
            {
                var signature = JsonNode.Parse(await File.ReadAllTextAsync(file))!["signatures"]![0]!;
                var der = Convert.FromBase64String(signature["x5c"]![0]!.GetValue<string>());
                using var leaf = X509CertificateLoader.LoadCertificate(der);
                var code = Participant(leaf);
                var pem = Path.Combine(work.FullName, $"{Path.GetFileName(file)}.signer.pem");
                await File.WriteAllTextAsync(pem, PemEncoding.WriteString("CERTIFICATE", der) + "\n");
                signers.Add(code + " " + leaf.SerialNumber);

                // Valid at the time of signing, chained to the participant's root, in a document-signing role (any purpose: no TLS EKU).
                var at = SignedAt(file).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                var atSigning = await OpenSslAsync("verify", "-CAfile", Root(code), "-purpose", "any", "-attime", at, pem);
                Assert.True(atSigning.Exit == 0, atSigning.Output);
                // Not revoked by the participant's CRL (openssl applies a CRL at its own time, so now).
                var revocation = await OpenSslAsync("verify", "-CAfile", Root(code), "-crl_check", "-CRLfile", Crl(code), "-purpose", "any", pem);
                Assert.True(revocation.Exit == 0, revocation.Output);
                // And the check can fail: the other participant's root does not vouch for it.
                var other = code == "ZA" ? "BE" : "ZA";
                var wrongRoot = await OpenSslAsync("verify", "-CAfile", Root(other), "-purpose", "any", "-attime", at, pem);
                Assert.True(wrongRoot.Exit != 0, wrongRoot.Output);
            }

            // ZA signed the issues and the void, BE the receipts of them and the confirmation.
            Assert.Contains(signers, s => s.StartsWith("ZA ", StringComparison.Ordinal));
            Assert.Contains(signers, s => s.StartsWith("BE ", StringComparison.Ordinal));

            // A CRL checked against the wrong root fails.
            var foreign = await OpenSslAsync("crl", "-in", Crl("ZA"), "-CAfile", Root("BE"), "-noout", "-verify");
            Assert.False(foreign.Exit == 0 && foreign.Output.Contains("verify OK", StringComparison.Ordinal), foreign.Output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task One_flipped_byte_in_a_signature_makes_the_python_check_fail_naming_the_file_even_with_the_manifest_rehashed()
    {
        var bundle = exported.Copy();
        var file = ExportedPeriodBundle.Envelopes(bundle)[0];
        var dsse = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        var sig = Convert.FromBase64String(dsse["signatures"]![0]!["sig"]!.GetValue<string>());
        sig[^1] ^= 0x01; // the last byte of s: still DER, no longer the signature
        dsse["signatures"]![0]!["sig"] = Convert.ToBase64String(sig);
        await File.WriteAllTextAsync(file, dsse.ToJsonString());
        var relative = ExportedPeriodBundle.Relative(bundle, file);
        BundleTamperTests.Rehash(bundle);

        var (exit, output) = await PythonAsync(bundle);
        Assert.True(exit != 0, output);
        Assert.Contains($"FAILED {relative}: signature 0: does not verify over PAE", output);
        Assert.Single(output.Split('\n'), l => l.StartsWith("FAILED", StringComparison.Ordinal));
    }

    // The roots the auditor obtained from the participants, not the bundle's copies (hints only).
    private string Root(string code) => exported.Root(code);

    private string Crl(string code) => Path.Combine(exported.Bundle, "crls", $"{code}.crl");

    // Only to pick the root file: the participant the certificate names (openssl then checks it chains there).
    private static string Participant(X509Certificate2 leaf) =>
        KpNode.Trust.ParticipantIdentity.FromCertificate(leaf) ?? throw new InvalidOperationException($"no participant in {leaf.Subject}");

    /// <summary>When the signer signed, from the readable payload beside the envelope: created_at, or a receipt's received_at.</summary>
    private static DateTimeOffset SignedAt(string envelope)
    {
        var payload = envelope[..^".dsse.json".Length] + ".payload.json";
        using var json = JsonDocument.Parse(File.ReadAllBytes(payload));
        var root = json.RootElement;
        var at = root.TryGetProperty("receivedAt", out var received) ? received : root.GetProperty("header").GetProperty("createdAt");
        return DateTimeOffset.Parse(at.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }
}
