using System.CommandLine;
using System.Text.Json.Nodes;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Trust;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary><c>kpnode partner list</c> and <c>partner reload</c>: the partners as the config and the running node have them.</summary>
internal static partial class PartnerCommands
{
    private static Command List()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("list", "The configured partners with their root fingerprints, card dates and, from the running node, the pre-flight hello") { config, json };
        command.SetAction(parse => Run(() =>
        {
            var node = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            var rows = node.Options.Partners.Select(p =>
            {
                var roots = PartnerConfigFile.Roots(p.RootCertificate);
                var cardPath = PartnerConfigFile.CardBeside(p.RootCertificate);
                var date = File.Exists(cardPath) ? ReadCardDate(cardPath) : null;
                return (p.Participant, p.Address, Fingerprints: roots.Select(RootFingerprint.Of).ToList(), p.RootCertificate, Date: date);
            }).ToList();
            var links = Handshakes(node);
            if (parse.GetValue(json))
            {
                var array = new JsonArray();
                foreach (var r in rows)
                {
                    array.Add(new JsonObject
                    {
                        ["participant"] = r.Participant,
                        ["address"] = r.Address,
                        ["rootFingerprints"] = new JsonArray([.. r.Fingerprints.Select(f => (JsonNode)f)]),
                        ["rootCertificate"] = r.RootCertificate,
                        ["cardDate"] = r.Date is { } d ? Time(d) : null,
                        ["handshake"] = Handshake(links, r.Participant),
                    });
                }

                WriteJson(new JsonObject { ["partners"] = array });
                return 0;
            }

            var table = new Table().Column("Partner").Column("Address", priority: 2).Column("Root fingerprint (SHA-256)", freeText: true).Column("Card date", priority: 1)
                .Column("Handshake", freeText: true);
            foreach (var r in rows)
                table.Row(r.Participant, r.Address, string.Join(" / ", r.Fingerprints), r.Date is { } d ? Time(d) : "no card (configured by hand)",
                    Handshake(links, r.Participant));
            table.Write();
            if (links is not null && links.Any(l => l.PreflightProblems.Count > 0))
                Output.Line("'kpnode status' says what each problem is and what to do.");
            return 0;
        }));
        return command;
    }

    /// <summary>The running node's view of each partner link, or null when the node does not answer (not running).</summary>
    private static IReadOnlyList<PartnerLink>? Handshakes(NodeConfig node)
    {
        try
        {
            using var client = LocalApiClient.Connect(node);
            return client.Operations.GetNodeStatus(new GetNodeStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(5)).Partners;
        }
        catch (Exception e) when (e is RpcException or PkiFileException or IOException)
        {
            return null;
        }
    }

    /// <summary>The last pre-flight hello with a partner, in words.</summary>
    private static string Handshake(IReadOnlyList<PartnerLink>? links, string partner)
    {
        if (links is null)
            return "node not running";
        var link = links.FirstOrDefault(l => l.Participant == partner);
        return link switch
        {
            null => "not yet taken by the node (kpnode partner reload)",
            { PreflightAt: null } => "no hello yet",
            { PreflightError.Length: > 0 } => "no answer: " + link.PreflightError,
            { PreflightProblems.Count: > 0 } => $"{link.PreflightProblems.Count} problem(s): {string.Join("; ", link.PreflightProblems.Select(p => p.Cause))}",
            _ => $"agrees ({Time(link.PreflightAt.ToDateTimeOffset())})",
        };
    }

    private static Command Reload()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var command = new Command("reload", "Make the running node take the partners its config file lists now, without a restart and without disturbing other lanes")
        {
            config, json,
        };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var r = await client.Operations.ReloadPartnersAsync(new ReloadPartnersRequest(), deadline: DateTime.UtcNow + ReloadDeadline, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return 0;
            }

            var changed = r.Partners.Count(p => p.Change != PartnerReloadChange.Unchanged);
            Output.Line(changed == 0
                ? $"The node already exchanges with every partner {Markup.Escape(r.Config)} lists; nothing changed."
                : $"The node now exchanges with the partners {Markup.Escape(r.Config)} lists; unchanged partners were not touched:");
            var table = new Table().Column("Partner").Column("Now").Column("Address").Column("Root fingerprint (SHA-256)", freeText: true).Column("What changed", priority: 1, freeText: true);
            foreach (var p in r.Partners)
                table.Row(p.Participant, ChangeName(p.Change), p.Address, string.Join(" / ", p.RootFingerprints), string.Join("; ", p.Differences));
            table.Write();
            return 0;
        }));
        return command;
    }

    private static string ChangeName(PartnerReloadChange change) => change switch
    {
        PartnerReloadChange.Added => "added",
        PartnerReloadChange.Changed => "changed",
        PartnerReloadChange.Removed => "removed",
        _ => "unchanged",
    };
}
