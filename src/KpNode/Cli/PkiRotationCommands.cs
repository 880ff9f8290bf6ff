using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using KpNode.Configuration;
using KpNode.Trust;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>
/// <c>kpnode pki request|sign|install</c>: a new leaf with the root key offline. The key is made on the node and never
/// leaves it; only the CSR travels to where the root key is kept, and only the certificate travels back.
/// </summary>
internal static class PkiRotationCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Request()
    {
        var purpose = PurposeOption();
        var pki = PkiOption();
        var name = new Option<string>("--name") { Description = "operator only: the person's name as people read it, e.g. \"N. Dlamini\" (the certificate's CN)" };
        var id = new Option<string>("--id") { Description = "operator only: the id the node and its audit log know them by (A-Z a-z 0-9 . _ -); default made from --name, e.g. n.dlamini" };
        var dns = new Option<string[]>("--dns") { Description = "tls only: extra DNS name partners dial (repeatable); localhost, 127.0.0.1 and ::1 are always included" };
        var office = new Option<string>("--office") { Description = "signing or operator: the issuing office it is for (one of Node:Offices, e.g. BE-ANTWERP); none: the whole participant" };
        var role = new Option<string[]>("--role")
        {
            Description = $"operator only: what the operator may do (repeatable): {string.Join(", ", OperatorRoles.All.Select(OperatorRoles.Name))}; none: every role",
        };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the request (default: DIR/pending/PURPOSE.csr); never overwritten" };
        var json = KpNodeCli.JsonOption();
        var command = new Command("request", "Make a new key (kept in DIR/pending until installed) and a certificate signing request for it")
        {
            purpose, pki, name, id, dns, office, role, output, json,
        };
        command.SetAction(parse => Run(() =>
        {
            var kind = ParsePurpose(parse.GetValue(purpose));
            var dir = parse.GetRequiredValue(pki).FullName;
            var displayName = parse.GetValue(name);
            var operatorId = parse.GetValue(id);
            var dnsNames = parse.GetValue(dns) ?? [];
            if (kind != LeafKind.Operator && (displayName is not null || operatorId is not null))
                throw new UsageException("--name and --id name an operator: use them with --purpose operator");
            if (kind != LeafKind.NodeTls && dnsNames.Length > 0)
                throw new UsageException("--dns names the node for TLS: use it with --purpose tls");
            var officeCode = parse.GetValue(office)?.Trim().ToUpperInvariant();
            if (officeCode is not null && kind == LeafKind.NodeTls)
                throw new UsageException("--office: the node's TLS certificate serves the whole participant; use --office with --purpose signing or operator");
            if (officeCode is not null && !ParticipantIdentity.IsValidOfficeCode(officeCode))
                throw new UsageException($"--office: '{Domain.Printable.Of(officeCode, 40)}' is not an office code (the member state's ISO code, '-', then capital letters, digits or '-', e.g. BE-ANTWERP)");
            var roleNames = parse.GetValue(role) ?? [];
            if (roleNames.Length > 0 && kind != LeafKind.Operator)
                throw new UsageException("--role says what an operator may do: use it with --purpose operator");
            var roles = new List<OperatorRole>();
            foreach (var roleName in roleNames)
            {
                roles.Add(OperatorRoles.Parse(roleName)
                    ?? throw new UsageException($"--role: '{Domain.Printable.Of(roleName, 40)}' is not a role; give one of {string.Join(", ", OperatorRoles.All.Select(OperatorRoles.Name))}"));
            }

            var operatorName = CertificateAuthority.DefaultOperatorName;
            if (kind == LeafKind.Operator)
            {
                if (displayName is not null && OperatorNames.DisplayNameProblem(displayName) is { } problem)
                    throw new UsageException($"--name: {problem}");
                if (operatorId is not null && !ParticipantIdentity.IsValidOperatorName(operatorId))
                    throw new UsageException($"--id: '{Domain.Printable.Of(operatorId, 70)}' is not an operator id (1-64 of A-Z a-z 0-9 . _ -), e.g. n.dlamini");
                operatorName = operatorId ?? (displayName is null ? operatorName : OperatorNames.IdFor(displayName)
                    ?? throw new UsageException($"--name: '{displayName}' leaves no letters A-Z or digits for the operator's id; give one with --id, e.g. --id n.dlamini"));
            }

            var participant = PkiRotation.ParticipantOf(dir);
            var profile = new LeafProfile(participant, kind, dnsNames, operatorName, displayName, Office: officeCode, Roles: roles.Count > 0 ? [.. roles.Distinct()] : null);
            var requestPath = PkiRotation.Request(dir, profile, parse.GetValue(output)?.FullName);
            var keyPath = PkiRotation.PendingKeyPath(dir, kind, officeCode);
            var purposeName = LeafRequest.PurposeName(kind);
            var certificateFile = Path.ChangeExtension(Path.GetFileName(requestPath), ".crt");
            var sign = $"kpnode pki sign --root-key ROOT-DIR/{PkiFiles.RootKey} {Path.GetFileName(requestPath)}";
            var install = $"kpnode pki install {certificateFile} --pki {dir}";
            if (parse.GetValue(json))
            {
                WriteJson(new JsonObject
                {
                    ["purpose"] = purposeName,
                    ["participant"] = participant,
                    ["subject"] = profile.Subject.Name,
                    ["names"] = new JsonArray([.. Names(profile).Select(n => (JsonNode)n)]),
                    ["pendingKey"] = keyPath,
                    ["request"] = requestPath,
                    ["signCommand"] = sign,
                    ["installCommand"] = install,
                });
                return 0;
            }

            Output.Line($"Made a new {purposeName} key for [bold]{participant}[/] and a request to certify it; the key stays here:");
            Pairs(
                ("Purpose", purposeName),
                ("Subject", profile.Subject.Name),
                ("Names", string.Join(", ", Names(profile))),
                ("Key", $"{keyPath} (0600; pending until installed)"),
                ("Request", requestPath));
            Output.Line("");
            Output.Line($"Next, copy {Markup.Escape(Path.GetFileName(requestPath))} to where {participant}'s root key is kept and run there:");
            Output.Line("  " + Markup.Escape(sign));
            Output.Line($"(ROOT-DIR is the folder 'pki init --root-out' wrote). Bring {Markup.Escape(certificateFile)} back and run here:");
            Output.Line("  " + Markup.Escape(install));
            return 0;
        }));
        return command;
    }

    public static Command Sign()
    {
        var request = new Argument<FileInfo>("CSR") { Description = "The certificate signing request made by 'kpnode pki request'" };
        var rootKey = new Option<FileInfo>("--root-key") { Description = "The root's private key (root.key, where 'pki init --root-out' wrote it)", Required = true };
        var rootCert = new Option<FileInfo>("--root-cert") { Description = "The root certificate (default: root.crt beside --root-key)" };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the certificate (default: the CSR's name with .crt); never overwritten" };
        var days = new Option<int?>("--days")
        {
            Description = "Days the certificate is valid (default: tls 2 years, signing 3, operator 1); never beyond the root",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0)
                    return value;
                result.AddError($"--days: '{text}' is not a whole number of days above 0, e.g. 365");
                return null;
            },
        };
        var json = KpNodeCli.JsonOption();
        var command = new Command("sign", "Issue the certificate a CSR asks for, with the root key (run where the root key is kept)")
        {
            request, rootKey, rootCert, output, days, json,
        };
        command.SetAction(parse => Run(() =>
        {
            var requestPath = parse.GetRequiredValue(request).FullName;
            var keyPath = parse.GetRequiredValue(rootKey).FullName;
            var rootPath = parse.GetValue(rootCert)?.FullName ?? Path.Combine(Path.GetDirectoryName(keyPath)!, PkiFiles.RootCertificate);
            var outPath = parse.GetValue(output)?.FullName ?? Path.ChangeExtension(requestPath, ".crt");
            if (File.Exists(outPath))
                throw new PkiFileException(outPath, "already exists and is never overwritten; choose another --out, or remove it.");
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(requestPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PkiFileException(requestPath, $"cannot be read ({e.Message}).");
            }

            using var root = PkiFiles.LoadRootWithKey(rootPath, keyPath);
            var signed = PkiRotation.Sign(bytes, requestPath, root, rootPath, DateTimeOffset.UtcNow, parse.GetValue(days));
            using var certificate = signed.Certificate;
            PkiFiles.WriteNew(outPath, certificate.ExportCertificatePem(), PkiFiles.PublicFile);
            var purposeName = LeafRequest.PurposeName(signed.Profile.Kind);
            var install = $"kpnode pki install {Path.GetFileName(outPath)} --pki DIR";
            if (parse.GetValue(json))
            {
                WriteJson(Describe(certificate, purposeName, signed.Profile.Participant, outPath, Names(signed.Profile), signed.ShortenedToRoot));
                return 0;
            }

            Output.Line($"Issued {(purposeName == "operator" ? "an" : "a")} {purposeName} certificate for [bold]{signed.Profile.Participant}[/] with the extensions KpNode gives that purpose:");
            Pairs(
                ("Subject", certificate.Subject),
                ("Names", string.Join(", ", Names(signed.Profile))),
                ("Valid", $"{Day(certificate.NotBefore)} to {Day(certificate.NotAfter)}" + (signed.ShortenedToRoot ? " (shortened: a certificate cannot outlive its root)" : "")),
                ("Serial", certificate.SerialNumber),
                ("File", outPath));
            Output.Line($"Next, copy {Markup.Escape(Path.GetFileName(outPath))} to the node and run there (DIR is its PKI folder):");
            Output.Line("  " + Markup.Escape(install));
            return 0;
        }));
        return command;
    }

    public static Command Install()
    {
        var certificate = new Argument<FileInfo>("CERT") { Description = "The certificate 'kpnode pki sign' wrote for this node's request" };
        var pki = PkiOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("install", "Put a signed certificate in place beside its pending key; the previous pair is kept under DIR/retired")
        {
            certificate, pki, json,
        };
        command.SetAction(parse => Run(() =>
        {
            var dir = parse.GetRequiredValue(pki).FullName;
            var installed = PkiRotation.Install(dir, parse.GetRequiredValue(certificate).FullName, DateTimeOffset.UtcNow);
            var purposeName = LeafRequest.PurposeName(installed.Kind);
            var when = installed.Kind == LeafKind.Operator
                ? "kpnode commands present it from their next run; the running node accepts it already (it chains to the same root)."
                : "The running node still uses the previous certificate: switch it with 'kpnode pki reload --config NODE-CONFIG' (no restart; a node started later reads the new one).";
            if (parse.GetValue(json))
            {
                WriteJson(new JsonObject
                {
                    ["purpose"] = purposeName,
                    ["participant"] = installed.Participant,
                    ["subject"] = installed.Subject,
                    ["serial"] = installed.Serial,
                    ["notAfter"] = installed.NotAfter.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    ["certificate"] = installed.CertificatePath,
                    ["key"] = installed.KeyPath,
                    ["retiredCertificate"] = installed.RetiredCertificatePath,
                    ["retiredKey"] = installed.RetiredKeyPath,
                    ["takesEffect"] = installed.Kind == LeafKind.Operator ? "next-command" : "pki-reload",
                });
                return 0;
            }

            Output.Line($"Installed the new {purposeName} certificate of [bold]{installed.Participant}[/]:");
            Pairs(
                ("Certificate", installed.CertificatePath),
                ("Key", installed.KeyPath),
                ("Valid until", Day(installed.NotAfter.UtcDateTime)),
                ("Serial", installed.Serial),
                ("Previous", installed.RetiredCertificatePath.Length == 0 ? "none (the first of its kind here)" : $"{installed.RetiredCertificatePath} (and .key; kept, never deleted)"));
            Output.Line(Markup.Escape(when));
            return 0;
        }));
        return command;
    }

    public static Command Reload()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("reload", "Switch the running node to the certificates installed in its PKI folder, without a restart") { config, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var r = await client.Operations.ReloadCredentialsAsync(new ReloadCredentialsRequest(), cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return 0;
            }

            var changed = r.Credentials.Count(c => c.Changed);
            Output.Line(changed == 0
                ? "The node already uses every certificate in its PKI folder; nothing changed."
                : $"The node now uses {changed} new certificate(s); calls in flight finish with the previous ones, which stay valid:");
            var table = new Table().Column("Certificate").Column("Now").Column("Serial", freeText: true).Column("Valid until").Column("Before", priority: 1, freeText: true);
            foreach (var c in r.Credentials)
            {
                table.Row(Purpose(c.Kind), c.Changed ? "new" : "unchanged", c.Serial, Day(c.NotAfter.ToDateTime()), c.Changed ? c.PreviousSerial : "");
            }

            table.Write();
            return 0;
        }));
        return command;

        static string Purpose(CredentialKind kind) => kind switch
        {
            CredentialKind.NodeTls => "tls",
            CredentialKind.DocumentSigning => "signing",
            _ => "operator",
        };
    }

    /// <summary>The names a certificate of the profile carries, as openssl shows them.</summary>
    internal static IReadOnlyList<string> Names(LeafProfile profile)
    {
        var names = new List<string>(profile.DnsNames);
        if (profile.Kind == LeafKind.NodeTls)
            names.AddRange(["127.0.0.1", "::1"]);
        names.Add(ParticipantIdentity.ParticipantUri(profile.Participant));
        if (profile.Office is { Length: > 0 } office && profile.Kind != LeafKind.NodeTls)
            names.Add(ParticipantIdentity.OfficeUri(office));
        if (profile.Kind == LeafKind.Operator)
        {
            names.Add(ParticipantIdentity.OperatorUri(profile.OperatorName));
            names.AddRange(profile.OperatorRoleList.Select(OperatorRoles.Uri));
        }

        return names;
    }

    private static JsonObject Describe(X509Certificate2 certificate, string purpose, string participant, string file, IReadOnlyList<string> names, bool shortened) => new()
    {
        ["purpose"] = purpose,
        ["participant"] = participant,
        ["subject"] = certificate.Subject,
        ["names"] = new JsonArray([.. names.Select(n => (JsonNode)n)]),
        ["serial"] = certificate.SerialNumber,
        ["notBefore"] = certificate.NotBefore.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["notAfter"] = certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["shortenedToRoot"] = shortened,
        ["file"] = file,
    };

    private static Option<string> PurposeOption() => new("--purpose")
    {
        Description = "tls (the node's TLS certificate), signing (document signing) or operator (the CLI's certificate)",
        Required = true,
    };

    internal static Option<DirectoryInfo> PkiOption() => new("--pki")
    {
        Description = "The node's PKI folder (Node:PkiDirectory, made by 'kpnode pki init')",
        Required = true,
    };

    private static LeafKind ParsePurpose(string? text) =>
        LeafRequest.ParsePurpose(text) ?? throw new UsageException($"--purpose: '{Domain.Printable.Of(text, 40)}' is not one of tls, signing, operator");

    private static string Day(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static void Pairs(params (string Key, string Value)[] rows)
    {
        var table = new Table().Column("").Column("", freeText: true);
        foreach (var (key, value) in rows)
            table.Row(key, value);
        table.Write(header: false);
    }

    internal static void WriteJson(JsonObject json) => Console.Out.WriteLine(json.ToJsonString(Indented));

    /// <summary>The pki commands' own failures next to those <see cref="KpNodeCli.Guard"/> knows: a refused request and a wrong option.</summary>
    internal static Task<int> Run(Func<int> body) => KpNodeCli.Guard(() =>
    {
        try
        {
            return Task.FromResult(body());
        }
        catch (LeafRequestException e)
        {
            return Task.FromResult(KpNodeCli.Fail(e.Message));
        }
        catch (UsageException e)
        {
            return Task.FromResult(KpNodeCli.Fail(e.Message));
        }
    });

    /// <summary>An option used wrongly; the message names it.</summary>
    internal sealed class UsageException(string message) : Exception(message);
}
