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
            var nodeConfig = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            using var client = LocalApiClient.Connect(nodeConfig);
            var status = await client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest(), cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(status);
                return 0;
            }

            var now = status.Now.ToDateTimeOffset();
            Output.Line($"Node [bold]{Markup.Escape(status.Participant)}[/] (kpnode {Markup.Escape(status.Version)}), up {StatusPage.Uptime(now - status.StartedAt.ToDateTimeOffset())}, store {status.StoreSizeBytes / 1024.0:F0} KiB, "
                + (status.Healthy ? "[green]healthy[/]" : $"[red]NOT healthy: {Markup.Escape(status.HealthDetail)}[/]"));
            Output.Line($"[grey]Status page {Markup.Escape(status.StatusPageUrl)}, metrics {Markup.Escape(status.MetricsUrl)}[/]");
            Output.Line($"Retention: every certificate, message, receipt and audit entry is kept at least {nodeConfig.Options.RetentionYears} years (Node:RetentionYears); nothing is deleted");

            string Days(CredentialKind kind) => string.Join(", ", status.Credentials.Where(c => c.Kind == kind)
                .Select(c => kind == CredentialKind.PartnerRoot ? $"{c.Owner} {c.DaysLeft} d" : $"{c.DaysLeft} d"));
            Output.Line(Markup.Escape($"Days until expiry: root {Days(CredentialKind.Root)}, node TLS {Days(CredentialKind.NodeTls)}, "
                + $"signing {Days(CredentialKind.DocumentSigning)}, operator {Days(CredentialKind.Operator)}; partner roots {Days(CredentialKind.PartnerRoot)}"));
            foreach (var c in status.Credentials.Where(c => c.Warning))
            {
                Output.Line($"[orange3]Expiry warning: the {Markup.Escape(StatusPage.Kind(c.Kind))} of {Markup.Escape(c.Owner)} "
                    + $"{(c.DaysLeft < 0 ? "expired" : "expires")} on {c.NotAfter.ToDateTime():yyyy-MM-dd} ({c.DaysLeft} days).[/] {Markup.Escape(c.Advice)}");
            }

            if (status.SigningCertificateRevoked.Length > 0)
                Output.Line($"[red]Our signing certificate is revoked: {Markup.Escape(status.SigningCertificateRevoked)}[/]");
            if (status.RecordsSignedByRevokedKeys > 0)
                Output.Line($"[orange3]{status.RecordsSignedByRevokedKeys} message(s) held were signed by a revoked key (kept, no longer proof; 'kpnode cert show' marks them).[/]");

            var counts = new Table().Column("Status").Column("Certificates", right: true);
            foreach (var c in status.CertificateCounts.Where(c => c.Count > 0))
            {
                counts.Row(Output.Status(c.Status), c.Count.ToString("N0", CultureInfo.InvariantCulture));
            }

            counts.Row(new Cell("Total", "bold"), status.CertificateCounts.Sum(c => c.Count).ToString("N0", CultureInfo.InvariantCulture));
            counts.Write();
            Output.Line("");
            if (status.Offices.Count > 0)
            {
                var offices = new Table().Column("Office").Column("Prefix").Column("Issued", right: true).Column("By status", freeText: true)
                    .Column("Authority", priority: 1, freeText: true);
                foreach (var o in status.Offices)
                {
                    offices.Row(o.Office, o.NumberPrefix, o.CertificateCounts.Sum(c => c.Count).ToString("N0", CultureInfo.InvariantCulture),
                        string.Join(", ", o.CertificateCounts.Where(c => c.Count > 0).Select(c => $"{Wire.StatusMapping.Name(c.Status)} {c.Count}")), o.ExportingAuthority);
                }

                offices.Write();
                Output.Line("");
            }

            var partners = new Table().Column("Partner").Column("Reachable").Column("Backlog", right: true).Column("Last error", priority: 1, freeText: true)
                .Column("Circuit", priority: 2).Column("Oldest pending", priority: 3).Column("Last success", priority: 4);
            foreach (var p in status.Partners)
            {
                var reachable = p.Reachability switch
                {
                    PartnerReachability.Reachable => new Cell("yes", "green"),
                    PartnerReachability.Unreachable => new Cell("no", "red"),
                    _ => new Cell("not yet known", "grey"),
                };
                partners.Row(p.Participant, reachable, p.Backlog.ToString(CultureInfo.InvariantCulture),
                    p.LastError.Length == 0 ? new Cell("none", "green") : new Cell(p.LastError.Split(':')[0] + " (below)", "red"),
                    CircuitWords.Words(p.CircuitState), Output.Time(p.OldestPendingAt), Output.Time(p.LastSuccessAt));
            }

            partners.Write();

            // Explanations are sentences: printed whole under the table rather than squeezed into a column.
            foreach (var p in status.Partners.Where(p => p.LastError.Length > 0))
            {
                Output.Line($"[bold]{Markup.Escape(p.Participant)}[/]: [red]{Markup.Escape(p.LastError)}[/]");
                Output.Line($"  What to do: {Markup.Escape(p.LastErrorAdvice)}");
            }

            // What the pre-flight hello found: mismatches that will fail before they do.
            foreach (var p in status.Partners)
            {
                foreach (var problem in p.PreflightProblems)
                {
                    Output.Line($"[bold]{Markup.Escape(p.Participant)}[/] (pre-flight): [orange3]{Markup.Escape(problem.Cause)}[/]");
                    Output.Line($"  What to do: {Markup.Escape(problem.Advice)}");
                }
            }

            // Our revocation list's notice where it did not arrive: the partner still accepts what the list revokes.
            foreach (var p in status.Partners.Where(p => p.RevocationNoticeState is RevocationNoticeState.Rejected or RevocationNoticeState.NotDelivered))
            {
                Output.Line($"[bold]{Markup.Escape(p.Participant)}[/] (revocation): [red]our revocation list {p.RevocationNoticeCrlNumber} was "
                    + $"{(p.RevocationNoticeState == RevocationNoticeState.Rejected ? "rejected" : "not delivered")}[/]; "
                    + $"{Markup.Escape(p.Participant)} still accepts what it revokes: settle it with {Markup.Escape(p.Participant)}'s operator, then publish a newer list ('kpnode pki revoke', 'kpnode pki publish')");
            }

            // The last reconciliation with each partner: how far the shared history agrees.
            foreach (var p in status.Partners.Where(p => p.ReconciledAt is not null))
            {
                if (p.HistoryMatchesThrough.Length > 0)
                    Output.Line($"[bold]{Markup.Escape(p.Participant)}[/] (history): [green]matches through {Markup.Escape(p.HistoryMatchesThrough)}[/] (reconciled {Output.Time(p.ReconciledAt)})");
                else
                    Output.Line($"[bold]{Markup.Escape(p.Participant)}[/] (history): [red]{p.HistoryDifferences.Count} difference(s)[/]: {Output.Text(p.HistoryDifferences.FirstOrDefault())}"
                        + $" (run 'kpnode reconcile {Markup.Escape(p.Participant)}' for all)");
            }

            return 0;
        }));
        return command;
    }
}
