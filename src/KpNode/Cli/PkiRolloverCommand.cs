using System.CommandLine;
using System.Text.Json.Nodes;
using KpNode.Trust;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode pki rollover</c>: our own side of a root rollover, once partners hold the card both roots signed.</summary>
internal static class PkiRolloverCommand
{
    public static Command Create()
    {
        var from = new Option<DirectoryInfo>("--from")
        {
            Description = "The PKI folder 'kpnode pki init --out NEWDIR --root-out NEWROOTDIR' made with the new root",
            Required = true,
        };
        var pki = PkiRotationCommands.PkiOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("rollover",
            "Move the node's PKI to a new root and its leaves; the old root is kept in previous-roots.crt for what it signed, the old leaves under retired/")
        {
            from, pki, json,
        };
        command.SetAction(parse => PkiRotationCommands.Run(() =>
        {
            var dir = parse.GetRequiredValue(pki).FullName;
            var done = PkiRollover.Rollover(dir, parse.GetRequiredValue(from).FullName, DateTimeOffset.UtcNow);
            const string next = "Restart the node: it then signs and connects under the new root. Partners that took the card signed by both roots "
                + "('kpnode partner update') accept it; what was signed under the old root still verifies.";
            if (parse.GetValue(json))
            {
                PkiRotationCommands.WriteJson(new JsonObject
                {
                    ["participant"] = done.Participant,
                    ["oldRoot"] = done.OldRootFingerprint,
                    ["newRoot"] = done.NewRootFingerprint,
                    ["previousRoots"] = done.PreviousRoots,
                    ["takesEffect"] = "restart",
                });
                return 0;
            }

            Output.Line($"Rolled the PKI of [bold]{done.Participant}[/] over to its new root:");
            PkiRotationCommands.Pairs(
                ("New root", done.NewRootFingerprint),
                ("Old root", $"{done.OldRootFingerprint} (kept in {Path.Combine(dir, PkiFiles.PreviousRoots)})"),
                ("Old leaves", $"{Path.Combine(dir, PkiRotation.RetiredFolder)} (kept, never deleted)"));
            Output.Line(Markup.Escape(next));
            return 0;
        }));
        return command;
    }
}
