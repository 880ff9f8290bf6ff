using System.CommandLine;
using System.Globalization;
using KpNode.Hosting;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode status</c>: the node's identity, certificate counts and each partner's delivery state.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("status", "Show the node's certificates by status and each partner's backlog and last error") { config, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var status = await client.Api.GetStatusAsync(new GetStatusRequest(), cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(status);
                return 0;
            }

            var uptime = DateTime.UtcNow - status.StartedAt.ToDateTime();
            AnsiConsole.MarkupLine($"Node [bold]{Markup.Escape(status.Participant)}[/] (kpnode {Markup.Escape(status.Version)}), up {uptime:d\\.hh\\:mm\\:ss}, store {status.StoreSizeBytes / 1024.0:F0} KiB");
            var counts = new Table().Border(TableBorder.Rounded).AddColumn("Status").AddColumn(new TableColumn("Certificates").RightAligned());
            foreach (var c in status.CertificateCounts.Where(c => c.Count > 0))
            {
                counts.AddRow(Output.StatusMarkup(c.Status), c.Count.ToString("N0", CultureInfo.InvariantCulture));
            }

            counts.AddRow("[bold]Total[/]", status.CertificateCounts.Sum(c => c.Count).ToString("N0", CultureInfo.InvariantCulture));
            AnsiConsole.Write(counts);
            var partners = new Table().Border(TableBorder.Rounded)
                .AddColumn("Partner").AddColumn("Address").AddColumn("Circuit").AddColumn(new TableColumn("Backlog").RightAligned())
                .AddColumn("Oldest pending").AddColumn("Last success").AddColumn("Last error");
            foreach (var p in status.Partners)
            {
                partners.AddRow(Markup.Escape(p.Participant), Markup.Escape(p.Address), Markup.Escape(p.CircuitState),
                    p.Backlog.ToString(CultureInfo.InvariantCulture), Output.Time(p.OldestPendingAt), Output.Time(p.LastSuccessAt),
                    p.LastError.Length == 0 ? "[green]none[/]" : $"[red]{Markup.Escape(p.LastError)}[/]");
            }

            AnsiConsole.Write(partners);
            return 0;
        }));
        return command;
    }
}
