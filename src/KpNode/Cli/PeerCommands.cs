using System.CommandLine;
using KpNode.Configuration;
using KpNode.Operations;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode peer ping|retry-now</c>: check the link to a partner, and push its stuck backlog out now.</summary>
internal static class PeerCommands
{
    public static Command Create() => new("peer", "Check and nudge the link to one trading partner")
    {
        Ping(),
        RetryNow(),
    };

    private static Command Ping()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var partner = PartnerArgument();
        var command = new Command("ping", "Signed round trip to the partner's node: latency and both sides' identities, or why it failed") { config, partner, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(ByPartner, async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var r = await client.Operations.PingPeerAsync(new PingPeerRequest { Partner = parse.GetRequiredValue(partner) }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return r.Ok ? 0 : 1;
            }

            if (!r.Ok)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(r.Partner)} did not answer the ping ({Markup.Escape(r.Address)}).[/]");
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(r.Error)}[/]");
                AnsiConsole.MarkupLine($"What to do: {Markup.Escape(r.Advice)}");
                return 1;
            }

            AnsiConsole.MarkupLine($"[green]{Markup.Escape(r.Partner)} answered in {r.Latency.ToTimeSpan().TotalMilliseconds:0.0} ms[/] ({Markup.Escape(r.Address)})");
            var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
            grid.AddRow("[grey]Partner[/]", Markup.Escape($"{r.Responder}, kpnode {r.ResponderVersion}; answer signed by {r.ResponderSignerSubject}, verified against {r.Partner}'s root"));
            grid.AddRow("[grey]Answered at[/]", Output.Time(r.AnsweredAt));
            grid.AddRow("[grey]Us[/]", Markup.Escape($"{r.CallerSeenByPartner} as {r.Partner} saw our TLS certificate ({r.OurCertificateSubject})"));
            grid.AddRow("[grey]Health[/]", r.PartnerHealth switch
            {
                PeerHealth.Serving => "[green]SERVING[/]",
                PeerHealth.NotServing => $"[red]NOT_SERVING[/]: {Markup.Escape(r.Partner)}'s node says it cannot serve everything (ask its operator to run 'kpnode status')",
                _ => "[grey]not stated (an older kpnode)[/]",
            });
            AnsiConsole.Write(grid);
            return 0;
        })));
        return command;
    }

    private static Command RetryNow()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var partner = PartnerArgument();
        var command = new Command("retry-now", "Clear the partner's backoff and circuit, deliver its backlog at once, and report what happened") { config, partner, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(ByPartner, async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var r = await client.Operations.RetryNowAsync(new RetryNowRequest { Partner = parse.GetRequiredValue(partner) }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return r.StillPending == 0 ? 0 : 1;
            }

            if (r.Rescheduled == 0)
            {
                AnsiConsole.MarkupLine($"Nothing waits for {Markup.Escape(r.Partner)}: the outbox holds no message for it.");
                return 0;
            }

            AnsiConsole.MarkupLine($"Cleared the backoff of {r.Rescheduled} message(s) for {Markup.Escape(r.Partner)} (circuit was {CircuitWords.Words(r.CircuitStateBefore)}) and tried at once:");
            AnsiConsole.MarkupLine($"  [green]{r.Delivered} delivered[/] (signed receipt recorded), {(r.StillPending == 0 ? "[green]0 still pending[/]" : $"[red]{r.StillPending} still pending[/]")}");
            if (r.StillPending > 0 && r.PartnerLink.LastError.Length > 0)
            {
                AnsiConsole.MarkupLine($"  [red]{Markup.Escape(r.PartnerLink.LastError)}[/]");
                AnsiConsole.MarkupLine($"  What to do: {Markup.Escape(r.PartnerLink.LastErrorAdvice)}");
            }

            return r.StillPending == 0 ? 0 : 1;
        })));
        return command;
    }

    // The partner is typed as the argument: its refusal needs no field name in front.
    private static readonly Dictionary<string, string> ByPartner = new(StringComparer.Ordinal) { ["partner"] = "" };

    private static Argument<string> PartnerArgument() => new("partner") { Description = "The partner's participant code, e.g. BE" };
}
