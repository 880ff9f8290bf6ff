using System.CommandLine;
using KpNode.Configuration;
using KpNode.Wire.V1;

namespace KpNode.Cli;

/// <summary><c>kpnode outbox list|cancel|resign</c>: see what waits for partners, and clear a message a partner keeps refusing.</summary>
internal static class OutboxCommands
{
    public static Command Create() => new("outbox", "Messages waiting for partners: see why, cancel one a partner refuses, or sign it again")
    {
        List(),
        Cancel(),
        Resign(),
    };

    private static Command List()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var partner = new Option<string>("--partner") { Description = "Only the messages for this partner, e.g. BE" };
        var limit = new Option<int>("--limit") { Description = $"At most this many per partner, oldest first (default {Operations.OutboxRepair.DefaultLimit}, at most {Operations.OutboxRepair.MaxLimit})" };
        var command = new Command("list", "The messages waiting in the outbox, oldest first, with the last failure and what to do") { config, partner, limit, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var configPath = parse.GetRequiredValue(config).FullName;
            using var client = LocalApiClient.Connect(NodeConfig.Load(configPath));
            var r = await client.Operations.ListOutboxAsync(
                new ListOutboxRequest { Partner = parse.GetValue(partner) ?? "", Limit = parse.GetValue(limit) }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return 0;
            }

            if (r.Messages.Count == 0)
            {
                Say("Nothing waits in the outbox.");
                return 0;
            }

            foreach (var m in r.Messages)
            {
                Describe(m, configPath);
            }

            if (r.NotListed > 0)
            {
                Say($"{r.NotListed} more not listed: raise --limit (at most {Operations.OutboxRepair.MaxLimit}) or add --partner.");
            }

            return 0;
        }));
        return command;
    }

    private static Command Cancel()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var id = MessageArgument();
        var reason = new Option<string>("--reason") { Description = "Why the message is given up, for the audit log", Required = true };
        var command = new Command("cancel",
            "Stop delivering a message the partner refused for a trust reason; a certificate whose own message is cancelled becomes Undeliverable")
        { config, id, reason, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var r = await client.Operations.CancelMessageAsync(
                new CancelMessageRequest { MessageId = parse.GetRequiredValue(id), Reason = parse.GetRequiredValue(reason) }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return 0;
            }

            var m = r.Message;
            Say($"Cancelled the {m.Kind} {m.CertificateNumber} to {m.Partner} (message {m.MessageId}); the reason is in the audit log.");
            if (r.AlsoCancelled.Count > 0)
            {
                Say($"Also cancelled what followed it: {string.Join(", ", r.AlsoCancelled)}.");
            }

            if (r.CertificateStatus != CertificateStatus.Unspecified)
            {
                Say($"{m.CertificateNumber} is now {Output.StatusName(r.CertificateStatus)}.");
            }

            return 0;
        }));
        return command;
    }

    private static Command Resign()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var id = MessageArgument();
        var command = new Command("resign",
            "Sign a message the partner refused for its signature again, with the node's current signing certificate, and deliver it")
        { config, id, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var r = await client.Operations.ResignMessageAsync(new ResignMessageRequest { MessageId = parse.GetRequiredValue(id) }, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(r);
                return 0;
            }

            var m = r.Message;
            Say($"Signed the {m.Kind} {m.CertificateNumber} to {m.Partner} again (message {m.MessageId}):");
            Say($"  signing certificate {Short(m.SignerKeyid)} instead of {Short(r.PreviousSignerKeyid)}; it is being delivered now.");
            Say($"  Follow it with 'kpnode cert show {m.CertificateNumber}' or 'kpnode outbox list'.");
            return 0;
        }));
        return command;
    }

    // One block per message rather than a wide table: the error and the advice are sentences that must stay readable.
    private static void Describe(OutboxMessage m, string configPath)
    {
        var attempts = m.Attempts == 1 ? "1 attempt" : $"{m.Attempts} attempts";
        Say($"{m.CertificateNumber}  {m.Kind} to {m.Partner}  {attempts}  waiting since {Output.Time(m.CreatedAt)}");
        Say($"  message {m.MessageId}, deliver by {Output.Time(m.DeliverBy)}");
        if (m.LastError.Length > 0)
        {
            Say($"  last failure: {m.LastError}");
        }

        Say($"  what to do: {m.Advice}");
        if (m.CanResign)
        {
            Say($"  kpnode outbox resign --config {configPath} {m.MessageId}");
        }

        if (m.CanCancel)
        {
            Say($"  kpnode outbox cancel --config {configPath} {m.MessageId} --reason \"…\"");
        }
    }

    // A last failure carries the partner's own words: escaped, so they cannot drive the terminal.
    private static void Say(string text) => Console.Out.WriteLine(Domain.Printable.Of(text, int.MaxValue));

    private static string Short(string keyId) => keyId.Length > 16 ? keyId[..16] + "…" : keyId;

    private static Argument<string> MessageArgument() => new("message-id") { Description = "The message's id, as `kpnode outbox list` shows it" };
}
