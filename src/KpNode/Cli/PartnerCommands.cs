using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Trust;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>
/// <c>kpnode partner card|add|update|list|reload</c> and <c>kpnode pki fingerprint</c>: onboarding a partner from its
/// signed card, checked against the root fingerprint its people read out over the phone; a running node takes it at once.
/// </summary>
internal static partial class PartnerCommands
{
    // A reload waits for nothing but the node's own files and its lanes: this is ample.
    private static readonly TimeSpan ReloadDeadline = TimeSpan.FromSeconds(30);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create() => new("partner", "Onboard trading partners from their signed participant cards")
    {
        Card(), Add(), Update(), List(), Reload(),
    };

    /// <summary><c>kpnode pki fingerprint</c>: the root's SHA-256 in groups of four, for reading over the phone.</summary>
    public static Command Fingerprint()
    {
        var pki = new Option<DirectoryInfo>("--pki") { Description = "The node's PKI folder (its root.crt)" };
        var cert = new Option<FileInfo>("--cert") { Description = "A root certificate file (e.g. root.crt, or a partner's)" };
        var json = KpNodeCli.JsonOption();
        var command = new Command("fingerprint", "Print the root certificate's SHA-256 fingerprint in groups of four hex digits, to read over the phone")
        {
            pki, cert, json,
        };
        command.SetAction(parse => PkiRotationCommands.Run(() =>
        {
            var path = (parse.GetValue(cert), parse.GetValue(pki)) switch
            {
                ({ } file, null) => file.FullName,
                (null, { } dir) => Path.Combine(dir.FullName, PkiFiles.RootCertificate),
                _ => throw new PkiRotationCommands.UsageException("give exactly one of --pki DIR or --cert FILE"),
            };
            using var root = PkiFiles.LoadRoot(path);
            var fingerprint = RootFingerprint.Of(root);
            if (parse.GetValue(json))
            {
                WriteJson(new JsonObject
                {
                    ["certificate"] = path,
                    ["subject"] = root.Subject,
                    ["participant"] = ParticipantIdentity.FromCertificate(root),
                    ["sha256"] = fingerprint,
                });
                return 0;
            }

            Output.Line($"SHA-256 fingerprint of {Output.Text(root.Subject)} ({Markup.Escape(path)}):");
            Output.Line($"  [bold]{fingerprint}[/]");
            Output.Line("Read it to your partner over the phone; they type it into 'kpnode partner add CARD --fingerprint \"…\"'.");
            return 0;
        }));
        return command;
    }

