using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Google.Protobuf;
using KpNode.Evidence;
using KpNode.Tests.Cli;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Evidence;

/// <summary>
/// `kpnode verify` on an exported bundle altered after export: one changed byte anywhere, a receipt that no longer
/// acknowledges its envelope, a doctored manifest, a forged or swapped CRL. Each is exit 3 with a verdict line naming
/// the file. Where a forger would also re-hash the manifest, the test does too, so the deeper check must catch it.
/// </summary>
public sealed class BundleTamperTests(ExportedPeriodBundle exported) : IClassFixture<ExportedPeriodBundle>
{
    /// <summary>Rewrites manifest.json with the SHA-256 of every listed file as it is now, as a forger would.</summary>
    internal static void Rehash(string bundle)
    {
        var path = Path.Combine(bundle, EvidenceBundle.ManifestPath);
        var entries = JsonNode.Parse(File.ReadAllText(path))!["files"]!.AsArray().Select(f =>
        {
            var file = f!["path"]!.GetValue<string>();
            var full = Path.Combine(bundle, file);
            return (file, File.Exists(full) ? EvidenceBundle.Sha256(File.ReadAllBytes(full)) : f["sha256"]!.GetValue<string>(), f["kind"]!.GetValue<string>());
        }).ToList();
        File.WriteAllBytes(path, EvidenceBundle.Manifest(entries));
    }

    private async Task<(int Exit, string Output)> VerifyAsync(string bundle)
    {
        var run = await KpNodeProcess.RunAsync("verify", bundle, "--root", exported.Root("ZA"), "--root", exported.Root("BE"));
        return (run.ExitCode, run.Stdout + run.Stderr);
    }

    /// <summary>Exit 3 and a FAILED line for <paramref name="item"/> naming <paramref name="check"/>.</summary>
    private async Task<string> AssertFailsAsync(string bundle, string item, string check)
    {
        var (exit, output) = await VerifyAsync(bundle);
        Assert.True(exit == 3, $"exit {exit}:\n{output}");
        Assert.True(Regex.IsMatch(output, $"(?m)^FAILED +{Regex.Escape(item)}: {Regex.Escape(check)}: "), output);
        return output;
    }

    private static void Flip(string file, int index)
    {
        var bytes = File.ReadAllBytes(file);
        bytes[index < 0 ? bytes.Length + index : index] ^= 0x01;
        File.WriteAllBytes(file, bytes);
    }

    private static string Crl(string bundle, string code) => Path.Combine(bundle, "crls", $"{code}.crl");

    private static byte[] CrlDer(string file) => Convert.FromBase64String(File.ReadAllText(file)[PemEncoding.Find(File.ReadAllText(file)).Base64Data]);

    private static void WriteCrl(string file, byte[] der) => File.WriteAllText(file, PemEncoding.WriteString("X509 CRL", der) + "\n");

    [Fact]
    public async Task The_bundle_as_exported_verifies()
    {
        var (exit, output) = await VerifyAsync(exported.Bundle);
        Assert.True(exit == 0, output);
        Assert.DoesNotContain("FAILED", output);
    }

