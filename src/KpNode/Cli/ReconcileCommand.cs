using System.CommandLine;
using KpNode.Configuration;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode reconcile PARTNER</c>: compare the history shared with a partner, restore what we lost of its messages and of our certificates to it, report the rest.</summary>
internal static class ReconcileCommand
{
    public static Command Create()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var partner = new Argument<string>("partner") { Description = "The partner's participant code, e.g. BE" };
        var period = new Option<string>("--period") { Description = "2026Q4, 2026-11 or 2026 (default: the whole history through today)" };
        var command = new Command("reconcile", "Compare the history shared with a partner day by day (signed digests), restore what this node lost of the partner's messages and of the certificates it issued to the partner, and report every other difference")
        {
            config, partner, period, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(new Dictionary<string, string>(StringComparer.Ordinal) { ["partner"] = "" }, async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var r = await client.Operations.ReconcileAsync(new ReconcileRequest { Partner = parse.GetRequiredValue(partner), Period = parse.GetValue(period) ?? "" },
                cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return r.Matches ? 0 : 1;
            }

            var span = r.FromDate.Length == 0 ? $"through {r.ThroughDate}" : $"{r.FromDate} to {r.ThroughDate}";
            foreach (var d in r.Differences)
            {
                var mark = d.Restored ? "[green]restored[/]" : "[red]differs[/]";
                Output.Line($"{mark}  {Markup.Escape(d.Date)}  {Output.Text(d.Text)}");
            }

            var restored = r.Differences.Count(d => d.Restored);
            if (r.Matches)
            {
                AnsiConsole.MarkupLine($"[green]History with {Markup.Escape(r.Partner)} matches {Markup.Escape(span)}[/]: {r.MessagesCompared} message(s) over {r.DaysCompared} day(s)"
                    + (restored > 0 ? $", {restored} restored from {Markup.Escape(r.Partner)}'s copy" : "") + ".");
                return 0;
            }

            AnsiConsole.MarkupLine($"[red]History with {Markup.Escape(r.Partner)} differs {Markup.Escape(span)}[/]: {r.Differences.Count - restored} message(s) not restored"
                + (restored > 0 ? $", {restored} restored" : "") + ".");
            AnsiConsole.MarkupLine($"What to do: a message {Markup.Escape(r.Partner)} lacks is restored by its own reconciliation; a void or confirmation of ours we lack comes back from a backup or the replaced store (kpnode restore); compare both sides' exports for any other.");
            return 1;
        })));
        return command;
    }
}
