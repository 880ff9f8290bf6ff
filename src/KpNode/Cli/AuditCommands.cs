using System.CommandLine;
using System.Text.Json;
using KpNode.Configuration;
using KpNode.Evidence;
using KpNode.Integrity;
using KpNode.Storage;
using KpNode.Trust;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KpNode.Cli;

/// <summary><c>kpnode audit verify --data DIR</c>: the audit chain re-computed and every stored envelope and receipt re-verified, offline.</summary>
internal static class AuditCommands
{
    /// <summary>Exit code: the chain is broken or a stored envelope does not verify.</summary>
    internal const int BreakFound = 3;

    public static Command Create() => new("audit", "The node's audit log: verify its chain and the evidence it records") { Verify() };

    private static Command Verify()
    {
        var config = KpNodeCli.ConfigOption();
        var json = KpNodeCli.JsonOption();
        var data = new Option<DirectoryInfo>("--data")
        {
            Description = "Data directory of a stopped node (default: Node:DataDirectory of the config); the partner roots come from the config",
        };
        var command = new Command("verify",
            "Re-compute the audit chain and re-verify every stored envelope and receipt of a stopped node's store. "
            + $"Exit codes: 0 intact, {BreakFound} a break or a damaged record found, {KpNodeCli.ConfigurationUnusable} the config cannot be used or the node is running, 1 another failure")
        { config, data, json };
        command.SetAction((parse, ct) => KpNodeCli.Guard(() =>
        {
            var nodeConfig = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
            var directory = parse.GetValue(data)?.FullName ?? nodeConfig.Options.DataDirectory;
            return Task.FromResult(RunOffline(nodeConfig, directory, parse.GetValue(json), ct));
        }));
        return command;
    }

    private static int RunOffline(NodeConfig config, string directory, bool json, CancellationToken ct)
    {
        DataDirectoryLock held;
        try
        {
            held = DataDirectoryLock.Acquire(directory);
        }
        catch (DataDirectoryInUseException e)
        {
            return KpNodeCli.Fail($"{e.Message}: the node is running. Stop it first, or verify through its Local API, then run this again.",
                KpNodeCli.ConfigurationUnusable);
        }

        using var _ = held;
        var dataPath = Path.GetFullPath(Path.Combine(directory, "kpnode.db"));
        if (!File.Exists(dataPath))
            return KpNodeCli.Fail($"There is no store at {dataPath} (give the data directory of a stopped node with --data DIR).", KpNodeCli.ConfigurationUnusable);

        var result = Verify(config, dataPath, ct);
        if (json)
            WriteJson(result);
        else
            WriteText(result);
        return result.Intact ? 0 : BreakFound;
    }

    /// <summary>The offline verification of the store at <paramref name="dataPath"/> (its directory locked by the caller).</summary>
    internal static AuditVerification Verify(NodeConfig config, string dataPath, CancellationToken ct)
    {
        using var credentials = new NodeCredentials(PkiFiles.Load(config.Options.PkiDirectory), config.Options.PkiDirectory);
        var evidence = new StoredEvidence(new EnvelopeVerifier(new TrustChain()), credentials, Partners.Load(config), TimeProvider.System);
        using var store = NodeStore.Open(dataPath, TimeProvider.System);
        var chain = store.VerifyAuditChain();
        var problems = new List<AuditProblem>();
        var named = new HashSet<string>(StringComparer.Ordinal);
        var check = new StoreCheck(store, evidence, new StoreIntegrity(), Options.Create(new OperationsOptions()), NullLogger<StoreCheck>.Instance);
        var done = check.Run(d =>
        {
            // Unverifiable records (e.g. signed under a root no longer configured) are not breaks of the evidence.
            if (!d.Unverifiable && named.Add(d.Record))
                problems.Add(new AuditProblem(d.Record, d.Problem));
        }, _ => { }, ct);
        problems.AddRange(AuditCoverage.Check(store, ct).Problems);
        return new AuditVerification(chain, new EnvelopeCheck(done.Messages, done.Certificates), problems);
    }

    private static void WriteText(AuditVerification result)
    {
        Console.Out.WriteLine($"Audit chain: {result.Chain.EntriesChecked} entries checked, "
            + (result.Chain.IsIntact ? "intact." : $"BROKEN at entry {result.Chain.BrokenEntryId} ({result.Chain.Fault}): {result.Chain.Detail}"));
        Console.Out.WriteLine($"Envelopes: {result.Envelopes.Messages} messages (envelope and receipt) and {result.Envelopes.Certificates} certificates re-verified.");
        if (result.Intact)
        {
            Console.Out.WriteLine("Every entry links and every envelope verifies.");
            return;
        }

        Console.Out.WriteLine($"{result.Problems.Count} problem(s), first break first:");
        foreach (var p in result.Problems)
        {
            Console.Out.WriteLine($"  {p.Record}: {p.Problem}");
        }

        Console.Out.WriteLine("What to do: keep this store as evidence, and restore from a backup that verifies ('kpnode store check' names every damaged record).");
    }

    private static void WriteJson(AuditVerification result)
    {
        using var stream = Console.OpenStandardOutput();
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteBoolean("intact", result.Intact);
        writer.WriteStartObject("chain");
        writer.WriteBoolean("intact", result.Chain.IsIntact);
        writer.WriteNumber("entriesChecked", result.Chain.EntriesChecked);
        if (result.Chain.BrokenEntryId is { } broken)
            writer.WriteNumber("brokenEntryId", broken);
        if (result.Chain.Fault is { } fault)
            writer.WriteString("fault", fault.ToString());
        if (result.Chain.Detail is { } detail)
            writer.WriteString("detail", detail);
        writer.WriteEndObject();
        writer.WriteStartObject("envelopes");
        writer.WriteNumber("messagesChecked", result.Envelopes.Messages);
        writer.WriteNumber("certificatesChecked", result.Envelopes.Certificates);
        writer.WriteEndObject();
        if (result.FirstBreak is { } first)
            writer.WriteString("firstBreak", $"{first.Record}: {first.Problem}");
        writer.WriteStartArray("problems");
        foreach (var p in result.Problems)
        {
            writer.WriteStartObject();
            writer.WriteString("record", p.Record);
            writer.WriteString("problem", p.Problem);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        stream.WriteByte((byte)'\n');
    }
}
