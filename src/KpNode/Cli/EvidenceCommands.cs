using System.CommandLine;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Evidence;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode cert export</c> and <c>kpnode verify</c>: evidence in standard formats, and its offline check.</summary>
internal static class EvidenceCommands
{
    /// <summary>Exit code of evidence that does not verify (1 stays for a command that could not run).</summary>
    internal const int NotVerified = 3;

    public static Command Export()
    {
        var config = KpNodeCli.ConfigOption();
        var number = new Argument<string?>("number") { Description = "The certificate's number (or give --period)", Arity = ArgumentArity.ZeroOrOne };
        var period = new Option<string?>("--period") { Description = "Every certificate of a period, with the audit log: 2026Q4, 2026-11 or 2026 (default, with no number: the current quarter)" };
        var output = new Option<DirectoryInfo>("--out") { Description = "The directory to write the bundle into (created; must be empty)", Required = true };
        var command = new Command("export", "Write the evidence of a certificate or a period as a bundle anyone can check: DSSE JSON envelopes, decoded payloads, roots, CRLs, audit entries, a manifest")
        {
            config, number, period, output,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(new Dictionary<string, string>(StringComparer.Ordinal), async () =>
        {
            var n = parse.GetValue(number);
            var p = parse.GetValue(period);
            if (n is not null && p is not null)
                return KpNodeCli.Fail("give either a certificate number or --period (e.g. --period 2026Q4), not both");
            p ??= n is null ? StatsCommand.CurrentQuarter(DateTime.UtcNow) : null;
            var dir = parse.GetRequiredValue(output);
            if (dir.Exists && dir.EnumerateFileSystemInfos().Any())
                return KpNodeCli.Fail($"--out: {dir.FullName} is not empty; name a new directory");
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var request = n is not null ? new ExportEvidenceRequest { CertificateNumber = n } : new ExportEvidenceRequest { Period = p };
            using var call = client.Evidence.ExportEvidence(request, cancellationToken: ct);
            var files = 0;
            long bytes = 0;
            await foreach (var file in call.ResponseStream.ReadAllAsync(ct))
            {
                var target = Path.GetFullPath(Path.Combine(dir.FullName, file.Path));
                if (!target.StartsWith(dir.FullName + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    return KpNodeCli.Fail($"the node sent a file outside the bundle ({file.Path}); nothing more was written");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await File.WriteAllBytesAsync(target, file.Content.ToByteArray(), ct);
                files++;
                bytes += file.Content.Length;
            }

            AnsiConsole.MarkupLine($"Wrote {files} files ({bytes:N0} bytes) to {Markup.Escape(dir.FullName)}; check them with: kpnode verify {Markup.Escape(dir.FullName)} --root ROOT.crt");
            return 0;
        })));
        return command;
    }

    public static Command Verify()
    {
        var path = new Argument<FileSystemInfo?>("bundle") { Description = "An evidence bundle's directory, or one .dsse.json file", Arity = ArgumentArity.ZeroOrOne };
        var qr = new Option<string?>("--qr") { Description = "Instead: the token from a printed certificate's QR code (KP1:...), e.g. from 'zbarimg --raw'" };
        var roots = QrVerifyCommand.RootOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("verify", "Verify evidence offline, with no node and no database, against the roots you name only: a bundle from 'cert export', one DSSE JSON file, or a QR token")
        {
            path, qr, roots, json,
        };
        command.SetAction((parse, ct) =>
        {
            if (parse.GetValue(qr) is { } token)
                return QrVerifyCommand.RunAsync(token, parse.GetValue(roots) ?? [], parse.GetValue(json), ct);
            return KpNodeCli.Guard(() => Task.FromResult(Bundle(parse.GetValue(path), parse.GetValue(roots) ?? [], parse.GetValue(json))));
        });
        return command;
    }

    private static int Bundle(FileSystemInfo? path, IReadOnlyList<FileInfo> rootFiles, bool json)
    {
        if (path is null)
            return KpNodeCli.Fail("name a bundle directory or a .dsse.json file, or give --qr TOKEN");
        if (rootFiles.Count == 0)
            return KpNodeCli.Fail("--root: name at least one root certificate to trust, e.g. --root za-root.crt");
        var roots = new List<System.Security.Cryptography.X509Certificates.X509Certificate2>();
        foreach (var file in rootFiles)
        {
            if (!file.Exists)
                return KpNodeCli.Fail($"--root: {file.FullName} does not exist");
            roots.Add(Trust.PkiFiles.LoadRoot(file.FullName));
        }

        var verifier = new BundleVerifier(roots);
        var verdicts = path switch
        {
            DirectoryInfo d when d.Exists => verifier.VerifyBundle(d.FullName),
            FileInfo f when f.Exists => verifier.VerifyFile(f.FullName),
            _ when Directory.Exists(path.FullName) => verifier.VerifyBundle(path.FullName),
            _ when File.Exists(path.FullName) => verifier.VerifyFile(path.FullName),
            _ => null,
        };
        if (verdicts is null)
            return KpNodeCli.Fail($"{path.FullName} does not exist");
        var failed = verdicts.Count(v => !v.Verified);
        if (json)
        {
            var items = verdicts.Select(v => new Dictionary<string, object?>
            {
                ["item"] = v.Item,
                ["verified"] = v.Verified,
                ["passed"] = v.Passed,
                ["failedCheck"] = v.FailedCheck,
                ["reason"] = v.Reason,
            });
            Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["verified"] = failed == 0 && verdicts.Count > 0,
                ["items"] = items,
                ["failed"] = failed,
            }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            foreach (var v in verdicts)
            {
                Output.Line(v.Verified
                    ? $"[green]OK[/]      {Markup.Escape(v.Item)}"
                    : $"[red]FAILED[/]  {Markup.Escape(v.Item)}: {Markup.Escape(v.FailedCheck ?? "")}: {Output.Text(v.Reason)}");
            }

            Output.Line(failed == 0 && verdicts.Count > 0
                ? $"[green]All {verdicts.Count} items verify[/] against the roots named."
                : $"[red]{failed} of {verdicts.Count} items do not verify.[/] The evidence is not proven as it stands: each line above names the file and the check.");
        }

        return failed == 0 && verdicts.Count > 0 ? 0 : NotVerified;
    }
}
