using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using KpNode.Evidence;
using KpNode.Trust;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode verify --qr TOKEN --root ROOT.crt</c>: checks a printed certificate's QR token offline, against the roots named only.</summary>
internal static class QrVerifyCommand
{
    /// <summary>Exit code of a token that does not verify (1 stays for a command that could not run).</summary>
    internal const int Refused = 3;

    internal static Option<FileInfo[]> RootOption() => new("--root")
    {
        Description = "A participant's root certificate (PEM or DER) to trust; repeat for several. Nothing else is trusted.",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Task<int> RunAsync(string token, IReadOnlyList<FileInfo> rootFiles, bool json, CancellationToken ct = default) => KpNodeCli.Guard(() =>
    {
        if (rootFiles.Count == 0)
            return Task.FromResult(KpNodeCli.Fail("--root: name at least one root certificate to trust, e.g. --root za-root.crt"));
        var roots = new List<X509Certificate2Holder>();
        try
        {
            foreach (var file in rootFiles)
            {
                if (!file.Exists)
                    return Task.FromResult(KpNodeCli.Fail($"--root: {file.FullName} does not exist"));
                roots.Add(new X509Certificate2Holder(PkiFiles.LoadRoot(file.FullName)));
            }

            var verdict = CertificateToken.Verify(token, [.. roots.Select(r => r.Certificate)]);
            if (json)
                Console.Out.WriteLine(Json(verdict).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            else
                Show(verdict);
            return Task.FromResult(verdict.IsValid ? 0 : Refused);
        }
        finally
        {
            foreach (var root in roots)
                root.Certificate.Dispose();
        }
    });

    private sealed record X509Certificate2Holder(System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate);

    private static void Show(TokenVerdict verdict)
    {
        if (verdict.IsValid)
            Output.Line($"[green]VALID[/]: certificate [bold]{Output.Text(verdict.Claims!.Number)}[/] signed by {Output.Text(verdict.Signer)} (root {Output.Text(verdict.Root)}).");
        else
            Output.Line($"[red]REFUSED[/]: {Output.Text(verdict.Reason)}");
        if (verdict.Claims is not { } c)
            return;
        Output.Line(verdict.IsValid ? "Compare with the paper:" : "What the token claims (not proven):");
        var table = new Table().Column("Field").Column("Value");
        foreach (var (name, value) in Figures(c))
            table.Row(new Cell(name), new Cell(value));
        table.Write();
    }

    private static IEnumerable<(string, string)> Figures(TokenClaims c) =>
    [
        ("number", c.Number), ("exporter", c.Exporter), ("importer", c.Importer), ("parcels", c.Parcels.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("carats", c.Carats), ("value (US$)", c.Value), ("date of issue", c.Issued), ("date of expiry", c.Expires),
        ("payload SHA-256", c.PayloadSha256), ("token signed at", TrustChain.Format(c.SignedAt)),
    ];

    private static JsonObject Json(TokenVerdict verdict)
    {
        var o = new JsonObject { ["valid"] = verdict.IsValid, ["reason"] = verdict.Reason, ["signer"] = verdict.Signer, ["root"] = verdict.Root };
        if (verdict.Claims is { } c)
        {
            var claims = new JsonObject();
            foreach (var (name, value) in new (string, string)[]
                     {
                         ("number", c.Number), ("exporter", c.Exporter), ("importer", c.Importer), ("carats", c.Carats), ("value", c.Value),
                         ("issued", c.Issued), ("expires", c.Expires), ("payloadSha256", c.PayloadSha256), ("signedAt", TrustChain.Format(c.SignedAt)),
                     })
                claims[name] = value;
            claims["parcels"] = c.Parcels;
            o["claims"] = claims;
        }

        return o;
    }
}
