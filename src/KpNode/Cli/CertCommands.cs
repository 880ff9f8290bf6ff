using System.CommandLine;
using KpNode.Configuration;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode cert issue|show|list</c>: certificates through the node's Local API.</summary>
internal static class CertCommands
{
    public static Command Create() => new("cert", "Issue, confirm, void, check and inspect KP certificates")
    {
        Issue(), Show(), List(), Confirm(), Void(), Check(), PrintCommands.Print(), PrintCommands.Verifier(), EvidenceCommands.Export(),
        ApprovalCommands.List(), ApprovalCommands.Approve(), ApprovalCommands.Reject(),
    };

    private static Command Issue()
    {
        var config = KpNodeCli.ConfigOption();
        var file = new Option<FileInfo>("--file", "-f") { Description = "Certificate draft as protobuf JSON (see node-config/examples/)", Required = true };
        var json = KpNodeCli.JsonOption();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the new certificate's number, for scripts: N=$(kpnode cert issue ... --quiet)" };
        var wait = new Option<bool>("--wait") { Description = $"Wait (up to {DeliveryWait.TotalSeconds:0} s) until the importer's signed receipt arrives" };
        var command = new Command("issue", "Validate, number, sign and store a certificate, and deliver it to the importer's node") { config, file, json, quiet, wait };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var path = parse.GetRequiredValue(file).FullName;
            if (!File.Exists(path))
            {
                return KpNodeCli.Fail($"--file: {path} does not exist");
            }

            var (draft, problem) = DraftFile.Read(path, await File.ReadAllBytesAsync(path, ct));
            if (draft is null)
            {
                return KpNodeCli.Fail($"--file: {problem}");
            }

            var configPath = parse.GetRequiredValue(config).FullName;
            using var client = LocalApiClient.Connect(NodeConfig.Load(configPath));
            var response = await client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft }, cancellationToken: ct);
            if (response.AwaitingApproval.Length > 0)
            {
                return ApprovalCommands.Awaiting(parse.GetValue(json), response, response.AwaitingApproval, configPath, parse.GetValue(quiet));
            }

            var record = response.Record;
            if (parse.GetValue(wait))
            {
                record = await WaitForDeliveryAsync(client, record, ct);
            }

            if (parse.GetValue(json))
            {
                Output.Json(record);
            }
            else if (parse.GetValue(quiet))
            {
                Console.Out.WriteLine(record.Certificate.Number);
            }
            else
            {
                var number = Markup.Escape(record.Certificate.Number);
                Output.Line(record.Status == Wire.V1.CertificateStatus.Issued
                    ? $"Issued [bold]{number}[/] to {Markup.Escape(record.Partner)}; signed and stored, delivery under way (see 'kpnode cert show {number}')."
                    : $"Issued [bold]{number}[/] to {Markup.Escape(record.Partner)}: {Output.StatusMarkup(record.Status)}.");
            }

            return 0;
        }));
        return command;
    }

    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(60);

    private static async Task<CertificateRecord> WaitForDeliveryAsync(LocalApiClient client, CertificateRecord record, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + DeliveryWait;
        while (record.Status == Wire.V1.CertificateStatus.Issued && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            record = (await client.Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = record.Certificate.Number }, cancellationToken: ct)).Record;
        }

        return record;
    }

    // The number is typed as the argument: its refusal needs no field name in front.
    private static readonly Dictionary<string, string> ByNumber = new(StringComparer.Ordinal) { ["certificateNumber"] = "" };

    private static Command Show()
    {
        var config = KpNodeCli.ConfigOption();
        var number = new Argument<string>("NUMBER") { Description = "Certificate number, e.g. ZA-2026-000001" };
        var json = KpNodeCli.JsonOption();
        var command = new Command("show", "Show one certificate with its status, history and evidence") { config, number, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(ByNumber, async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var response = await client.Api.GetCertificateAsync(
                new GetCertificateRequest { CertificateNumber = parse.GetRequiredValue(number) }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(response.Record);
            }
            else
            {
                Output.RecordDetail(response.Record);
            }

            return 0;
        })));
        return command;
    }

    private static Command List() => CertList.Create();

    private static Command Confirm()
    {
        var config = KpNodeCli.ConfigOption();
        var number = new Argument<string>("NUMBER") { Description = "Number of the certificate received, e.g. ZA-2026-000001" };
        var outcome = new Option<string>("--outcome") { Description = "confirmed, discrepancy or detained; a detained certificate, once released, takes confirmed or discrepancy", Required = true };
        outcome.AcceptOnlyFromAmong("confirmed", "discrepancy", "detained");
        var parcels = new Option<int>("--parcels") { Description = "Number of parcels that arrived", Required = true };
        var carats = new Option<string>("--carats") { Description = "Carat weight that arrived, e.g. 1204.50", Required = true };
        var value = new Option<string?>("--value") { Description = "US$ value found, optional, e.g. 481800.00" };
        var received = new Option<string>("--received") { Description = "Date the importing authority received the goods, YYYY-MM-DD", Required = true };
        var remarks = new Option<string?>("--remarks") { Description = "Remarks; for detained, the reason" };
        var json = KpNodeCli.JsonOption();
        var command = new Command("confirm", "Record what arrived for a certificate received, and send the signed import confirmation to the exporter")
        {
            config, number, outcome, parcels, carats, value, received, remarks, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            if (!Domain.Carats.TryParse(parse.GetRequiredValue(carats), out var c, out var caratsError))
            {
                return KpNodeCli.Fail($"--carats: {caratsError}");
            }

            var usd = new Domain.UsDollars(0);
            if (parse.GetValue(value) is { } v && !Domain.UsDollars.TryParse(v, out usd, out var valueError))
            {
                return KpNodeCli.Fail($"--value: {valueError}");
            }

            var request = new ConfirmImportRequest
            {
                CertificateNumber = parse.GetRequiredValue(number),
                Outcome = parse.GetRequiredValue(outcome) switch
                {
                    "confirmed" => ImportOutcome.Confirmed,
                    "discrepancy" => ImportOutcome.Discrepancy,
                    _ => ImportOutcome.Detained,
                },
                ParcelsReceived = parse.GetValue(parcels),
                CaratsReceivedHundredths = c.Hundredths,
                ValueReceivedUsdCents = usd.Cents,
                DateOfReceipt = parse.GetRequiredValue(received),
                Remarks = parse.GetValue(remarks) ?? "",
            };
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var record = (await client.Api.ConfirmImportAsync(request, cancellationToken: ct)).Record;
            return Done(parse.GetValue(json), record,
                $"{record.Certificate.Number} is now {Output.StatusMarkup(record.Status)}; the signed import confirmation is on its way to {record.Partner}.");
        }));
        return command;
    }

    private static Command Void()
    {
        var config = KpNodeCli.ConfigOption();
        var number = new Argument<string>("NUMBER") { Description = "Number of a certificate this node issued" };
        var reason = new Option<string>("--reason") { Description = "Why, e.g. \"shipment not sent\"", Required = true };
        var json = KpNodeCli.JsonOption();
        var command = new Command("void", "Invalidate a certificate this node issued and tell the importer") { config, number, reason, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var configPath = parse.GetRequiredValue(config).FullName;
            using var client = LocalApiClient.Connect(NodeConfig.Load(configPath));
            var response = await client.Api.VoidCertificateAsync(new VoidCertificateRequest
            {
                CertificateNumber = parse.GetRequiredValue(number),
                Reason = parse.GetRequiredValue(reason),
            }, cancellationToken: ct);
            if (response.AwaitingApproval.Length > 0)
            {
                return ApprovalCommands.Awaiting(parse.GetValue(json), response, response.AwaitingApproval, configPath, quiet: false);
            }

            var record = response.Record;
            return Done(parse.GetValue(json), record,
                $"{record.Certificate.Number} is {Output.StatusMarkup(record.Status)}. To correct it, issue a replacement with \"replaces\": \"{record.Certificate.Number}\".");
        }));
        return command;
    }

    private static Command Check()
    {
        var config = KpNodeCli.ConfigOption();
        var issuer = new Option<string>("--issuer") { Description = "Participant code of the issuing authority, e.g. ZA", Required = true };
        var number = new Argument<string>("NUMBER") { Description = "Certificate number as printed on the document" };
        var carats = new Option<string?>("--carats") { Description = "Carat weight on the document, to compare" };
        var parcels = new Option<int>("--parcels") { Description = "Number of parcels on the document, to compare" };
        var value = new Option<string?>("--value") { Description = "US$ value on the document, to compare, e.g. 481800.00" };
        var hsLines = new Option<string[]>("--hs-line")
        {
            Description = "An HS line on the document, CODE:CARATS[:VALUE], e.g. 7102.31:1004.50:452000.00 (repeat for each line)",
            AllowMultipleArgumentsPerToken = false,
        };
        var exporter = new Option<string?>("--exporter") { Description = "Exporter's name on the document, to compare" };
        var importer = new Option<string?>("--importer") { Description = "Importer's name on the document, to compare" };
        var issued = new Option<string?>("--issued") { Description = "Date of issue on the document, YYYY-MM-DD" };
        var expires = new Option<string?>("--expires") { Description = "Date of expiry on the document, YYYY-MM-DD" };
        var json = KpNodeCli.JsonOption();
        var command = new Command("check", "Ask the issuing participant's node whether a certificate is genuine today and compare the figures given. "
            + AuthenticityExitCodes.Help)
        {
            config, issuer, number, carats, parcels, value, hsLines, exporter, importer, issued, expires, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var request = new CheckCertificateRequest
            {
                Issuer = parse.GetRequiredValue(issuer),
                CertificateNumber = parse.GetRequiredValue(number),
                Parcels = parse.GetValue(parcels),
                DateOfIssue = parse.GetValue(issued) ?? "",
                DateOfExpiry = parse.GetValue(expires) ?? "",
            };
            if (parse.GetValue(carats) is { } text)
            {
                if (!Domain.Carats.TryParse(text, out var c, out var error))
                {
                    return KpNodeCli.Fail($"--carats: {error}");
                }

                request.CaratsHundredths = c.Hundredths;
            }

            if (parse.GetValue(value) is { } dollars)
            {
                if (!Domain.UsDollars.TryParse(dollars, out var usd, out var error))
                {
                    return KpNodeCli.Fail($"--value: {error}");
                }

                request.ValueUsdCents = usd.Cents;
            }

            foreach (var line in parse.GetValue(hsLines) ?? [])
            {
                if (HsLineOption(line) is not { } parsed)
                {
                    return KpNodeCli.Fail($"--hs-line: '{line}' is not CODE:CARATS[:VALUE], e.g. 7102.31:1004.50:452000.00");
                }

                request.HsLines.Add(parsed);
            }

            if (parse.GetValue(exporter) is { Length: > 0 } exporterName)
            {
                request.Exporter = new Party { Name = exporterName };
            }

            if (parse.GetValue(importer) is { Length: > 0 } importerName)
            {
                request.Importer = new Party { Name = importerName };
            }

            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var answer = await client.Api.CheckCertificateAsync(request, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(answer);
                return AuthenticityExitCodes.Of(answer.Verdict);
            }

            var verdict = answer.Verdict switch
            {
                AuthenticityVerdict.Genuine => "[green]GENUINE[/]: issued by {0}, valid today, and the figures given match",
                AuthenticityVerdict.Mismatch => "[red]MISMATCH[/]: {0} issued it, but figures differ",
                AuthenticityVerdict.Voided => "[red]VOIDED[/]: {0} invalidated this certificate",
                AuthenticityVerdict.Expired => "[red]EXPIRED[/]: {0} issued it, but it is past its date of expiry",
                AuthenticityVerdict.NotDelivered => "[red]NOT DELIVERED[/]: {0} issued it, but our node never accepted it",
                _ => "[red]UNKNOWN[/]: {0} has no such certificate issued to us",
            };
            AnsiConsole.MarkupLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, verdict, Markup.Escape(request.Issuer))
                + $" ({Markup.Escape(request.CertificateNumber)}; answer signed by {Markup.Escape(request.Issuer)} and verified)");
            if (answer.Detail.Length > 0)
            {
                AnsiConsole.MarkupLine($"  {Markup.Escape(answer.Detail)}");
            }

            if (answer.ReplacedBy.Length > 0)
            {
                AnsiConsole.MarkupLine($"  replaced by [bold]{Markup.Escape(answer.ReplacedBy)}[/]");
            }

            foreach (var m in answer.Mismatches)
            {
                AnsiConsole.MarkupLine($"  - {Markup.Escape(m)}");
            }

            return AuthenticityExitCodes.Of(answer.Verdict);
        }));
        return command;
    }

    /// <summary>An --hs-line value, CODE:CARATS[:VALUE], or null when it is not one.</summary>
    private static HsLine? HsLineOption(string text)
    {
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || !Domain.Carats.TryParse(parts[1], out var c, out _))
        {
            return null;
        }

        var usd = new Domain.UsDollars(0);
        if (parts.Length == 3 && !Domain.UsDollars.TryParse(parts[2], out usd, out _))
        {
            return null;
        }

        return new HsLine { HsCode = parts[0], CaratsHundredths = c.Hundredths, ValueUsdCents = usd.Cents };
    }

    private static int Done(bool json, CertificateRecord record, string message)
    {
        if (json)
        {
            Output.Json(record);
        }
        else
        {
            AnsiConsole.MarkupLine(message);
        }

        return 0;
    }
}
