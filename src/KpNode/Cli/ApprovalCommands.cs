using System.CommandLine;
using Google.Protobuf;
using KpNode.Configuration;
using KpNode.Wire.V1;

namespace KpNode.Cli;

/// <summary><c>kpnode cert approvals|approve|reject</c>: the second officer's side of four-eyes issuing and voiding.</summary>
internal static class ApprovalCommands
{
    // The approval id is typed as the argument: its refusal needs no field name in front.
    private static readonly Dictionary<string, string> ById = new(StringComparer.Ordinal) { ["approvalId"] = "" };

    public static Command List()
    {
        var config = KpNodeCli.ConfigOption();
        var all = new Option<bool>("--all") { Description = "Also the approved and rejected ones (the newest 50)" };
        var json = KpNodeCli.JsonOption();
        var command = new Command("approvals", "The issues and voids waiting for a second officer's approval (Node:FourEyes)") { config, all, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var configPath = parse.GetRequiredValue(config).FullName;
            using var client = LocalApiClient.Connect(NodeConfig.Load(configPath));
            var r = await client.Approvals.ListApprovalsAsync(new ListApprovalsRequest { IncludeDecided = parse.GetValue(all) }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return 0;
            }

            if (r.Approvals.Count == 0)
            {
                Output.Line("Nothing awaits approval.");
                return 0;
            }

            var table = new Table().Column("Id").Column("Kind").Column("State", priority: 3).Column("Submitted by", priority: 1, freeText: true)
                .Column("At", priority: 4).Column("What", priority: 2, freeText: true);
            foreach (var a in r.Approvals)
            {
                table.Row(a.Id, a.Kind == ApprovalKind.Issue ? "issue" : "void " + a.CertificateNumber, StateName(a.State), a.SubmittedBy,
                    Output.Time(a.SubmittedAt), a.Kind == ApprovalKind.Issue ? a.Summary : $"{a.Partner}: {a.Summary}");
            }

            table.Write();
            if (r.Approvals.FirstOrDefault(a => a.State == ApprovalState.Pending) is { } first)
            {
                Output.Line(Output.Text($"A second officer (approving-officer) runs 'kpnode cert approve {first.Id} --config {Shown(configPath)}', or 'kpnode cert reject {first.Id} --reason \"…\"'."));
            }

            return 0;
        }));
        return command;
    }

    public static Command Approve()
    {
        var config = KpNodeCli.ConfigOption();
        var id = new Argument<string>("ID") { Description = "The approval, e.g. AP-000012 ('kpnode cert approvals' lists them)" };
        var json = KpNodeCli.JsonOption();
        var command = new Command("approve", "Approve an issue or void another officer submitted: the certificate is then signed and sent (or voided)") { config, id, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(ById, async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var r = await client.Approvals.ApproveAsync(new ApproveRequest { ApprovalId = parse.GetRequiredValue(id) }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return 0;
            }

            var number = r.Record.Certificate.Number;
            Output.Line(Output.Text(r.Approval.Kind == ApprovalKind.Issue
                ? $"Approved {r.Approval.Id}: issued {number} to {r.Record.Partner}; signed and stored, delivery under way (submitted by {r.Approval.SubmittedBy}; approved by {r.Approval.DecidedBy})."
                : $"Approved {r.Approval.Id}: {number} is voided (submitted by {r.Approval.SubmittedBy}; approved by {r.Approval.DecidedBy})."));
            return 0;
        })));
        return command;
    }

    public static Command Reject()
    {
        var config = KpNodeCli.ConfigOption();
        var id = new Argument<string>("ID") { Description = "The approval, e.g. AP-000012" };
        var reason = new Option<string>("--reason") { Description = "Why, for the submitter and the audit log", Required = true };
        var json = KpNodeCli.JsonOption();
        var command = new Command("reject", "Reject an issue or void another officer submitted: nothing is signed or sent") { config, id, reason, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() => Refusals.AsTyped(ById, async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var r = await client.Approvals.RejectAsync(new RejectRequest { ApprovalId = parse.GetRequiredValue(id), Reason = parse.GetRequiredValue(reason) },
                cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return 0;
            }

            Output.Line(Output.Text($"Rejected {r.Approval.Id} of {r.Approval.SubmittedBy}: nothing was signed or sent."));
            return 0;
        })));
        return command;
    }

    /// <summary>What <c>cert issue</c> and <c>cert void</c> say when four-eyes keeps the change for a second officer.</summary>
    public static int Awaiting(bool json, IMessage response, string approval, string configPath, bool quiet)
    {
        if (json)
            Output.Json(response);
        else if (quiet)
            Console.Out.WriteLine(approval);
        else
            Output.Line(Output.Text($"Awaiting approval {approval}: a second officer runs 'kpnode cert approve {approval} --config {Shown(configPath)}'."));
        return 0;
    }

    private static string StateName(ApprovalState state) => state switch
    {
        ApprovalState.Pending => "pending",
        ApprovalState.Approved => "approved",
        ApprovalState.Rejected => "rejected",
        _ => "unknown",
    };

    // The config as the user would type it again: relative to the working directory when it lies below it.
    private static string Shown(string configPath)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, configPath);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? configPath : relative;
    }
}
