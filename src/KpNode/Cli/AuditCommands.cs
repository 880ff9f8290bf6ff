using System.CommandLine;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using KpNode.Configuration;
using KpNode.Integrity;
using KpNode.LocalApi;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Wire.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>
/// <c>kpnode audit show</c> and <c>kpnode audit verify</c> on the running node through the Local API, and
/// <c>kpnode audit verify --data DIR</c> offline on a stopped node's store.
/// </summary>
internal static class AuditCommands
{
    /// <summary>Exit code: the chain is broken or a stored envelope does not verify.</summary>
    internal const int BreakFound = 3;

    public static Command Create() => new("audit", "The node's audit log: list its entries, verify its chain and the evidence it records") { Show(), Verify() };

    private static Command Show()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var action = new Option<string>("--action") { Description = "Only entries of this action, e.g. certificate.issued" };
        var subject = new Option<string>("--subject") { Description = "Only entries about this subject, e.g. a certificate number" };
        var since = new Option<string>("--since") { Description = "Only entries at or after this UTC date or time (2026-11-01, 2026-11-01T12:00)" };
        var until = new Option<string>("--until") { Description = "Only entries before this UTC date or time" };
        var limit = KpNodeCli.WholeNumberOption("--limit", "At most this many entries, the newest that match", 100);
        var command = new Command("show", "List the audit log's entries, oldest first, with filters (the running node, through its Local API)")
        { config, action, subject, since, until, limit, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            if (parse.GetValue(limit) < 1)
                return KpNodeCli.Fail("--limit: give a number of entries, 1 or more.");
            using var client = LocalApiClient.Connect(NodeConfig.Load(parse.GetRequiredValue(config).FullName));
            var request = new ListAuditEntriesRequest
            {
                Action = parse.GetValue(action) ?? "",
                Subject = parse.GetValue(subject) ?? "",
                Limit = parse.GetValue(limit),
            };
            foreach (var (name, value, set) in new (string, string?, Action<Timestamp>)[]
            {
                ("--since", parse.GetValue(since), t => request.Since = t), ("--until", parse.GetValue(until), t => request.Until = t),
            })
            {
                if (value is null)
                    continue;
                if (!DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
                    return KpNodeCli.Fail($"{name}: '{value}' is not a date or time; write it like 2026-11-01 or 2026-11-01T12:00 (UTC).");
                set(Timestamp.FromDateTime(at));
            }

            var response = await client.Audit.ListAuditEntriesAsync(request, cancellationToken: ct);
            if (parse.GetValue(json))
            {
                Output.Json(response);
                return 0;
            }

            var table = new Table().Column("#", right: true).Column("At (UTC)").Column("Action").Column("Subject")
                .Column("Actor", priority: 1).Column("Detail", priority: 2, freeText: true);
            foreach (var e in response.Entries)
            {
                table.Row(e.Id.ToString(CultureInfo.InvariantCulture), e.At.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    e.Action, e.Subject, e.Actor, e.Detail);
            }

            table.Write();
            Output.Line(Markup.Escape($"{response.Entries.Count} entries" + (response.Truncated ? $" (the newest that match; more matched, raise --limit)" : "")));
            return 0;
        }));
        return command;
    }

    private static Command Verify()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var data = new Option<DirectoryInfo>("--data")
        {
            Description = "Verify the store in this data directory of a stopped node, offline (the partner roots come from the config)",
        };
        var command = new Command("verify",
            "Re-compute the audit chain and re-verify every stored envelope and receipt: on the running node, or with --data DIR on a stopped one. "
            + $"Exit codes: 0 intact, {BreakFound} a break or a damaged record found, {KpNodeCli.ConfigurationUnusable} the config cannot be used "
            + "(or, with --data, the node is running), 1 another failure")
        { config, data, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            var nodeConfig = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            VerifyAuditResponse result;
            if (parse.GetValue(data) is { } directory)
            {
                if (Offline(nodeConfig, directory.FullName, ct, out var offline) is { } failed)
                    return failed;
                result = offline!;
            }
            else
            {
                using var client = LocalApiClient.Connect(nodeConfig);
                result = await client.Audit.VerifyAuditAsync(new VerifyAuditRequest(), cancellationToken: ct);
            }

            if (parse.GetValue(json))
                Output.Json(result);
            else
                WriteText(result);
            return result.Intact ? 0 : BreakFound;
        }));
        return command;
    }

    // The offline verification, the data directory locked as the node would lock it; an exit code when it cannot run.
    private static int? Offline(NodeConfig config, string directory, CancellationToken ct, out VerifyAuditResponse? result)
    {
        result = null;
        DataDirectoryLock held;
        try
        {
            held = DataDirectoryLock.Acquire(directory);
        }
        catch (DataDirectoryInUseException e)
        {
            return KpNodeCli.Fail($"{e.Message}: the node is running. Verify it through its Local API (leave out --data), or stop it first.",
                KpNodeCli.ConfigurationUnusable);
        }

        using var _ = held;
        var dataPath = Path.GetFullPath(Path.Combine(directory, "kpnode.db"));
        if (!File.Exists(dataPath))
            return KpNodeCli.Fail($"There is no store at {dataPath} (give the data directory of a stopped node with --data DIR).", KpNodeCli.ConfigurationUnusable);

        using var store = NodeStore.Open(dataPath, TimeProvider.System);
        result = VerifyStopped(config, store, ct);
        return null;
    }

    /// <summary>The whole verification of a store no node has open, trusting the roots the config names.</summary>
    internal static VerifyAuditResponse VerifyStopped(NodeConfig config, INodeStore store, CancellationToken ct)
    {
        using var credentials = new NodeCredentials(PkiFiles.Load(config.Options.PkiDirectory), config.Options.PkiDirectory);
        var evidence = new StoredEvidence(new EnvelopeVerifier(new TrustChain()), credentials, Partners.Load(config), TimeProvider.System);
        return AuditApi.ToResponse(AuditVerifyRun.Verify(store, evidence, new StoreIntegrity(), NullLogger<StoreCheck>.Instance, ct));
    }

    internal static void WriteText(VerifyAuditResponse result)
    {
        var chain = result.Chain;
        Output.Line(Markup.Escape($"Audit chain: {chain.EntriesChecked} entries checked, "
            + (chain.Intact ? "intact." : $"BROKEN at entry {chain.BrokenEntryId}: {chain.Detail}")));
        Output.Line(Markup.Escape($"Envelopes: {result.MessagesChecked} messages (envelope and receipt) and {result.CertificatesChecked} certificates re-verified."));
        foreach (var head in result.PartnerHeads)
        {
            Output.Line(head.Matches
                ? Markup.Escape($"Head held by {head.Partner}: entry {head.Sequence}, signed {Output.Time(head.SignedAt)}, matches our chain.")
                : Markup.Escape($"Head held by {head.Partner}: {head.Detail}"));
        }

        if (result.Intact)
        {
            Output.Line("[green]Every entry links and every envelope verifies.[/]");
            return;
        }

        Output.Line($"[red]{result.Problems.Count} problem(s), the first break first:[/]");
        foreach (var p in result.Problems)
        {
            Output.Line(Markup.Escape($"  {p.Record}: {p.Problem}"));
        }

        Output.Line("What to do: keep this store as evidence, and restore from a backup that verifies ('kpnode store check' names every damaged record).");
    }
}