    [Fact]
    public void One_flipped_byte_in_any_file_of_the_bundle_fails_the_verification_naming_that_file()
    {
        var roots = new[] { PkiFiles.LoadRoot(exported.Root("ZA")), PkiFiles.LoadRoot(exported.Root("BE")) };
        var files = Directory.GetFiles(exported.Bundle, "*", SearchOption.AllDirectories).Select(f => ExportedPeriodBundle.Relative(exported.Bundle, f)).ToList();
        Assert.True(files.Count >= 15, string.Join(", ", files));
        foreach (var file in files)
        {
            var length = new FileInfo(Path.Combine(exported.Bundle, file)).Length;
            // The first byte, the last, and three between: syntax, names, base64 payloads, signatures.
            foreach (var at in new[] { 0, length / 4, length / 2, 3 * length / 4, length - 1 }.Distinct())
            {
                var bundle = exported.Copy();
                Flip(Path.Combine(bundle, file), (int)at);
                var verdicts = new BundleVerifier(roots).VerifyBundle(bundle);
                // A flipped hash in manifest.json is reported on the line of the file it lists, as the manifest check.
                Assert.True(verdicts.Any(v => !v.Verified && (v.Item == file || (file == EvidenceBundle.ManifestPath && v.FailedCheck == "manifest"))),
                    $"a byte flipped at {at} in {file} went unnoticed");
                Directory.Delete(bundle, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_flipped_signature_byte_fails_the_signature_check_of_that_envelope_even_with_the_manifest_rehashed()
    {
        var bundle = exported.Copy();
        var file = ExportedPeriodBundle.Envelopes(bundle)[0];
        var dsse = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        var sig = Convert.FromBase64String(dsse["signatures"]![0]!["sig"]!.GetValue<string>());
        sig[^1] ^= 0x01;
        dsse["signatures"]![0]!["sig"] = Convert.ToBase64String(sig);
        await File.WriteAllTextAsync(file, dsse.ToJsonString());
        Rehash(bundle);

        var output = await AssertFailsAsync(bundle, ExportedPeriodBundle.Relative(bundle, file), "signature");
        Assert.Contains("OK      manifest.json", output);
    }

    [Fact]
    public async Task A_receipt_signed_over_another_payload_hash_no_longer_acknowledges_its_envelope()
    {
        var bundle = exported.Copy();
        // BE's receipt of ZA's certificate, re-signed with BE's own key over a payload_sha256 one bit off: every signature holds.
        var message = ExportedPeriodBundle.Envelopes(bundle).First(f => DsseJson.Read(File.ReadAllBytes(f)).PayloadType == PayloadTypes.CertificateIssued);
        var receiptFile = message[..^".dsse.json".Length] + ".receipt.dsse.json";
        var receipt = Receipt.Parser.ParseFrom(DsseJson.Read(File.ReadAllBytes(receiptFile)).Payload);
        var hash = receipt.PayloadSha256.ToByteArray();
        hash[0] ^= 0x01;
        receipt.PayloadSha256 = ByteString.CopyFrom(hash);
        using (var be = PkiFiles.Load(exported.Pki("BE")))
        using (var signer = new EnvelopeSigner(be.DocumentSigning))
            File.WriteAllBytes(receiptFile, DsseJson.Write(signer.Sign(PayloadTypes.Receipt, receipt.ToByteArray())));
        File.WriteAllBytes(receiptFile[..^".dsse.json".Length] + ".payload.json", PayloadJson.Write(receipt));
        Rehash(bundle);

        var output = await AssertFailsAsync(bundle, ExportedPeriodBundle.Relative(bundle, receiptFile), "receipt");
        Assert.Contains("is not the SHA-256 of the payload", output);
        Assert.Matches(new Regex($"(?m)^OK +{Regex.Escape(ExportedPeriodBundle.Relative(bundle, message))}$"), output);
    }

    [Fact]
    public async Task A_receipt_moved_to_another_envelope_names_the_message_it_really_acknowledges()
    {
        var bundle = exported.Copy();
        var (first, second) = (ExportedPeriodBundle.Envelopes(bundle)[0][..^".dsse.json".Length], ExportedPeriodBundle.Envelopes(bundle)[1][..^".dsse.json".Length]);
        foreach (var suffix in new[] { ".receipt.dsse.json", ".receipt.payload.json" })
        {
            File.Move(first + suffix, first + suffix + ".swap");
            File.Move(second + suffix, first + suffix);
            File.Move(first + suffix + ".swap", second + suffix);
        }

        Rehash(bundle);
        var output = await AssertFailsAsync(bundle, ExportedPeriodBundle.Relative(bundle, first + ".receipt.dsse.json"), "receipt");
        Assert.Contains($"acknowledges message '{Path.GetFileName(second)}', not '{Path.GetFileName(first)}'", output);
    }

    [Fact]
    public async Task A_manifest_hash_changed_a_listed_file_missing_and_an_unlisted_file_each_fail_naming_the_file()
    {
        // One hash in the manifest changed (its layout kept): that file's line says the manifest disagrees.
        var changed = exported.Copy();
        var manifest = Path.Combine(changed, "manifest.json");
        var payload = Directory.GetFiles(Path.Combine(changed, "messages"), "*.payload.json").Order(StringComparer.Ordinal).First();
        var sha = EvidenceBundle.Sha256(File.ReadAllBytes(payload));
        var forged = (sha[0] == '0' ? "1" : "0") + sha[1..];
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace(sha, forged, StringComparison.Ordinal));
        Assert.Contains($"the manifest says {forged}",
            await AssertFailsAsync(changed, ExportedPeriodBundle.Relative(changed, payload), "manifest"));

        // A listed file removed.
        var missing = exported.Copy();
        var gone = Directory.GetFiles(Path.Combine(missing, "messages"), "*.payload.json").Order(StringComparer.Ordinal).First();
        File.Delete(gone);
        Assert.Contains("listed in the manifest but missing", await AssertFailsAsync(missing, ExportedPeriodBundle.Relative(missing, gone), "manifest"));

        // A file added that the exporter did not write.
        var extra = exported.Copy();
        File.WriteAllText(Path.Combine(extra, "messages", "note.txt"), "approved\n");
        Assert.Contains("not listed in the manifest", await AssertFailsAsync(extra, "messages/note.txt", "manifest"));
    }

    [Fact]
    public async Task A_CRL_with_one_altered_byte_or_signed_by_another_root_fails_naming_the_CRL()
    {
        // One byte of the CRL's signature altered, the manifest re-hashed.
        var altered = exported.Copy();
        var der = CrlDer(Crl(altered, "ZA"));
        der[^1] ^= 0x01;
        WriteCrl(Crl(altered, "ZA"), der);
        Rehash(altered);
        await AssertFailsAsync(altered, "crls/ZA.crl", "crl signature");

        // A list of the same issuer name signed by a root made for the occasion.
        var forged = exported.Copy();
        var now = DateTimeOffset.UtcNow;
        using (var fake = CertificateAuthority.CreateRoot("ZA", now.AddDays(-1), now.AddYears(1)))
            WriteCrl(Crl(forged, "ZA"), RevocationListIssuer.Revoke(fake, null, "crl.pem", RevocationListIssuer.ParseSerial("01"), X509RevocationReason.Superseded, now, now).Der);
        Rehash(forged);
        await AssertFailsAsync(forged, "crls/ZA.crl", "crl signature");

        // BE's genuine list in ZA's place: signed by a root named, but not ZA's, so ZA's own list is not in the bundle.
        var swapped = exported.Copy();
        File.Copy(Crl(swapped, "BE"), Crl(swapped, "ZA"), overwrite: true);
        Rehash(swapped);
        Assert.Contains("BE", await AssertFailsAsync(swapped, "crls/ZA.crl", "crl signature"));
    }

    [Fact]
    public async Task A_CRL_from_ZAs_root_revoking_its_signing_key_before_the_signing_time_fails_each_envelope_it_signed()
    {
        var bundle = exported.Copy();
        using var za = PkiFiles.Load(exported.Pki("ZA"));
        using (var root = PkiFiles.LoadRootWithKey(exported.Root("ZA"), Path.Combine(exported.Pki("ZA"), "root.key")))
        {
            var now = DateTimeOffset.UtcNow;
            var list = RevocationListIssuer.Revoke(root, CrlDer(Crl(bundle, "ZA")), "crl.pem", RevocationListIssuer.ParseSerial(za.DocumentSigning.SerialNumber),
                X509RevocationReason.KeyCompromise, now.AddHours(-1), now);
            WriteCrl(Crl(bundle, "ZA"), list.Der);
        }

        Rehash(bundle);
        var (exit, output) = await VerifyAsync(bundle);
        Assert.True(exit == 3, output);
        Assert.Matches("(?m)^OK +crls/ZA.crl$", output);
        // What ZA's key signed (the issues, the void, ZA's receipt of the confirmation) fails; BE's receipts stand, and
        // BE's confirmation names a certificate whose issue no longer verifies.
        var failed = 0;
        foreach (var file in Directory.GetFiles(Path.Combine(bundle, "messages"), "*.dsse.json"))
        {
            using var signer = X509CertificateLoader.LoadCertificate(DsseJson.Read(File.ReadAllBytes(file)).Signatures[0].X5C[0].Span);
            var item = Regex.Escape(ExportedPeriodBundle.Relative(bundle, file));
            if (ParticipantIdentity.FromCertificate(signer) == "ZA")
            {
                Assert.True(Regex.IsMatch(output, $"(?m)^FAILED +{item}: revocation: "), output);
                failed++;
            }
            else if (file.EndsWith(".receipt.dsse.json", StringComparison.Ordinal))
            {
                Assert.True(Regex.IsMatch(output, $"(?m)^OK +{item}$"), output);
            }
            else
            {
                Assert.True(Regex.IsMatch(output, $"(?m)^FAILED +{item}: reference: names certificate {Regex.Escape(exported.Confirmed)}"), output);
            }
        }

        Assert.Equal(4, failed);
    }
}
