using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using KpNode.Configuration;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>
/// <c>kpnode cert list</c>: the newest certificates first, one page at a time (<c>--page-token</c>) or every page
/// streamed (<c>--all</c>), filtered the way a customs officer looks a shipment up.
/// </summary>
internal static class CertList
{
    private const int MaxLimit = 1000;
    private static readonly JsonFormatter OneLine = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    // The request's fields as the person typed them, for refusals from the node.
    private static readonly Dictionary<string, string> OptionOf = new(StringComparer.Ordinal)
    {
        ["pageSize"] = "--limit",
        ["pageToken"] = "--page-token",
        ["issuedFrom"] = "--from",
        ["issuedTo"] = "--to",
        ["numberPrefix"] = "--number",
        ["exporter"] = "--exporter",
        ["importer"] = "--importer",
        ["sealNumber"] = "--seal",
        ["office"] = "--office",
        ["partner"] = "--partner",
        ["status"] = "--status",
    };

    public static Command Create()
    {
        var config = KpNodeCli.ConfigOption();
        var status = new Option<string?>("--status", "-s") { Description = "Only this status: " + string.Join(", ", Enum.GetNames<Domain.CertificateStatus>()) };
        var partner = new Option<string?>("--partner", "-p") { Description = "Only certificates exchanged with this participant, e.g. BE" };
        var number = new Option<string?>("--number", "-n") { Description = "Only numbers beginning with this, e.g. ZA-2026-00012" };
        var exporter = new Option<string?>("--exporter") { Description = "Only certificates exported by this participant, e.g. ZA" };
        var importer = new Option<string?>("--importer") { Description = "Only certificates imported by this participant, e.g. BE" };
        var seal = new Option<string?>("--seal") { Description = "Only certificates naming this container or seal number, exactly (how a customs officer finds a shipment)" };
        var office = new Option<string?>("--office") { Description = "One office's view, e.g. BE-ANTWERP: what it issued and everything received (an office's operator always has it)" };
        var from = new Option<string?>("--from") { Description = "Only certificates issued on or after this date, YYYY-MM-DD" };
        var to = new Option<string?>("--to") { Description = "Only certificates issued on or before this date, YYYY-MM-DD" };
        var oldest = new Option<bool>("--oldest-first") { Description = "Lowest numbers first (default: the newest first)" };
        var limit = KpNodeCli.WholeNumberOption("--limit", $"Certificates per page, 1 to {MaxLimit}", 50);
        var pageToken = new Option<string?>("--page-token") { Description = "The next page: the token the previous page printed" };
        var all = new Option<bool>("--all") { Description = "Every page, each printed as it arrives; with --json one certificate record per line (JSON Lines)" };
        var json = KpNodeCli.JsonOption();
        var command = new Command("list", "List certificates, the newest first, a page at a time (for scripts: --json, --all)")
        {
            config, status, partner, number, exporter, importer, seal, office, from, to, oldest, limit, pageToken, all, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(OptionOf, async () =>
        {
            var request = new ListCertificatesRequest
            {
                PageSize = parse.GetValue(limit),
                Partner = parse.GetValue(partner) ?? "",
                NumberPrefix = parse.GetValue(number) ?? "",
                Exporter = parse.GetValue(exporter) ?? "",
                Importer = parse.GetValue(importer) ?? "",
                SealNumber = parse.GetValue(seal) ?? "",
                Office = parse.GetValue(office) ?? "",
                IssuedFrom = parse.GetValue(from) ?? "",
                IssuedTo = parse.GetValue(to) ?? "",
                OldestFirst = parse.GetValue(oldest),
                PageToken = parse.GetValue(pageToken) ?? "",
            };
            if (Problem(request) is { } problem)
            {
                return KpNodeCli.Fail(problem);
            }

            if (parse.GetValue(status) is { } s)
            {
                if (Wire.StatusMapping.ParseName(s) is not { } parsed)
                {
                    return KpNodeCli.Fail($"--status: '{s}' is not a status; use one of {string.Join(", ", Enum.GetNames<Domain.CertificateStatus>())}");
                }

                request.Status = Wire.StatusMapping.ToWire(parsed);
            }

            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            return parse.GetValue(all)
                ? await AllAsync(client, request, parse.GetValue(json), ct)
                : await PageAsync(client, request, parse.GetValue(json), ct);
        })));
        return command;
    }

    /// <summary>What is wrong with the options before anything is sent, naming them as typed.</summary>
    internal static string? Problem(ListCertificatesRequest request)
    {
        var problems = new List<string>();
        if (request.PageSize is < 1 or > MaxLimit)
            problems.Add($"--limit: must be 1 to {MaxLimit}; for more, take the next page with --page-token or every page with --all");
        foreach (var (option, text) in new[] { ("--from", request.IssuedFrom), ("--to", request.IssuedTo) })
        {
            if (text.Length > 0 && !DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                problems.Add($"{option}: '{text}' is not a date written like 2026-11-26");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static async Task<int> PageAsync(LocalApiClient client, ListCertificatesRequest request, bool json, CancellationToken ct)
    {
        var response = await client.Api.ListCertificatesAsync(request, cancellationToken: ct);
        if (json)
        {
            Output.Json(response);
            return 0;
        }

        WarnSkipped(response);
        if (response.Records.Count == 0)
        {
            Output.Line("[grey]No certificates match.[/]");
            return 0;
        }

        Output.RecordTable(response.Records).Write();
        if (response.NextPageToken.Length > 0)
        {
            // The token stands alone, so it can be copied (or cut from the line by a script) without punctuation.
            Output.Line($"[grey]More certificates follow (or use --all for every page). Next page: --page-token {Markup.Escape(response.NextPageToken)}[/]");
        }

        return 0;
    }

    // On stderr, so that the table on stdout stays the certificates alone; the node names what it left out.
    private static void WarnSkipped(ListCertificatesResponse response)
    {
        if (response.SkippedDamagedRecords.Count > 0)
            Console.Error.WriteLine($"Warning: left out, damaged in the node's store: {Domain.Printable.Of(string.Join(", ", response.SkippedDamagedRecords))} (see 'kpnode status'; stop the node and run 'kpnode store check')");
    }

    // Pages are printed as they arrive, so a script reading a pipe sees the first certificates at once.
    private static async Task<int> AllAsync(LocalApiClient client, ListCertificatesRequest request, bool json, CancellationToken ct)
    {
        var first = true;
        do
        {
            var response = await client.Api.ListCertificatesAsync(request, cancellationToken: ct);
            if (!json)
                WarnSkipped(response);
            if (json)
            {
                foreach (var record in response.Records)
                {
                    Console.Out.WriteLine(OneLine.Format(record));
                }
            }
            else if (response.Records.Count > 0)
            {
                Output.RecordTable(response.Records).Write(header: first);
                first = false;
            }

            await Console.Out.FlushAsync(ct);
            request.PageToken = response.NextPageToken;
        }
        while (request.PageToken.Length > 0);

        if (first && !json)
        {
            Output.Line("[grey]No certificates match.[/]");
        }

        return 0;
    }
}
