using System.CommandLine;
using KpNode.Trust;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode pki init</c>: a participant's root CA and the certificates under it, as PEM files; request, sign and install are in <see cref="PkiRotationCommands"/>.</summary>
internal static class PkiCommands
{
    public static Command Create()
    {
        var participant = new Option<string>("--participant", "-p") { Description = "Participant code, e.g. ZA", Required = true };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Folder for the PEM files (created; existing keys are never overwritten)", Required = true };
        var rootOut = new Option<DirectoryInfo>("--root-out") { Description = "Folder for the root's private key (created), e.g. a USB key: root.key is then never written into --out" };
        var dns = new Option<string[]>("--dns") { Description = "Extra DNS name for the node's TLS certificate (repeatable); localhost, 127.0.0.1 and ::1 are always included" };
        var office = new Option<string[]>("--office") { Description = "An issuing office with its own signing certificate (repeatable, e.g. BE-ANTWERP): list it under Node:Offices too" };
        var init = new Command("init", "Create a participant's root CA, node TLS, document-signing and operator certificates") { participant, output, rootOut, dns, office };
        init.SetAction(parse => KpNodeCli.Guard(() =>
        {
            // "za" means ZA: codes are capital letters everywhere else (certificate numbers, configs, URIs).
            var code = parse.GetRequiredValue(participant).Trim().ToUpperInvariant();
            if (!ParticipantIdentity.IsValidCode(code))
            {
                return Task.FromResult(KpNodeCli.Fail($"--participant: '{code}' is not a participant code (2-8 letters or digits, e.g. ZA)"));
            }

            var dir = parse.GetRequiredValue(output).FullName;
            var rootDir = parse.GetValue(rootOut)?.FullName;
            if (rootDir is not null && (rootDir == dir || rootDir.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            {
                return Task.FromResult(KpNodeCli.Fail($"--root-out: {rootDir} is inside --out {dir}; the point is to keep the root key away from the node's files: choose a folder elsewhere (e.g. a USB key)"));
            }

            var offices = (parse.GetValue(office) ?? []).Select(o => o.Trim().ToUpperInvariant()).Distinct().ToList();
            if (offices.FirstOrDefault(o => !ParticipantIdentity.IsValidOfficeCode(o)) is { } bad)
            {
                return Task.FromResult(KpNodeCli.Fail($"--office: '{Domain.Printable.Of(bad, 40)}' is not an office code (the member state's ISO code, '-', then capital letters, digits or '-', e.g. BE-ANTWERP)"));
            }

            using var pki = DevPki.Create(code, parse.GetValue(dns) ?? [], DateTimeOffset.UtcNow, offices: offices);
            PkiFiles.Write(dir, pki, rootDir);
            var table = new Table().Column("Certificate", freeText: true).Column("File").Column("Valid until").Column("Subject", priority: 1, freeText: true);
            foreach (var (name, cert, file) in new[]
                     {
                         ("Root CA (give root.crt to partners)", pki.Root, "root.crt"),
                         ("Node TLS (Peer and Local API)", pki.NodeTls, "node.crt"),
                         ("Document signing", pki.DocumentSigning, "signing.crt"),
                         ("Operator (CLI to Local API)", pki.Operator, "operator.crt"),
                     })
            {
                table.Row(name, file, cert.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), cert.Subject);
            }

            foreach (var (code2, cert) in pki.OfficeSigning)
            {
                table.Row($"Document signing, office {code2}", $"{PkiFiles.OfficesFolder}/{code2}/signing.crt",
                    cert.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), cert.Subject);
            }

            Output.Line($"Created the PKI of [bold]{Markup.Escape(code)}[/] in {Markup.Escape(dir)} (private keys *.key, mode 0600):");
            table.Write();
            if (rootDir is not null)
            {
                Output.Line($"The root's private key is in {Markup.Escape(Path.Combine(rootDir, PkiFiles.RootKey))} (with a copy of root.crt), not in {Markup.Escape(dir)}: keep it offline;");
                Output.Line("it is needed only to sign new certificates ('kpnode pki request' on the node, then 'kpnode pki sign' where the root key is).");
            }

            Output.Line("Keep the *.key files secret. Send [bold]root.crt[/] to each trading partner; they trust it in Node:Partners.");
            return Task.FromResult(0);
        }));
        return new Command("pki", "Manage the participant's certificates")
        {
            init, PkiRotationCommands.Request(), PkiRotationCommands.Sign(), PkiRotationCommands.Install(), PkiRotationCommands.Reload(),
            PkiRolloverCommand.Create(),
            PkiRevocationCommands.Revoke(), PkiRevocationCommands.Publish(), PartnerCommands.Fingerprint(),
        };
    }
}