    private static Command Card()
    {
        var rootKey = new Option<FileInfo[]>("--root-key")
        {
            Description = "The root's private key; give two (old, then new) during a root rollover, so both sign the card",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var rootCert = new Option<FileInfo[]>("--root-cert") { Description = "The root certificate of each --root-key (default: root.crt beside it)" };
        var config = KpNodeCli.ConfigOption();
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the card; never overwritten", Required = true };
        var authority = new Option<string[]>("--authority") { Description = "A competent authority's name (repeatable; default: Node:ExportingAuthority)" };
        var endpoint = new Option<string[]>("--endpoint")
        {
            Description = "The https://host:port partners dial (repeatable; default: Node:PeerEndpoint when on loopback); its host must be in the node's TLS certificate",
        };
        var command = new Command("card", "Write this participant's card, signed by its root: give it to a new partner with the root's fingerprint")
        {
            rootKey, rootCert, config, output, authority, endpoint,
        };
        command.SetAction(parse => Run(() =>
        {
            var node = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            var outPath = parse.GetRequiredValue(output).FullName;
            if (File.Exists(outPath))
                throw new PkiFileException(outPath, "already exists and is never overwritten; choose another --out, or remove it.");
            var keys = parse.GetRequiredValue(rootKey);
            var certs = parse.GetValue(rootCert) ?? [];
            if (certs.Length > 0 && certs.Length != keys.Length)
                throw new PkiRotationCommands.UsageException($"--root-cert: give one for each --root-key ({keys.Length}), or none to use root.crt beside each key");
            var roots = new List<X509Certificate2>();
            try
            {
                for (var i = 0; i < keys.Length; i++)
                {
                    var certPath = certs.Length > 0 ? certs[i].FullName : Path.Combine(keys[i].DirectoryName!, PkiFiles.RootCertificate);
                    var root = PkiFiles.LoadRootWithKey(certPath, keys[i].FullName);
                    roots.Add(root);
                    if (ParticipantIdentity.FromCertificate(root) != node.Participant)
                        throw new PkiFileException(certPath, $"is not a root of {node.Participant} (the participant of {node.FilePath}).");
                }

                var authorities = parse.GetValue(authority) is { Length: > 0 } named ? named : [node.Options.ExportingAuthority];
                var card = new ParticipantCard(node.Participant, authorities, roots, Endpoints(node, parse.GetValue(endpoint) ?? []),
                    ParticipantCard.OurProtocolVersions, ParticipantCard.OurPayloadTypes, TruncatedNow())
                {
                    Offices = [.. node.Options.Offices.Select(o => new PartnerOffice(o.Code, o.ExportingAuthority, o.NumberPrefix))],
                };
                PkiFiles.WriteNew(outPath, System.Text.Encoding.UTF8.GetString(ParticipantCardEnvelope.Sign(card, roots)), PkiFiles.PublicFile);
                Output.Line($"Wrote the card of [bold]{Markup.Escape(node.Participant)}[/] to {Markup.Escape(outPath)}, signed by {(roots.Count == 1 ? "its root" : $"its {roots.Count} roots")}:");
                Describe(card);
                Output.Line("Send the card to the partner by any means; then read them the fingerprint over the phone. They run:");
                Output.Line($"  kpnode partner add {Markup.Escape(Path.GetFileName(outPath))} --fingerprint \"{RootFingerprint.Of(roots[^1])}\" --config NODECONFIG");
                return 0;
            }
            finally
            {
                foreach (var root in roots)
                    root.Dispose();
            }
        }));
        return command;
    }

    private static Command Add()
    {
        var file = new Argument<FileInfo>("CARD") { Description = "The partner's card, written by 'kpnode partner card' on their side" };
        var fingerprint = new Option<string>("--fingerprint") { Description = "The partner's root fingerprint as read to you over the phone (spaces and case ignored)", Required = true };
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("add", "Add a partner from its card, once its root matches the fingerprint read over the phone; a running node starts exchanging with it at once")
        {
            file, fingerprint, config, json,
        };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var node = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            var (path, bytes, card) = Open(parse.GetRequiredValue(file));
            var typed = parse.GetRequiredValue(fingerprint);
            if (RootFingerprint.Normalize(typed) is null)
                throw new ParticipantCardException(path, [$"--fingerprint: '{Domain.Printable.Of(typed, 100)}' is not a SHA-256 fingerprint (64 hex digits, e.g. \"4C96 1A0F …\"); ask the partner to read it again from 'kpnode pki fingerprint'"]);
            Refuse(path, Admissible(node, card, adding: true));
            var matched = card.Roots.FirstOrDefault(r => RootFingerprint.Matches(r, typed));
            if (matched is null)
            {
                throw new ParticipantCardException(path,
                [
                    $"the card's root fingerprint is {string.Join(" / ", card.Roots.Select(RootFingerprint.Of))}, not the {Grouped(RootFingerprint.Normalize(typed)!)} you were given: "
                    + $"this card may not come from {card.Participant}. Nothing was added. Call {card.Participant}'s people on a number you already know, and compare the fingerprint group by group",
                ]);
            }

            var (rootPath, _) = PartnerConfigFile.Save(node, card, bytes);
            return await ReportAsync(json, parse, node, card, rootPath, ct, $"Added partner [bold]{Markup.Escape(card.Participant)}[/] to {Markup.Escape(node.FilePath)}; its root fingerprint matches the one you were given:");
        }));
        return command;
    }

    private static Command Update()
    {
        var file = new Argument<FileInfo>("CARD") { Description = "The partner's newer card (a new endpoint, or a new root during a rollover)" };
        var fingerprint = new Option<string>("--fingerprint") { Description = "Only if the partner changed its root without a rollover: the new root's fingerprint, read over the phone" };
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("update", "Take a partner's newer card: signed by a root we already trust, or matching --fingerprint; a running node takes it at once")
        {
            file, fingerprint, config, json,
        };
        command.SetAction((parse, ct) => RunAsync(async () =>
        {
            var node = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            var (path, bytes, card) = Open(parse.GetRequiredValue(file));
            Refuse(path, Admissible(node, card, adding: false));
            var existing = node.Options.Partners.Single(p => p.Participant == card.Participant);
            var trusted = PartnerConfigFile.Roots(existing.RootCertificate);
            var vouching = card.Roots.FirstOrDefault(r => trusted.Any(t => t.RawDataMemory.Span.SequenceEqual(r.RawDataMemory.Span)));
            var typed = parse.GetValue(fingerprint);
            if (vouching is null && (typed is null || !card.Roots.Any(r => RootFingerprint.Matches(r, typed))))
            {
                throw new ParticipantCardException(path,
                [
                    $"none of its roots ({string.Join(" / ", card.Roots.Select(RootFingerprint.Of))}) is the root we trust for {card.Participant} "
                    + $"({string.Join(" / ", trusted.Select(RootFingerprint.Of))}), so nothing vouches for it"
                    + (typed is null ? "" : ", and it does not match --fingerprint")
                    + $". A rollover card is signed by the old root as well as the new. If {card.Participant} really replaced its root, call its people on a number you already know and run: "
                    + $"kpnode partner update {Path.GetFileName(path)} --fingerprint \"NEW ROOT FINGERPRINT\" --config {node.FilePath}",
                ]);
            }

            if (File.Exists(PartnerConfigFile.CardBeside(existing.RootCertificate))
                && ReadCardDate(PartnerConfigFile.CardBeside(existing.RootCertificate)) is { } held && card.Date <= held)
                throw new ParticipantCardException(path, [$"its date {Day(card.Date)} is not after the card we hold for {card.Participant} ({Day(held)}); nothing changed"]);

            var (rootPath, _) = PartnerConfigFile.Save(node, card, bytes);
            var how = vouching is not null ? $"signed by the root we already trust ({RootFingerprint.Of(vouching)})" : "its root matches the fingerprint you were given";
            return await ReportAsync(json, parse, node, card, rootPath, ct, $"Updated partner [bold]{Markup.Escape(card.Participant)}[/] in {Markup.Escape(node.FilePath)}; the card is {how}:");
        }));
        return command;
    }

    private static (string Path, byte[] Bytes, ParticipantCard Card) Open(FileInfo file)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PkiFileException(file.FullName, $"cannot be read ({e.Message}).");
        }

        return (file.FullName, bytes, ParticipantCardEnvelope.Open(bytes, file.FullName, DateTimeOffset.UtcNow));
    }

    /// <summary>Why this card cannot be added (or, <paramref name="adding"/> false, taken as an update) to this node's partners.</summary>
    private static List<string> Admissible(NodeConfig node, ParticipantCard card, bool adding)
    {
        var problems = new List<string>();
        if (card.Participant == node.Participant)
            problems.Add($"it is the card of {card.Participant}, this node's own participant; a partner is another participant");
        var known = node.Options.Partners.Any(p => p.Participant == card.Participant);
        if (adding && known)
            problems.Add($"{card.Participant} is already a partner; to take a newer card, run 'kpnode partner update'");
        if (!adding && !known && card.Participant != node.Participant)
            problems.Add($"{card.Participant} is not a partner yet; add it with 'kpnode partner add CARD --fingerprint \"…\"', after a phone call");
        if (!card.ProtocolVersions.Intersect(ParticipantCard.OurProtocolVersions).Any())
            problems.Add($"it speaks {string.Join(", ", card.ProtocolVersions)}, and this node only {string.Join(", ", ParticipantCard.OurProtocolVersions)}");
        return problems;
    }

    private static void Refuse(string path, List<string> problems)
    {
        if (problems.Count > 0)
            throw new ParticipantCardException(path, [.. problems, "nothing was changed"]);
    }

    private static async Task<int> ReportAsync(Option<bool> json, ParseResult parse, NodeConfig node, ParticipantCard card, string rootPath,
        CancellationToken ct, string headline)
    {
        var (reloaded, notRunning, refused) = await TryReloadAsync(node, ct);
        if (parse.GetValue(json))
        {
            WriteJson(new JsonObject
            {
                ["participant"] = card.Participant,
                ["config"] = node.FilePath,
                ["rootCertificate"] = rootPath,
                ["rootFingerprints"] = new JsonArray([.. card.Roots.Select(r => (JsonNode)RootFingerprint.Of(r))]),
                ["address"] = card.PeerEndpoints[0].ToString().TrimEnd('/'),
                ["cardDate"] = Time(card.Date),
                ["takesEffect"] = reloaded is not null ? "now" : refused is not null ? "refused-by-node" : "next-node-start",
                ["nodeChange"] = reloaded?.Partners.FirstOrDefault(p => p.Participant == card.Participant) is { } mine ? ChangeName(mine.Change) : null,
                ["nodeRefusal"] = refused,
            });
            return refused is null ? 0 : 1;
        }

        Output.Line(headline);
        Describe(card);
        Output.Line($"Saved its root in {Markup.Escape(rootPath)}.");
        if (refused is not null)
        {
            return KpNodeCli.Fail($"The card is saved in {node.FilePath}, but the running node refused to take it and keeps the partners it has: {refused} "
                                  + $"Fix that, then run 'kpnode partner reload --config {node.FilePath}'.");
        }

        Output.Line(reloaded is not null
            ? $"The running node took it: it exchanges with [bold]{Markup.Escape(card.Participant)}[/] now (no restart; other partners' deliveries were not touched)."
            : $"The node is not running or its Local API cannot be reached ({Markup.Escape(notRunning ?? "")}): it picks this partner up at its next start (kpnode run --config FILE).");
        return 0;
    }

    /// <summary>Asks the running node to reload its partners: its answer, or why it cannot be reached, or what it refused.</summary>
    private static async Task<(ReloadPartnersResponse? Reloaded, string? NotRunning, string? Refused)> TryReloadAsync(NodeConfig node, CancellationToken ct)
    {
        try
        {
            using var client = LocalApiClient.Connect(node);
            var response = await client.Operations.ReloadPartnersAsync(new ReloadPartnersRequest(), deadline: DateTime.UtcNow + ReloadDeadline, cancellationToken: ct);
            return (response, null, null);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            return (null, $"{node.LocalListen.Host}:{node.LocalListen.Port}", null);
        }
        catch (RpcException e)
        {
            return (null, null, e.Status.Detail);
        }
        catch (PkiFileException e)
        {
            // No operator certificate here: this machine cannot speak to the node, which reads the file when it starts.
            return (null, e.Message, null);
        }
    }

    private static void Describe(ParticipantCard card)
    {
        var table = new Table().Column("").Column("", freeText: true);
        table.Row("Participant", card.Participant);
        table.Row("Authorities", string.Join("; ", card.Authorities));
        foreach (var office in card.Offices)
            table.Row("Office", $"{office.Code}: {office.ExportingAuthority} (numbers {office.NumberPrefix}-…)");
        foreach (var root in card.Roots)
            table.Row("Root", $"{RootFingerprint.Of(root)} (valid until {Day(root.NotAfter)})");
        table.Row("Peer API", string.Join(", ", card.PeerEndpoints.Select(e => e.ToString().TrimEnd('/'))));
        table.Row("Protocol", string.Join(", ", card.ProtocolVersions));
        table.Row("Payload types", string.Join(", ", card.PayloadTypes));
        table.Row("Card date", Time(card.Date));
        table.Write(header: false);
    }

    /// <summary>The addresses partners dial; a loopback listener is dialled as localhost, the name its TLS certificate always has.</summary>
    private static List<Uri> Endpoints(NodeConfig node, string[] given)
    {
        if (given.Length > 0)
        {
            return [.. given.Select(e => Uri.TryCreate(e, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && uri.PathAndQuery == "/"
                ? uri
                : throw new PkiRotationCommands.UsageException($"--endpoint: '{Domain.Printable.Of(e, 100)}' is not https://host:port"))];
        }

        var listen = node.PeerListen;
        if (listen.IsLocalhost || listen.Ip is { } ip && System.Net.IPAddress.IsLoopback(ip))
            return [new Uri($"https://localhost:{listen.Port}")];
        throw new PkiRotationCommands.UsageException(
            $"--endpoint: Node:PeerEndpoint {listen.Host}:{listen.Port} is not an address partners can dial; give the https://name:port they use (a DNS name in the node's TLS certificate, see 'kpnode pki request --purpose tls --dns')");
    }

    private static string Grouped(string hex) => string.Join(' ', hex.Chunk(4).Select(c => new string(c)));

    private static DateTimeOffset? ReadCardDate(string cardPath)
    {
        try
        {
            return ParticipantCardEnvelope.Open(File.ReadAllBytes(cardPath), cardPath, DateTimeOffset.UtcNow).Date;
        }
        catch (Exception e) when (e is ParticipantCardException or IOException)
        {
            return null;
        }
    }

    private static DateTimeOffset TruncatedNow()
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    private static string Day(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static void WriteJson(JsonObject json) => Console.Out.WriteLine(json.ToJsonString(Indented));

    private static Task<int> Run(Func<int> body) => PkiRotationCommands.Run(() =>
    {
        try
        {
            return body();
        }
        catch (ParticipantCardException e)
        {
            return KpNodeCli.Fail(e.Message);
        }
    });

    private static Task<int> RunAsync(Func<Task<int>> body) => KpNodeCli.Guard(async () =>
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is ParticipantCardException or PkiRotationCommands.UsageException or LeafRequestException)
        {
            return KpNodeCli.Fail(e.Message);
        }
    });
}
