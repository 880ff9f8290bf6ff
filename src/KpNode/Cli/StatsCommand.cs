using System.CommandLine;
using System.Globalization;
using KpNode.Configuration;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode stats</c>: the participant's quarterly KP trade statistics from its own records.</summary>
internal static class StatsCommand
{
    public static Command Create()
    {
        var config = KpNodeCli.ConfigOption();
        var period = new Option<string>("--period") { Description = "Calendar quarter, e.g. 2026Q3", Required = true };
        var format = new Option<string>("--format") { Description = "table (default), csv or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var json = KpNodeCli.JsonOption();
        var command = new Command("stats", "Quarterly trade statistics: certificates, carats and US$ by partner and HS code, and exports never confirmed")
        {
            config, period, format, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var stats = await client.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = parse.GetRequiredValue(period) }, cancellationToken: ct);
            var chosen = parse.GetValue(json) ? "json" : parse.GetValue(format);
            if (chosen == "json")
            {
                Output.Json(stats);
            }
            else if (chosen == "csv")
            {
                Console.Out.Write(Wire.StatisticsMapping.ToCsv(stats));
            }
            else
            {
                Table(stats);
            }

            return 0;
        }));
        return command;
    }

    private static void Table(GetStatisticsResponse s)
    {
        AnsiConsole.MarkupLine($"KP trade statistics of [bold]{Markup.Escape(s.Participant)}[/], {Markup.Escape(s.Period)} ({s.FirstDay} to {s.LastDay}), by date of issue");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Flow").AddColumn("Partner").AddColumn("HS code")
            .AddColumn(new TableColumn("Certificates").RightAligned()).AddColumn(new TableColumn("Carats").RightAligned())
            .AddColumn(new TableColumn("Value").RightAligned());
        void Row(TradeRow r, string partner, string code, bool bold) => table.AddRow(
            Flow(r.Flow), Markup.Escape(partner), Markup.Escape(code),
            Bold(r.Certificates.ToString("N0", CultureInfo.InvariantCulture), bold),
            Bold(Output.Carats(r.CaratsHundredths), bold), Bold(Output.Dollars(r.ValueUsdCents), bold));
        foreach (var flow in new[] { TradeFlow.Export, TradeFlow.Import })
        {
            foreach (var total in s.PartnerTotals.Where(t => t.Flow == flow))
            {
                foreach (var r in s.Rows.Where(r => r.Flow == flow && r.Partner == total.Partner))
                {
                    Row(r, r.Partner, r.HsCode, false);
                }

                Row(total, total.Partner, "all", true);
            }

            foreach (var total in s.FlowTotals.Where(t => t.Flow == flow))
            {
                Row(total, "all", "all", true);
            }
        }

        if (s.Rows.Count == 0)
        {
            AnsiConsole.MarkupLine("[grey]No certificates were issued or received in this quarter.[/]");
        }
        else
        {
            AnsiConsole.Write(table);
        }

        if (s.Unconfirmed.Count > 0)
        {
            AnsiConsole.MarkupLine($"[orange3]{s.Unconfirmed.Count} certificate(s) issued in the quarter were never confirmed by the importer:[/]");
            foreach (var u in s.Unconfirmed)
            {
                AnsiConsole.MarkupLine($"  {Markup.Escape(u.Number)} to {Markup.Escape(u.Partner)}, issued {u.DateOfIssue}, expires {u.DateOfExpiry}: {Output.StatusMarkup(u.Status)}");
            }
        }
    }

    private static string Flow(TradeFlow f) => f == TradeFlow.Export ? "export" : "import";

    private static string Bold(string text, bool bold) => bold ? $"[bold]{text}[/]" : text;
}
