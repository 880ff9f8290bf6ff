using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KpNode.Configuration;
using KpNode.Trust;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>
/// <c>kpnode pki revoke|publish</c>: the root signs the next CRL where its key is kept, and the node takes it and tells
/// every partner through the outbox.
/// </summary>
internal static class PkiRevocationCommands
{
    /// <summary>The CRL's file name beside the root key, when --out is not given.</summary>
    public const string DefaultCrlFile = "crl.pem";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Revoke()
    {
        var rootKey = new Option<FileInfo>("--root-key") { Description = "The root's private key (root.key, where 'pki init --root-out' wrote it)", Required = true };
        var rootCert = new Option<FileInfo>("--root-cert") { Description = "The root certificate (default: root.crt beside --root-key)" };
        var serial = new Option<string>("--serial") { Description = "Serial of the certificate to revoke, in hex (openssl x509 -noout -serial)", Required = true };
        var reason = new Option<string>("--reason") { Description = "keyCompromise, superseded or cessationOfOperation", Required = true };
        var effective = new Option<string>("--effective") { Description = "From when the certificate is revoked, ISO 8601 (default now; only keyCompromise may be back-dated)" };
        var output = new Option<FileInfo>("--out", "-o") { Description = $"The CRL to extend (its entries are kept) and write again (default: {DefaultCrlFile} beside --root-key)" };
        var json = KpNodeCli.JsonOption();
        var command = new Command("revoke", "Revoke a certificate: write the root's next CRL (run where the root key is kept), then 'kpnode pki publish' it")
        {
            rootKey, rootCert, serial, reason, effective, output, json,
        };
        command.SetAction(parse => PkiRotationCommands.Run(() =>
        {
            var keyPath = parse.GetRequiredValue(rootKey).FullName;
            var rootPath = parse.GetValue(rootCert)?.FullName ?? Path.Combine(Path.GetDirectoryName(keyPath)!, PkiFiles.RootCertificate);
            var outPath = parse.GetValue(output)?.FullName ?? Path.Combine(Path.GetDirectoryName(keyPath)!, DefaultCrlFile);
            var why = RevocationListIssuer.ParseReason(parse.GetValue(reason))
                ?? throw new PkiRotationCommands.UsageException($"--reason: '{Domain.Printable.Of(parse.GetValue(reason), 40)}' is not one of keyCompromise, superseded, cessationOfOperation");
            var now = DateTimeOffset.UtcNow;
            var when = parse.GetValue(effective) is { } text
                ? RevocationListIssuer.ParseTime(text) ?? throw new PkiRotationCommands.UsageException($"--effective: '{Domain.Printable.Of(text, 40)}' is not a time; write it like 2026-12-01T09:30:00Z")
                : now;

            RevocationList list;
            try
            {
                var serialBytes = RevocationListIssuer.ParseSerial(parse.GetRequiredValue(serial));
                byte[]? current = File.Exists(outPath) ? ReadFile(outPath) : null;
                using var root = PkiFiles.LoadRootWithKey(rootPath, keyPath);
                list = RevocationListIssuer.Revoke(root, current, outPath, serialBytes, why, when, now);
            }
            catch (RevocationListException e)
            {
                throw new PkiRotationCommands.UsageException(e.Message);
            }

            // Written beside and renamed over: a crash never leaves half a CRL where the only copy of the list was.
            var temporary = outPath + ".new";
            File.Delete(temporary);
            PkiFiles.WriteNew(temporary, System.Security.Cryptography.PemEncoding.WriteString("X509 CRL", list.Der) + "\n", PkiFiles.PublicFile);
            File.Move(temporary, outPath, overwrite: true);
            var publish = $"kpnode pki publish {Path.GetFileName(outPath)} --config CONFIG";
            if (parse.GetValue(json))
            {
                var entries = new JsonArray();
                foreach (var e in list.Entries)
                    entries.Add(new JsonObject { ["serial"] = e.Serial, ["effective"] = TrustChain.Format(e.EffectiveAt), ["reason"] = e.ReasonName });
                Console.Out.WriteLine(new JsonObject
                {
                    ["crl"] = outPath,
                    ["number"] = (long)list.Number,
                    ["thisUpdate"] = TrustChain.Format(list.ThisUpdate),
                    ["nextUpdate"] = list.NextUpdate is { } next ? TrustChain.Format(next) : null,
                    ["revoked"] = entries,
                    ["publishCommand"] = publish,
                }.ToJsonString(Indented));
                return 0;
            }

            Output.Line($"Wrote revocation list [bold]{(long)list.Number}[/] to {Markup.Escape(outPath)}, signed by the root; current until {Markup.Escape(TrustChain.Format(list.NextUpdate ?? list.ThisUpdate))}:");
            var table = new Table().Column("Serial").Column("Effective").Column("Reason");
            foreach (var e in list.Entries)
                table.Row(e.Serial, TrustChain.Format(e.EffectiveAt), e.ReasonName);
            table.Write();
            Output.Line($"Next, copy {Markup.Escape(Path.GetFileName(outPath))} to the node and run there (every partner is told through the outbox):");
            Output.Line("  " + Markup.Escape(publish));
            Output.Line($"Keep {Markup.Escape(outPath)} with the root key: the next 'kpnode pki revoke' extends it.");
            return 0;
        }));
        return command;
    }

    public static Command Publish()
    {
        var crl = new Argument<FileInfo>("CRL") { Description = "The crl.pem 'kpnode pki revoke' wrote" };
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("publish", "Give the node its root's new CRL: it keeps it, enforces it and sends a revocation notice to every partner")
        {
            crl, config, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            byte[] bytes;
            try
            {
                bytes = ReadFile(parse.GetRequiredValue(crl).FullName);
            }
            catch (RevocationListException e)
            {
                return KpNodeCli.Fail(e.Message);
            }

            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var published = await client.Api.PublishRevocationListAsync(new PublishRevocationListRequest { Crl = ByteString.CopyFrom(bytes) }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(published);
                return 0;
            }

            Output.Line($"The node holds revocation list [bold]{published.CrlNumber}[/] and enforces it; a revocation notice is queued for "
                + (published.NotifiedPartners.Count == 0 ? "no partner (none is configured)." : Markup.Escape(string.Join(", ", published.NotifiedPartners)) + " ('kpnode outbox list' shows its delivery)."));
            foreach (var r in published.Revoked)
                Output.Line(Markup.Escape($"  {r.Serial} from {r.EffectiveAt.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)} ({r.Reason})"));
            return 0;
        }));
        return command;
    }

    private static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RevocationListException($"{path} cannot be read ({e.Message}).");
        }
    }
}
