using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Grpc.Core;
using KpNode.Cli;
using KpNode.Configuration;
using KpNode.Outbox;
using KpNode.Tests.Cli;
using KpNode.Trust;
using KpNode.Wire.V1;
using Microsoft.Extensions.DependencyInjection;
using MessageDirection = KpNode.Domain.MessageDirection;
using MessageStatus = KpNode.Domain.MessageStatus;
using PartnerMessage = KpNode.Domain.PartnerMessage;

namespace KpNode.Tests.Exchange;

/// <summary>
/// A partner onboarded while the node runs (issue 15, part 5): `partner add` through the real CLI makes the running
/// node exchange with the new partner at once, while deliveries to the other partners go on untouched; a config the
/// node would not start with is refused and changes nothing.
/// </summary>
public sealed class PartnerReloadTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("kpnode-partner-reload-");

    public void Dispose() => _temp.Delete(recursive: true);

    internal static async Task<KpNodeProcess.Result> Kpnode(params string[] args)
    {
        var result = await KpNodeProcess.RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kpnode {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        return result;
    }

    /// <summary><paramref name="code"/>'s config rewritten without its entries for <paramref name="others"/>, and the node restarted on it.</summary>
    internal static async Task WithoutPartnersAsync(TestNetwork net, string code, params string[] others)
    {
        await net[code].StopAsync();
        var path = net[code].Config.FilePath;
        var json = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        var partners = json["Node"]!["Partners"]!.AsArray();
        foreach (var entry in partners.Where(p => others.Contains(p!["Participant"]!.GetValue<string>())).ToList())
            partners.Remove(entry);
        await File.WriteAllTextAsync(path, json.ToJsonString());
        net[code].Config = NodeConfig.Load(path);
        await net[code].StartAsync();
    }

    /// <summary>Gives <paramref name="from"/>'s card to <paramref name="to"/> as people do: card, fingerprint over the phone, `partner add`.</summary>
    private Task<KpNodeProcess.Result> AddCardAsync(TestNetwork net, string from, string to) => AddCardAsync(net, _temp.FullName, from, to);

    /// <summary>The same, the card written in <paramref name="dir"/>.</summary>
    internal static async Task<KpNodeProcess.Result> AddCardAsync(TestNetwork net, string dir, string from, string to)
    {
        var card = Path.Combine(dir, $"{from.ToLowerInvariant()}.card");
        await Kpnode("partner", "card", "--root-key", Path.Combine(net.PkiDir(from), "root.key"), "--config", net[from].Config.FilePath, "--out", card);
        var fingerprint = JsonNode.Parse((await Kpnode("pki", "fingerprint", "--pki", net.PkiDir(from), "--json")).Stdout)!["sha256"]!.GetValue<string>();
        return await Kpnode("partner", "add", card, "--fingerprint", fingerprint, "--config", net[to].Config.FilePath);
    }

    private static readonly Party Namibian = new() { Name = "Namib Coast Diamonds (Pty) Ltd", Address = "7 Bay Road, Lüderitz", Country = "NA" };

    /// <summary>Issues a certificate between ZA and NA (the demo's drafts know ZA, BE and AE only) and waits for its delivery.</summary>
    private static async Task<string> DeliverWithNamibiaAsync(TestNetwork net, string from, string to)
    {
        var draft = DemoDrafts.Draft(from == "NA" ? "BE" : from, to == "NA" ? "BE" : to);
        draft.ImportingParticipant = to;
        if (from == "NA")
        {
            draft.Exporter = Namibian.Clone();
            draft.ProvenanceCountry = "NA";
        }
        else
        {
            draft.Importer = Namibian.Clone();
        }

        var number = (await net[from].Client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = draft })).Record.Certificate.Number;
        await net.WaitForAsync(from, number, r => r.Status == CertificateStatus.Delivered);
        await net.WaitForAsync(to, number, r => r.Status == CertificateStatus.Received);
        return number;
    }

    internal static List<PartnerMessage> OutboundTo(TestNetwork net, string code, string partner)
    {
        var store = net.Store(code);
        return [.. store.MessageIdsAfter(null, 100_000).Select(store.FindMessage)
            .Where(m => m is { Direction: MessageDirection.Outbound } && m.Partner == partner).Select(m => m!)];
    }

    [Fact]
    public async Task A_partner_added_while_the_node_runs_is_delivered_to_without_a_restart_and_deliveries_to_others_in_flight_are_not_disturbed()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE", "AE", "NA");
        // NA is a participant ZA has not onboarded yet: neither node lists the other.
        await WithoutPartnersAsync(net, "ZA", "NA");
        await WithoutPartnersAsync(net, "NA", "ZA");
        Assert.Null(net.Lane("ZA", "NA"));
        await net.DeliverAsync("ZA", "AE");
        await net.DeliverAsync("ZA", "BE");
        var beLane = net.Lane("ZA", "BE");
        var aeLane = net.Lane("ZA", "AE");
        var beSuccessBefore = beLane.LastSuccessAt;

        // Certificates to BE keep flowing while ZA takes NA's card (and reloads) and NA takes ZA's.
        using var reloaded = new CancellationTokenSource();
        var toBe = new ConcurrentQueue<string>();
        var flowing = Task.Run(async () =>
        {
            var afterReload = 0;
            while (afterReload < 5)
            {
                toBe.Enqueue((await net.IssueAsync("ZA", "BE")).Certificate.Number);
                if (reloaded.IsCancellationRequested)
                    afterReload++;
                await Task.Delay(20);
            }
        });
        while (toBe.Count < 3)
            await Task.Delay(20);

        var added = await AddCardAsync(net, "NA", "ZA");
        await reloaded.CancelAsync();
        Assert.Contains("Added partner NA", added.Stdout);
        Assert.Contains("The running node took it", added.Stdout);
        Assert.DoesNotContain("restart it", added.Stdout);
        Assert.Contains("The running node took it", (await AddCardAsync(net, "ZA", "NA")).Stdout);
        await flowing;

        // ZA delivers to NA, and NA to ZA, with no restart of either.
        var toNa = await DeliverWithNamibiaAsync(net, "ZA", "NA");
        Assert.Equal(CertificateStatus.Received, (await net.FindAsync("NA", toNa))!.Status);
        await DeliverWithNamibiaAsync(net, "NA", "ZA");

        // Every delivery to BE during the reload went at its first attempt, on the lane BE had before, whose state was kept.
        foreach (var number in toBe)
        {
            await net.WaitForAsync("ZA", number, r => r.Status == CertificateStatus.Delivered);
            await net.WaitForAsync("BE", number, r => r.Status == CertificateStatus.Received);
        }

        var messages = OutboundTo(net, "ZA", "BE");
        Assert.True(messages.Count >= toBe.Count + 1, $"{messages.Count} messages to BE");
        Assert.All(messages, m => Assert.True(m.Attempts == 0 && m.Status == MessageStatus.Delivered,
            $"message {m.Id} ({m.CertificateNumber}) to BE: {m.Status}, {m.Attempts} failed attempt(s), {m.LastError}"));
        Assert.Same(beLane, net.Lane("ZA", "BE"));
        Assert.Same(aeLane, net.Lane("ZA", "AE"));
        Assert.Null(beLane.LastFailureSeen);
        Assert.Null(beLane.LinkDownSince);
        Assert.Equal(Polly.CircuitBreaker.CircuitState.Closed, beLane.CircuitState);
        Assert.True(beLane.LastSuccessAt > beSuccessBefore);
        await net.DeliverAsync("ZA", "AE");

        // The reload is in ZA's audit log and status; asking again changes nothing.
        var audit = net.Store("ZA").ReadAudit(0, 10_000).Where(a => a.Action == "partners.reloaded").ToList();
        var entry = Assert.Single(audit);
        Assert.Contains("NA added", entry.Detail);
        Assert.Contains("BE unchanged", entry.Detail);
        var status = await net["ZA"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest());
        Assert.Contains(status.Partners, p => p.Participant == "NA");
        var again = JsonNode.Parse((await Kpnode("partner", "reload", "--config", net["ZA"].Config.FilePath, "--json")).Stdout)!["partners"]!.AsArray();
        Assert.Equal(["AE", "BE", "NA"], again.Select(p => p!["participant"]!.GetValue<string>()));
        Assert.All(again, p => Assert.Equal("PARTNER_RELOAD_CHANGE_UNCHANGED", p!["change"]!.GetValue<string>()));
        Assert.Single(net.Store("ZA").ReadAudit(0, 10_000), a => a.Action == "partners.reloaded");

        // The partner added live was greeted with the pre-flight hello, as partners are at start; partner list says so.
        await net["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1733 && r.Message.Contains("with NA", StringComparison.Ordinal));
        var listed = JsonNode.Parse((await Kpnode("partner", "list", "--config", net["ZA"].Config.FilePath, "--json")).Stdout)!["partners"]!.AsArray();
        Assert.StartsWith("agrees (", listed.Single(p => p!["participant"]!.GetValue<string>() == "NA")!["handshake"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_reload_the_node_would_not_start_with_is_refused_naming_the_key_and_the_node_keeps_its_partners()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE", "AE");
        var path = net["ZA"].Config.FilePath;
        var original = await File.ReadAllTextAsync(path);
        var json = JsonNode.Parse(original)!;
        var partners = json["Node"]!["Partners"]!.AsArray();
        var beIndex = partners.Select(p => p!["Participant"]!.GetValue<string>()).ToList().IndexOf("BE");
        var broken = Path.Combine(_temp.FullName, "broken-root.crt");
        await File.WriteAllTextAsync(broken, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        partners[beIndex]!["RootCertificate"] = broken;
        partners[beIndex]!["Address"] = "https://localhost:1";
        await File.WriteAllTextAsync(path, json.ToJsonString());

        var refused = await Assert.ThrowsAsync<RpcException>(() => net["ZA"].Client.Operations.ReloadPartnersAsync(new ReloadPartnersRequest()).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains($"Node:Partners:{beIndex}:RootCertificate", refused.Status.Detail);
        Assert.Contains("keeps the partners it has", refused.Status.Detail);
        var cli = await KpNodeProcess.RunAsync("partner", "reload", "--config", path);
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains($"Node:Partners:{beIndex}:RootCertificate", cli.Stderr);
        // Still BE's old address and root.
        await net.DeliverAsync("ZA", "BE");

        // A partner removed while messages are pending to it: refused, saying so. BE is stopped, so ZA's certificate waits.
        await net["BE"].StopAsync();
        var waiting = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        json = JsonNode.Parse(original)!;
        partners = json["Node"]!["Partners"]!.AsArray();
        partners.RemoveAt(beIndex);
        await File.WriteAllTextAsync(path, json.ToJsonString());
        var pending = await Assert.ThrowsAsync<RpcException>(() => net["ZA"].Client.Operations.ReloadPartnersAsync(new ReloadPartnersRequest()).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, pending.StatusCode);
        Assert.Contains("BE is no longer listed, but 1 message(s) are still pending to it", pending.Status.Detail);
        Assert.NotNull(net.Lane("ZA", "BE"));
        await net["BE"].StartAsync();
        await net.WaitForAsync("ZA", waiting, r => r.Status == CertificateStatus.Delivered);

        // With nothing pending, the removal goes through: BE's lane is gone, AE's untouched.
        var aeLane = net.Lane("ZA", "AE");
        var removed = await net["ZA"].Client.Operations.ReloadPartnersAsync(new ReloadPartnersRequest());
        Assert.Equal(PartnerReloadChange.Removed, removed.Partners.Single(p => p.Participant == "BE").Change);
        Assert.Equal(PartnerReloadChange.Unchanged, removed.Partners.Single(p => p.Participant == "AE").Change);
        Assert.Null(((OutboxDispatcher)net["ZA"].Host!.Services.GetService(typeof(OutboxDispatcher))!).Lane("BE"));
        Assert.Same(aeLane, net.Lane("ZA", "AE"));
        await net.DeliverAsync("ZA", "AE");
        var notPartner = await Assert.ThrowsAsync<RpcException>(() => net.IssueAsync("ZA", "BE"));
        Assert.Contains("not a configured trading partner", notPartner.Status.Detail);
    }

    [Fact]
    public async Task A_partner_whose_address_changed_is_dialled_at_the_new_address_by_the_lane_it_had()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net.DeliverAsync("ZA", "BE");
        var lane = net.Lane("ZA", "BE");
        var path = net["ZA"].Config.FilePath;
        var json = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        var entry = json["Node"]!["Partners"]!.AsArray().Single(p => p!["Participant"]!.GetValue<string>() == "BE")!;
        var right = entry["Address"]!.GetValue<string>();
        async Task<ReloadedPartner> MoveAsync(string address)
        {
            entry["Address"] = address;
            await File.WriteAllTextAsync(path, json.ToJsonString());
            var moved = JsonNode.Parse((await Kpnode("partner", "reload", "--config", path, "--json")).Stdout)!["partners"]!.AsArray().Single()!;
            return ReloadedPartner.Parser.ParseJson(moved.ToJsonString());
        }

        // Nowhere: the lane's next delivery goes to the new address, and finds nothing there.
        var nowhere = await MoveAsync("https://127.0.0.1:1");
        Assert.Equal(PartnerReloadChange.Changed, nowhere.Change);
        Assert.Equal($"address {right} -> https://127.0.0.1:1", Assert.Single(nowhere.Differences));
        var waiting = (await net.IssueAsync("ZA", "BE")).Certificate.Number;
        await Eventually.WaitAsync(() => lane.LinkDownSince is not null, TimeSpan.FromSeconds(30), "ZA finding BE's new address unreachable");
        Assert.Equal("https://127.0.0.1:1", (await net["ZA"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest())).Partners.Single().Address);

        // Back to BE's node, spelled another way (its certificate names 127.0.0.1 too): the same lane delivers what waited.
        var back = await MoveAsync(right.Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        Assert.Equal(PartnerReloadChange.Changed, back.Change);
        await net.WaitForAsync("ZA", waiting, r => r.Status == CertificateStatus.Delivered);
        await net.DeliverAsync("ZA", "BE");
        Assert.Same(lane, net.Lane("ZA", "BE"));

        // A root rollover's overlap: BE's root file holds its new root as well; both are trusted, the old one still works.
        using var newPki = DevPki.Create("BE", [], DateTimeOffset.UtcNow);
        using var oldRoot = net.RootOf("BE");
        var roots = Path.Combine(_temp.FullName, "be-roots.crt");
        await File.WriteAllTextAsync(roots, oldRoot.ExportCertificatePem() + "\n" + newPki.Root.ExportCertificatePem() + "\n");
        entry["RootCertificate"] = roots;
        var rolled = await MoveAsync(entry["Address"]!.GetValue<string>());
        Assert.Equal(PartnerReloadChange.Changed, rolled.Change);
        Assert.Equal([RootFingerprint.Of(oldRoot), RootFingerprint.Of(newPki.Root)], rolled.RootFingerprints);
        Assert.Equal(2, net["ZA"].Host!.Services.GetRequiredService<Partners>().Find("BE")!.Anchors.Count);
        await net.DeliverAsync("ZA", "BE");
        Assert.Same(lane, net.Lane("ZA", "BE"));
        Assert.Equal(3, net.Store("ZA").ReadAudit(0, 10_000).Count(a => a.Action == "partners.reloaded"));
    }

    [Fact]
    public async Task A_running_node_takes_a_partners_newer_card_with_a_new_endpoint_at_once_and_keeps_delivering_on_the_lane_it_had()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net.DeliverAsync("ZA", "BE");
        var lane = net.Lane("ZA", "BE");
        var partners = net["ZA"].Host!.Services.GetRequiredService<Partners>();
        var before = partners.Find("BE")!.Address.OriginalString;
        // BE's Peer API named another way its TLS certificate also covers: a new endpoint that still reaches BE's node.
        var moved = before.Replace("localhost", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
        Assert.NotEqual(before.TrimEnd('/'), moved);

        // BE writes its newer card, signed by the root ZA already trusts; ZA takes it through the real CLI, no phone call.
        var card = Path.Combine(_temp.FullName, "be-moved.card");
        await Kpnode("partner", "card", "--root-key", Path.Combine(net.PkiDir("BE"), "root.key"), "--config", net["BE"].Config.FilePath,
            "--endpoint", moved, "--out", card);
        var updated = JsonNode.Parse((await Kpnode("partner", "update", card, "--config", net["ZA"].Config.FilePath, "--json")).Stdout)!;
        Assert.Equal("now", updated["takesEffect"]!.GetValue<string>());
        Assert.Equal("changed", updated["nodeChange"]!.GetValue<string>());

        // The running node dials the new endpoint, on the lane (and its state) it had, and BE's receipts keep coming.
        Assert.Equal(moved, partners.Find("BE")!.Address.OriginalString.TrimEnd('/'));
        var status = await net["ZA"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest());
        Assert.Equal(moved, status.Partners.Single().Address.TrimEnd('/'));
        for (var i = 0; i < 3; i++)
            await net.DeliverAsync("ZA", "BE");
        Assert.Same(lane, net.Lane("ZA", "BE"));
        Assert.Contains(net.Store("ZA").ReadAudit(0, 10_000), a => a.Action == "partners.reloaded" && a.Detail.Contains($"-> {moved}", StringComparison.Ordinal));
    }
}
