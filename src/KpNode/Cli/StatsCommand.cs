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
        var period = new Option<string?>("--period") { Description = "Calendar quarter, e.g. 2026Q3 (default: the current quarter)" };
        var office = new Option<string?>("--office") { Description = "One office's view, e.g. BE-ANTWERP: its exports and every import (an office's operator always has it)" };
        var format = new Option<string>("--format") { Description = "table (default) or csv; --json for the JSON", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv");
        var json = KpNodeCli.JsonOption();
        var command = new Command("stats", "Quarterly trade statistics: certificates, carats and US$ by partner and HS code, and exports never confirmed")
        {
            config, period, office, format, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(new Dictionary<string, string> { ["period"] = "--period", ["office"] = "--office" }, async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var quarter = parse.GetValue(period) ?? CurrentQuarter(DateTime.UtcNow);
            var stats = await client.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = quarter, Office = parse.GetValue(office) ?? "" }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(stats);
            }
            else if (parse.GetValue(format) == "csv")
            {
                Console.Out.Write(Wire.StatisticsMapping.ToCsv(stats));
            }
            else
            {
                Table(stats);
            }

            return 0;
        })));
        return command;
    }

    internal static string CurrentQuarter(DateTime today) => Domain.ReportingPeriod.QuarterOf(DateOnly.FromDateTime(today)).Label;

    private static void Table(GetStatisticsResponse s)
    {
        Output.Line($"KP trade statistics of [bold]{Markup.Escape(s.Participant)}[/]{(s.Office.Length > 0 ? $" office {Markup.Escape(s.Office)} (its exports, every import)" : "")}, "
            + $"{Markup.Escape(s.Period)} ({s.FirstDay} to {s.LastDay}), by date of issue");
        var table = new Table().Column("Flow").Column("Partner").Column("HS code").Column("Certificates", right: true)
            .Column("Carats", right: true).Column("Value", priority: 1, right: true);
        void Row(TradeRow r, string partner, string code, bool bold) => table.Row(
            Flow(r.Flow), partner, code,
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
            Output.Line("[grey]No certificates were issued or received in this quarter.[/]");
        }
        else
        {
            table.Write();
        }

        if (s.OfficeTotals.Count > 0)
        {
            Output.Line("Exports by issuing office:");
            var offices = new Table().Column("Office").Column("Partner").Column("Certificates", right: true).Column("Carats", right: true)
                .Column("Value", priority: 1, right: true);
            foreach (var r in s.OfficeTotals)
            {
                offices.Row(r.Office, r.Partner, r.Certificates.ToString("N0", CultureInfo.InvariantCulture), Output.Carats(r.CaratsHundredths), Output.Dollars(r.ValueUsdCents));
            }

            offices.Write();
        }

        if (s.Unconfirmed.Count > 0)
        {
            Output.Line($"[orange3]{s.Unconfirmed.Count} certificate(s) issued in the quarter were never confirmed by the importer:[/]");
            foreach (var u in s.Unconfirmed)
            {
                Output.Line($"  {Markup.Escape(u.Number)} to {Markup.Escape(u.Partner)}, issued {u.DateOfIssue}, expires {u.DateOfExpiry}: {Output.StatusMarkup(u.Status)}");
            }
        }
    }

    private static string Flow(TradeFlow f) => f == TradeFlow.Export ? "export" : "import";

    private static Cell Bold(string text, bool bold) => new(text, bold ? "bold" : null);
}
