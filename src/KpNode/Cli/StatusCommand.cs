using System.CommandLine;
using System.Globalization;
using KpNode.Configuration;
using KpNode.Operations;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode status</c>: identity, health, certificate counts, each partner's delivery state with the last error explained, and expiry warnings.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("status", "Show the node's health, certificates by status, each partner's backlog and last error (explained), and expiring certificates") { config, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var status = await client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest(), cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(status);
                return 0;
            }

            var now = status.Now.ToDateTimeOffset();
            AnsiConsole.MarkupLine($"Node [bold]{Markup.Escape(status.Participant)}[/] (kpnode {Markup.Escape(status.Version)}), up {StatusPage.Uptime(now - status.StartedAt.ToDateTimeOffset())}, store {status.StoreSizeBytes / 1024.0:F0} KiB, "
                + (status.Healthy ? "[green]healthy[/]" : $"[red]NOT healthy: {Markup.Escape(status.HealthDetail)}[/]"));
            AnsiConsole.MarkupLine($"[grey]Status page {Markup.Escape(status.StatusPageUrl)}, metrics {Markup.Escape(status.MetricsUrl)}[/]");

            string Days(CredentialKind kind) => string.Join(", ", status.Credentials.Where(c => c.Kind == kind)
                .Select(c => kind == CredentialKind.PartnerRoot ? $"{c.Owner} {c.DaysLeft} d" : $"{c.DaysLeft} d"));
            AnsiConsole.MarkupLine(Markup.Escape($"Days until expiry: root {Days(CredentialKind.Root)}, node TLS {Days(CredentialKind.NodeTls)}, "
                + $"signing {Days(CredentialKind.DocumentSigning)}, operator {Days(CredentialKind.Operator)}; partner roots {Days(CredentialKind.PartnerRoot)}"));
            foreach (var c in status.Credentials.Where(c => c.Warning))
            {
                AnsiConsole.MarkupLine($"[orange3]Expiry warning: the {Markup.Escape(StatusPage.Kind(c.Kind))} of {Markup.Escape(c.Owner)} "
                    + $"{(c.DaysLeft < 0 ? "expired" : "expires")} on {c.NotAfter.ToDateTime():yyyy-MM-dd} ({c.DaysLeft} days).[/] {Markup.Escape(c.Advice)}");
            }

            var counts = new Table().Border(TableBorder.Rounded).AddColumn("Status").AddColumn(new TableColumn("Certificates").RightAligned());
            foreach (var c in status.CertificateCounts.Where(c => c.Count > 0))
            {
                counts.AddRow(Output.StatusMarkup(c.Status), c.Count.ToString("N0", CultureInfo.InvariantCulture));
            }

            counts.AddRow("[bold]Total[/]", status.CertificateCounts.Sum(c => c.Count).ToString("N0", CultureInfo.InvariantCulture));
            AnsiConsole.Write(counts);

            var partners = new Table().Border(TableBorder.Rounded)
                .AddColumn("Partner").AddColumn("Reachable").AddColumn("Circuit").AddColumn(new TableColumn("Backlog").RightAligned())
                .AddColumn("Oldest pending").AddColumn("Last success").AddColumn("Last error");
            foreach (var p in status.Partners)
            {
                var reachable = p.Reachability switch
                {
                    PartnerReachability.Reachable => "[green]yes[/]",
                    PartnerReachability.Unreachable => "[red]no[/]",
                    _ => "[grey]not yet known[/]",
                };
                partners.AddRow(Markup.Escape(p.Participant), reachable, Markup.Escape(CircuitWords.Words(p.CircuitState)),
                    p.Backlog.ToString(CultureInfo.InvariantCulture), Output.Time(p.OldestPendingAt), Output.Time(p.LastSuccessAt),
                    p.LastError.Length == 0 ? "[green]none[/]" : $"[red]{Markup.Escape(p.LastError.Split(':')[0])}[/] (below)");
            }

            AnsiConsole.Write(partners);

            // Explanations are sentences: printed whole under the table rather than squeezed into a column.
            foreach (var p in status.Partners.Where(p => p.LastError.Length > 0))
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(p.Participant)}[/]: [red]{Markup.Escape(p.LastError)}[/]");
                AnsiConsole.MarkupLine($"  What to do: {Markup.Escape(p.LastErrorAdvice)}");
            }

            return 0;
        }));
        return command;
    }
}
