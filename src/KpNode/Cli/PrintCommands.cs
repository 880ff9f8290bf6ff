using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using KpNode.Configuration;
using KpNode.Evidence;
using KpNode.Trust;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode cert print</c> (the PDF with its QR code) and <c>kpnode cert verifier</c> (the offline verifier page).</summary>
internal static class PrintCommands
{
    public static Command Print()
    {
        var config = KpNodeCli.ConfigOption();
        var number = new Argument<string>("NUMBER") { Description = "Number of a certificate this node issued, e.g. ZA-2026-000001" };
        var output = new Option<FileInfo>("--out", "-o") { Description = "The PDF file to write, e.g. ZA-2026-000001.pdf", Required = true };
        var json = KpNodeCli.JsonOption();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the QR token, for scripts: T=$(kpnode cert print ... --quiet)" };
        var command = new Command("print", "Render a certificate this node issued as a PDF with its signed QR code") { config, number, output, json, quiet };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(ByNumber, async () =>
        {
            var node = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            using var client = LocalApiClient.Connect(node);
            var signed = await client.Printing.SignCertificateTokenAsync(
                new SignCertificateTokenRequest { CertificateNumber = parse.GetRequiredValue(number) }, cancellationToken: ct);
            var (pdf, qr) = CertificatePdf.Render(signed.Record,
                new PrintedEvidence(signed.Token, signed.SignerSubject, signed.SignedAt.ToDateTimeOffset(), signed.PayloadSha256));
            var file = parse.GetRequiredValue(output);
            await File.WriteAllBytesAsync(file.FullName, pdf, ct);
            var moduleMm = qr.ModuleMillimetres.ToString("0.00", CultureInfo.InvariantCulture);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(new JsonObject
                {
                    ["file"] = file.FullName,
                    ["number"] = signed.Record.Certificate.Number,
                    ["token"] = signed.Token,
                    ["qrVersion"] = qr.Version,
                    ["qrModules"] = qr.Modules,
                    ["qrModuleMillimetres"] = Math.Round(qr.ModuleMillimetres, 3),
                    ["qrSideMillimetres"] = qr.SideMillimetres,
                    ["signer"] = signed.SignerSubject,
                }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else if (parse.GetValue(quiet))
            {
                Console.Out.WriteLine(signed.Token);
            }
            else
            {
                Output.Line($"Wrote [bold]{Output.Text(file.FullName)}[/]: certificate {Output.Text(signed.Record.Certificate.Number)}, "
                            + $"QR version {qr.Version} ({qr.Modules} modules of {moduleMm} mm, {qr.SideMillimetres:0} mm square, ECC level M).");
                Output.Line($"Check its QR code offline with 'kpnode verify --qr TOKEN --root {Output.Text(Shown(Path.Combine(node.Options.PkiDirectory, PkiFiles.RootCertificate)))}'.");
            }

            return 0;
        })));
        return command;
    }

    public static Command Verifier()
    {
        var config = KpNodeCli.ConfigOption();
        var output = new Option<FileInfo>("--out", "-o") { Description = "The HTML file to write, e.g. kp-verifier.html", Required = true };
        var command = new Command("verifier", "Write the offline verifier page (one HTML file) holding this node's and its partners' roots") { config, output };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var node = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            var roots = new List<(string Participant, X509Certificate2 Root)>
            {
                (node.Participant, PkiFiles.LoadRoot(Path.Combine(node.Options.PkiDirectory, PkiFiles.RootCertificate))),
            };
            roots.AddRange(Partners.Read(node).SelectMany(p => p.Anchors.Select(a => (p.Code, a))));
            try
            {
                var file = parse.GetRequiredValue(output);
                await File.WriteAllTextAsync(file.FullName, VerifierPage.Render(roots), ct);
                Output.Line($"Wrote [bold]{Output.Text(file.FullName)}[/]: the offline verifier with the roots of {Output.Text(string.Join(", ", roots.Select(r => r.Participant).Distinct()))}. "
                            + "Open it in a browser (no network needed) and paste a token.");
                return 0;
            }
            finally
            {
                foreach (var (_, root) in roots)
                    root.Dispose();
            }
        }));
        return command;
    }

    /// <summary>
    /// The demo's step: the exporter prints <paramref name="number"/> into <paramref name="directory"/>, and the token its QR code
    /// carries is verified against <paramref name="rootPath"/> alone, as a border officer would; false when it does not verify.
    /// </summary>
    internal static async Task<bool> DemoStepAsync(LocalApiClient exporter, string number, string rootPath, string directory, Action<string> step, CancellationToken ct)
    {
        var signed = await exporter.Printing.SignCertificateTokenAsync(new SignCertificateTokenRequest { CertificateNumber = number }, cancellationToken: ct);
        var (pdf, qr) = CertificatePdf.Render(signed.Record,
            new PrintedEvidence(signed.Token, signed.SignerSubject, signed.SignedAt.ToDateTimeOffset(), signed.PayloadSha256));
        var file = Path.Combine(directory, number + ".pdf");
        await File.WriteAllBytesAsync(file, pdf, ct);
        // The file's name only: a full temporary path would not wrap at 80 columns.
        step($"ZA printed {Markup.Escape(number)} to {Markup.Escape(Path.GetFileName(file))} beside the demo's configs: QR version {qr.Version}, {qr.Modules} modules of "
             + $"{qr.ModuleMillimetres.ToString("0.00", CultureInfo.InvariantCulture)} mm, {signed.Token.Length} characters signed by ZA's document-signing key");
        using var root = PkiFiles.LoadRoot(rootPath);
        var verdict = CertificateToken.Verify(signed.Token, [root]);
        step(verdict.IsValid
            ? $"Its QR token verifies offline against ZA's root alone: {Markup.Escape(verdict.Claims!.Summary)}"
            : $"[red]Its QR token does not verify: {Markup.Escape(verdict.Reason)}[/]");
        return verdict.IsValid;
    }

    // A path under the current folder as typed from there, any other in full.
    private static string Shown(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFullPath(path) : relative;
    }

    private static readonly Dictionary<string, string> ByNumber = new(StringComparer.Ordinal) { ["certificateNumber"] = "" };
}
