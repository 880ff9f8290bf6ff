using System.CommandLine;
using Google.Protobuf;
using KpNode.Hosting;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode cert issue|show|list</c>: certificates through the node's Local API.</summary>
internal static class CertCommands
{
    private static readonly JsonParser DraftParser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public static Command Create() => new("cert", "Issue and inspect KP certificates") { Issue(), Show(), List() };

    private static Command Issue()
    {
        var config = KpNodeCli.ConfigOption();
        var file = new Option<FileInfo>("--file", "-f") { Description = "Certificate draft as protobuf JSON (see node-config/examples/)", Required = true };
        var json = KpNodeCli.JsonOption();
        var command = new Command("issue", "Validate, number, sign and store a certificate, and deliver it to the importer's node") { config, file, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var path = parse.GetRequiredValue(file).FullName;
            if (!File.Exists(path))
            {
                return KpNodeCli.Fail($"--file: {path} does not exist");
            }

            Certificate draft;
            try
            {
                draft = DraftParser.Parse<Certificate>(await File.ReadAllTextAsync(path, ct));
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
            {
                return KpNodeCli.Fail($"--file: {path} is not a certificate draft in protobuf JSON: {e.Message}");
            }

            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var response = await client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(response.Record);
            }
            else
            {
                AnsiConsole.MarkupLine($"Issued [bold]{Markup.Escape(response.Record.Certificate.Number)}[/] to {Markup.Escape(response.Record.Partner)}; signed and stored, delivery under way (see 'kpnode cert show').");
            }

            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var config = KpNodeCli.ConfigOption();
        var number = new Argument<string>("NUMBER") { Description = "Certificate number, e.g. ZA-2026-000001" };
        var json = KpNodeCli.JsonOption();
        var command = new Command("show", "Show one certificate with its status, history and evidence") { config, number, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
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
        }));
        return command;
    }

    private static Command List()
    {
        var config = KpNodeCli.ConfigOption();
        var status = new Option<string?>("--status", "-s") { Description = "Only this status: " + string.Join(", ", Enum.GetNames<Domain.CertificateStatus>()) };
        var partner = new Option<string?>("--partner", "-p") { Description = "Only certificates exchanged with this participant, e.g. BE" };
        var limit = new Option<int>("--limit") { Description = "At most this many (default 50, at most 1000)", DefaultValueFactory = _ => 50 };
        var json = KpNodeCli.JsonOption();
        var command = new Command("list", "List certificates, newest numbers last") { config, status, partner, limit, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var request = new ListCertificatesRequest { PageSize = parse.GetValue(limit), Partner = parse.GetValue(partner) ?? "" };
            if (parse.GetValue(status) is { } s)
            {
                if (!Enum.TryParse<Domain.CertificateStatus>(s, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                {
                    return KpNodeCli.Fail($"--status: '{s}' is not a status; use one of {string.Join(", ", Enum.GetNames<Domain.CertificateStatus>())}");
                }

                request.Status = (CertificateStatus)(int)parsed;
            }

            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var response = await client.Api.ListCertificatesAsync(request, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(response);
            }
            else
            {
                Output.RecordTable(response.Records);
                if (response.NextPageToken.Length > 0)
                {
                    AnsiConsole.MarkupLine($"[grey]More certificates follow {Markup.Escape(response.NextPageToken)}; raise --limit to see them.[/]");
                }
            }

            return 0;
        }));
        return command;
    }
}
