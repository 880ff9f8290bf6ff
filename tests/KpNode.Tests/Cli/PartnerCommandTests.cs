using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using KpNode.Configuration;
using KpNode.Tests.Exchange;
using KpNode.Trust;

namespace KpNode.Tests.Cli;

/// <summary>
/// Partner onboarding by fingerprint as people do it: `pki fingerprint` read over the phone, `partner card` on one side,
/// `partner add|update|list` on the other, the real binary throughout, openssl (not ours) checking a card, and real
/// nodes exchanging once the cards are in.
/// </summary>
public sealed class PartnerCommandTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("kpnode-partner-");

    public void Dispose() => _temp.Delete(recursive: true);

    private static async Task<KpNodeProcess.Result> Kpnode(params string[] args)
    {
        var result = await KpNodeProcess.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kpnode {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        return result;
    }

    private static async Task<KpNodeProcess.Result> Refused(params string[] args)
    {
        var result = await KpNodeProcess.RunAsync(args);
        Assert.True(result.ExitCode == 1, $"kpnode {string.Join(' ', args)} exited {result.ExitCode}, not 1:\n{result.Stdout}\n{result.Stderr}");
        return result;
    }

    /// <summary>A participant's folder as a deployment has it: PKI with the root key elsewhere, and a node config with no partners.</summary>
    private async Task<string> ParticipantAsync(string code, int peerPort)
    {
        var dir = Path.Combine(_temp.FullName, code.ToLowerInvariant());
        await Kpnode("pki", "init", "--participant", code, "--out", Path.Combine(dir, "pki"), "--root-out", Path.Combine(_temp.FullName, code.ToLowerInvariant() + "-root"));
        var config = Path.Combine(dir, "node.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              // Comments are allowed in a node config.
              "Node": {
                "Participant": "{{code}}",
                "ExportingAuthority": "Authority of {{code}}",
                "IssuingPrefixes": [ "{{code}}" ],
                "DataDirectory": "data",
                "PkiDirectory": "pki",
                "PeerEndpoint": "127.0.0.1:{{peerPort}}",
                "LocalEndpoint": "127.0.0.1:{{peerPort + 1}}",
                "MaxValidityDays": 90
              }
            }
            """);
        return config;
    }

    private string RootKey(string code) => Path.Combine(_temp.FullName, code.ToLowerInvariant() + "-root", "root.key");

    private async Task<string> FingerprintAsync(string code) =>
        JsonNode.Parse((await Kpnode("pki", "fingerprint", "--pki", Path.Combine(_temp.FullName, code.ToLowerInvariant(), "pki"), "--json")).Stdout)!["sha256"]!.GetValue<string>();

    private async Task<string> CardAsync(string code, string config, params string[] extra)
    {
        var card = Path.Combine(_temp.FullName, $"{code.ToLowerInvariant()}-{Guid.NewGuid():N}.card");
        await Kpnode(["partner", "card", "--root-key", RootKey(code), "--config", config, "--out", card, .. extra]);
        return card;
    }

    [Fact]
    public async Task A_card_added_with_the_fingerprint_read_over_the_phone_makes_a_partner_the_node_config_loads()
    {
        var za = await ParticipantAsync("ZA", 7401);
        var be = await ParticipantAsync("BE", 7501);
        var fingerprint = await FingerprintAsync("BE");
        Assert.Matches("^([0-9A-F]{4} ){15}[0-9A-F]{4}$", fingerprint);
        var opensslFingerprint = await OpenSsl("x509", "-in", Path.Combine(_temp.FullName, "be", "pki", "root.crt"), "-noout", "-fingerprint", "-sha256");
        Assert.Contains(fingerprint.Replace(" ", ""), opensslFingerprint.Replace(":", ""));
        var human = await Kpnode("pki", "fingerprint", "--cert", Path.Combine(_temp.FullName, "be", "pki", "root.crt"));
        Assert.Contains(fingerprint, human.Stdout);

        var card = await CardAsync("BE", be, "--authority", "FPS Economy, Diamond Office Antwerp");
        // Typed as a person might: lower case, without the spaces.
        var added = await Kpnode("partner", "add", card, "--fingerprint", fingerprint.Replace(" ", "").ToLowerInvariant(), "--config", za);
        Assert.Contains("Added partner BE", added.Stdout);
        Assert.Contains("picks this partner up at its next start", added.Stdout);

        var config = NodeConfig.Load(za);
        var partner = Assert.Single(config.Options.Partners);
        Assert.Equal("BE", partner.Participant);
        Assert.Equal("https://localhost:7501", partner.Address);
        Assert.Equal("FPS Economy, Diamond Office Antwerp", partner.ExportingAuthority);
        Assert.Equal(90, config.Options.MaxValidityDays);
        var loaded = Partners.Load(config).Find("BE")!;
        Assert.Equal(fingerprint, RootFingerprint.Of(loaded.Root));

        var listed = JsonNode.Parse((await Kpnode("partner", "list", "--config", za, "--json")).Stdout)!["partners"]!.AsArray().Single()!;
        Assert.Equal("BE", listed["participant"]!.GetValue<string>());
        Assert.Equal(fingerprint, listed["rootFingerprints"]![0]!.GetValue<string>());
        Assert.Equal(JsonNode.Parse(Payload(await File.ReadAllBytesAsync(card)))!["date"]!.GetValue<string>(), listed["cardDate"]!.GetValue<string>());
        Assert.Contains(fingerprint, (await Kpnode("partner", "list", "--config", za)).Stdout);
        Assert.Equal("node not running", listed["handshake"]!.GetValue<string>());

        // Again: BE is a partner now, so only `partner update` takes its card; our own card is no partner's.
        var again = await Refused("partner", "add", card, "--fingerprint", fingerprint, "--config", za);
        Assert.Contains("partner update", again.Stderr);
        var own = await Refused("partner", "add", await CardAsync("ZA", za), "--fingerprint", await FingerprintAsync("ZA"), "--config", za);
        Assert.Contains("this node's own participant", own.Stderr);
    }

    [Fact]
    public async Task A_card_of_a_participant_with_offices_carries_them_and_adding_it_configures_each_offices_authority_and_prefix()
    {
        var za = await ParticipantAsync("ZA", 7421);
        var eu = await ParticipantAsync("EU", 7521);
        var node = JsonNode.Parse(await File.ReadAllTextAsync(eu), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;
        node["Node"]!["IssuingPrefixes"] = new JsonArray("DE", "CZ");
        node["Node"]!["Offices"] = new JsonArray(
            new JsonObject { ["Code"] = "DE-IDAR-OBERSTEIN", ["ExportingAuthority"] = "Zollamt Idar-Oberstein", ["NumberPrefix"] = "DE" },
            new JsonObject { ["Code"] = "CZ-PRAGUE", ["ExportingAuthority"] = "Celní úřad Praha", ["NumberPrefix"] = "CZ" });
        await File.WriteAllTextAsync(eu, node.ToJsonString());

        var card = await CardAsync("EU", eu);
        var offices = JsonNode.Parse(Payload(await File.ReadAllBytesAsync(card)))!["offices"]!.AsArray();
        Assert.Equal(["DE-IDAR-OBERSTEIN", "CZ-PRAGUE"], offices.Select(o => o!["code"]!.GetValue<string>()));
        var added = await Kpnode("partner", "add", card, "--fingerprint", await FingerprintAsync("EU"), "--config", za);
        Assert.Contains("CZ-PRAGUE: Celní úřad Praha (numbers CZ-…)", added.Stdout);

        var partner = Assert.Single(NodeConfig.Load(za).Options.Partners);
        Assert.Equal(["DE", "CZ"], partner.NumberPrefixes);
        Assert.Equal("", partner.ExportingAuthority);
        Assert.Equal([("DE-IDAR-OBERSTEIN", "Zollamt Idar-Oberstein", "DE"), ("CZ-PRAGUE", "Celní úřad Praha", "CZ")],
            partner.Offices.Select(o => (o.Code, o.ExportingAuthority, o.NumberPrefix)));
    }

    [Fact]
    public async Task A_wrong_fingerprint_is_refused_with_what_to_do_and_nothing_is_written()
    {
        var za = await ParticipantAsync("ZA", 7401);
        var be = await ParticipantAsync("BE", 7501);
        var card = await CardAsync("BE", be);
        var before = await File.ReadAllBytesAsync(za);
        var right = await FingerprintAsync("BE");
        // One digit misheard.
        var misheard = (right[0] == '0' ? "1" : "0") + right[1..];

        var refused = await Refused("partner", "add", card, "--fingerprint", misheard, "--config", za);
        Assert.Contains(right, refused.Stderr);
        Assert.Contains("Call BE's people on a number you already know", refused.Stderr);
        Assert.Equal(before, await File.ReadAllBytesAsync(za));
        Assert.False(Directory.Exists(Path.Combine(_temp.FullName, "za", "partners")));

        var notOne = await Refused("partner", "add", card, "--fingerprint", "4C96 1A0F", "--config", za);
        Assert.Contains("not a SHA-256 fingerprint", notOne.Stderr);
    }

    [Fact]
    public async Task A_card_altered_after_signing_is_refused_even_with_the_right_fingerprint()
    {
        var za = await ParticipantAsync("ZA", 7401);
        var be = await ParticipantAsync("BE", 7501);
        var card = await CardAsync("BE", be);
        var fingerprint = await FingerprintAsync("BE");
        var envelope = JsonNode.Parse(await File.ReadAllBytesAsync(card))!;

        // The endpoint redirected to another server: still a well-formed card, no longer the one BE's root signed.
        var payload = Encoding.UTF8.GetString(Payload(await File.ReadAllBytesAsync(card))).Replace("localhost:7501", "localhost:7666", StringComparison.Ordinal);
        envelope["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload));
        var redirected = Path.Combine(_temp.FullName, "redirected.card");
        await File.WriteAllTextAsync(redirected, envelope.ToJsonString());
        var refused = await Refused("partner", "add", redirected, "--fingerprint", fingerprint, "--config", za);
        Assert.Contains("does not verify", refused.Stderr);
        Assert.Contains("altered", refused.Stderr);

        // One byte of the file flipped, in the middle of the payload.
        var bytes = await File.ReadAllBytesAsync(card);
        var at = Encoding.ASCII.GetString(bytes).IndexOf("\"payload\"", StringComparison.Ordinal) + 200;
        bytes[at] = (byte)(bytes[at] == 'A' ? 'B' : 'A');
        var flipped = Path.Combine(_temp.FullName, "flipped.card");
        await File.WriteAllBytesAsync(flipped, bytes);
        var flippedRefused = await Refused("partner", "add", flipped, "--fingerprint", fingerprint, "--config", za);
        Assert.Contains("flipped.card", flippedRefused.Stderr);
        Assert.Empty(NodeConfig.Load(za).Options.Partners);
    }

    [Fact]
    public async Task Openssl_verifies_a_card_s_signature_over_the_PAE_bytes_with_the_root_s_public_key()
    {
        var be = await ParticipantAsync("BE", 7501);
        var card = JsonNode.Parse(await File.ReadAllBytesAsync(await CardAsync("BE", be)))!;
        var type = card["payloadType"]!.GetValue<string>();
        var payload = Convert.FromBase64String(card["payload"]!.GetValue<string>());
        // PAE as the DSSE specification writes it, built here rather than by KpNode's own code.
        var pae = Encoding.UTF8.GetBytes($"DSSEv1 {Encoding.UTF8.GetByteCount(type)} {type} {payload.Length} ").Concat(payload).ToArray();
        var dir = Directory.CreateDirectory(Path.Combine(_temp.FullName, "openssl")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(dir, "pae.bin"), pae);
        await File.WriteAllBytesAsync(Path.Combine(dir, "sig.der"), Convert.FromBase64String(card["signatures"]![0]!["sig"]!.GetValue<string>()));
        var pub = await OpenSsl("x509", "-in", Path.Combine(_temp.FullName, "be", "pki", "root.crt"), "-noout", "-pubkey");
        await File.WriteAllTextAsync(Path.Combine(dir, "root.pub"), pub);

        Assert.Contains("Verified OK", await OpenSsl("dgst", "-sha256", "-verify", Path.Combine(dir, "root.pub"), "-signature", Path.Combine(dir, "sig.der"), Path.Combine(dir, "pae.bin")));
        Assert.Contains("BE Root CA", await OpenSsl("x509", "-noout", "-subject", "-in", Pem(payload, dir)));
    }

    [Fact]
    public async Task Update_takes_a_newer_card_with_a_new_endpoint_and_a_rollover_card_signed_by_old_and_new_root()
    {
        var za = await ParticipantAsync("ZA", 7401);
        var be = await ParticipantAsync("BE", 7501);
        await Kpnode("partner", "add", await CardAsync("BE", be), "--fingerprint", await FingerprintAsync("BE"), "--config", za);
        using var oldRoot = PkiFiles.LoadRootWithKey(Path.Combine(_temp.FullName, "be-root", "root.crt"), RootKey("BE"));
        var held = DateTimeOffset.Parse(JsonNode.Parse((await Kpnode("partner", "list", "--config", za, "--json")).Stdout)!["partners"]![0]!["cardDate"]!.GetValue<string>(),
            System.Globalization.CultureInfo.InvariantCulture);

        // A newer card: BE moved its Peer API.
        var moved = await WriteCardAsync("moved", new ParticipantCard("BE", ["Authority of BE"], [oldRoot], [new Uri("https://kp.be.example:8443")],
            ["kp.v1"], ParticipantCard.OurPayloadTypes, held.AddSeconds(1)), oldRoot);
        Assert.Contains("signed by the root we already trust", (await Kpnode("partner", "update", moved, "--config", za)).Stdout);
        Assert.Equal("https://kp.be.example:8443", NodeConfig.Load(za).Options.Partners.Single().Address);
        var stale = await Refused("partner", "update", moved, "--config", za);
        Assert.Contains("is not after the card we hold", stale.Stderr);

        // Rollover: a new root, announced by a card both roots sign; no phone call needed, both roots kept.
        using var newPki = DevPki.Create("BE", [], DateTimeOffset.UtcNow);
        var rollover = await WriteCardAsync("rollover", new ParticipantCard("BE", ["Authority of BE"], [oldRoot, newPki.Root],
            [new Uri("https://kp.be.example:8443")], ["kp.v1"], ParticipantCard.OurPayloadTypes, held.AddSeconds(2)), oldRoot, newPki.Root);
        await Kpnode("partner", "update", rollover, "--config", za);
        var fingerprints = JsonNode.Parse((await Kpnode("partner", "list", "--config", za, "--json")).Stdout)!["partners"]![0]!["rootFingerprints"]!.AsArray()
            .Select(f => f!.GetValue<string>());
        Assert.Equal([RootFingerprint.Of(oldRoot), RootFingerprint.Of(newPki.Root)], fingerprints);
        var rolledOver = Partners.Load(NodeConfig.Load(za)).Find("BE")!;
        Assert.Equal(oldRoot.RawData, rolledOver.Root.RawData);
        // During the overlap the node trusts both: a leaf of the new root verifies as BE's.
        Assert.Equal([oldRoot.RawData, newPki.Root.RawData], rolledOver.Anchors.Select(a => a.RawData));
        Assert.True(new TrustChain().Validate(newPki.DocumentSigning, [], KeyPurpose.DocumentSigning, DateTimeOffset.UtcNow, rolledOver.Anchors).IsTrusted);

        // A card of a root we have never seen is refused, unless its fingerprint was read over the phone.
        using var strangerPki = DevPki.Create("BE", [], DateTimeOffset.UtcNow);
        var stranger = await WriteCardAsync("stranger", new ParticipantCard("BE", ["Authority of BE"], [strangerPki.Root],
            [new Uri("https://evil.example:443")], ["kp.v1"], ParticipantCard.OurPayloadTypes, held.AddSeconds(3)), strangerPki.Root);
        var refused = await Refused("partner", "update", stranger, "--config", za);
        Assert.Contains("nothing vouches for it", refused.Stderr);
        Assert.Contains("--fingerprint", refused.Stderr);
        Assert.Equal("https://kp.be.example:8443", NodeConfig.Load(za).Options.Partners.Single().Address);
        await Kpnode("partner", "update", stranger, "--fingerprint", RootFingerprint.Of(strangerPki.Root), "--config", za);
        Assert.Equal(strangerPki.Root.RawData, Partners.Load(NodeConfig.Load(za)).Find("BE")!.Root.RawData);

        // A rollover card signed by the new root only is refused: every root a card carries signs it.
        var halfSigned = JsonNode.Parse(await File.ReadAllBytesAsync(rollover))!;
        halfSigned["signatures"]!.AsArray().RemoveAt(0);
        var half = Path.Combine(_temp.FullName, "half.card");
        await File.WriteAllTextAsync(half, halfSigned.ToJsonString());
        Assert.Contains("did not sign the card", (await Refused("partner", "update", half, "--config", za)).Stderr);
    }

    [Fact]
    public async Task Two_nodes_that_took_each_other_s_cards_exchange_a_certificate_after_a_restart()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["ZA"].StopAsync();
        await net["BE"].StopAsync();
        foreach (var code in new[] { "ZA", "BE" })
        {
            // As before onboarding: no partners at all.
            var json = JsonNode.Parse(await File.ReadAllTextAsync(net[code].Config.FilePath))!;
            json["Node"]!["Partners"] = new JsonArray();
            await File.WriteAllTextAsync(net[code].Config.FilePath, json.ToJsonString());
        }

        foreach (var (from, to) in new[] { ("BE", "ZA"), ("ZA", "BE") })
        {
            var card = Path.Combine(_temp.FullName, from + ".card");
            await Kpnode("partner", "card", "--root-key", Path.Combine(net.PkiDir(from), "root.key"), "--config", net[from].Config.FilePath, "--out", card);
            var fingerprint = JsonNode.Parse((await Kpnode("pki", "fingerprint", "--pki", net.PkiDir(from), "--json")).Stdout)!["sha256"]!.GetValue<string>();
            await Kpnode("partner", "add", card, "--fingerprint", fingerprint, "--config", net[to].Config.FilePath);
        }

        foreach (var code in new[] { "BE", "ZA" })
        {
            net[code].Config = NodeConfig.Load(net[code].Config.FilePath);
            Assert.Single(net[code].Config.Options.Partners);
            await net[code].StartAsync();
        }

        var number = await net.DeliverAsync("ZA", "BE");
        Assert.NotNull(await net.FindAsync("BE", number));
    }

    private async Task<string> WriteCardAsync(string name, ParticipantCard card, params X509Certificate2[] roots)
    {
        var path = Path.Combine(_temp.FullName, name + ".card");
        await File.WriteAllBytesAsync(path, ParticipantCardEnvelope.Sign(card, roots));
        return path;
    }

    private static byte[] Payload(byte[] envelope) => Convert.FromBase64String(JsonNode.Parse(envelope)!["payload"]!.GetValue<string>());

    private static string Pem(byte[] payload, string dir)
    {
        var path = Path.Combine(dir, "card-root.pem");
        File.WriteAllText(path, JsonNode.Parse(payload)!["roots"]![0]!.GetValue<string>());
        return path;
    }

    private static async Task<string> OpenSsl(params string[] args)
    {
        await ThirdPartyTools.RequireOpenSslAsync();
        var (exit, stdout, stderr) = await ThirdPartyTools.RunAsync(ThirdPartyTools.OpenSsl, args, TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"openssl {string.Join(' ', args)} exited {exit}: {stderr}");
        return stdout + stderr;
    }
}
