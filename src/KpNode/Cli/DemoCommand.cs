using System.CommandLine;
using System.Diagnostics;
using Grpc.Core;
using KpNode.Trust;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>
/// <c>kpnode demo</c>: three participants' nodes on loopback exchange signed certificates over mutual TLS,
/// one goes down to show store-and-forward, and every step is printed as it happens.
/// </summary>
internal static partial class DemoCommand
{
    private static readonly (string Code, string Authority)[] Participants =
    [
        ("ZA", "South African Diamond and Precious Metals Regulator"),
        ("BE", "FPS Economy, Diamond Office Antwerp (EU Union authority)"),
        ("AE", "UAE Kimberley Process Office, Dubai Multi Commodities Centre"),
        ("EU", "European Commission, for the Union authorities"),
    ];

    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var keepRunning = new Option<bool>("--keep-running") { Description = "Leave the network up afterwards and show how to use the CLI against it (implies --keep)" };
        var keep = new Option<bool>("--keep") { Description = "Keep the demo's temporary PKI, configs and stores (removed on exit otherwise)" };
        var command = new Command("demo", "Run a demo network of four nodes (ZA, BE, AE, and the EU with two offices) on loopback with a fresh development PKI") { keepRunning, keep };
        command.SetAction((parse, ct) => KpNodeCli.Guard(async () =>
        {
            try
            {
                return await RunAsync(parse.GetValue(keepRunning), parse.GetValue(keep) || parse.GetValue(keepRunning), ct);
            }
            catch (TimeoutException e)
            {
                // A step that never completed is said in words, not as a stack trace.
                return KpNodeCli.Fail($"The demo stopped: {e.Message}. KPNODE_DEMO_LOGS=1 shows the nodes' logs.");
            }
        }));
        return command;
    }

    // "  12.34s  " in front of each step: its continuation lines start under the step's text.
    private const int StepIndent = 10;

    private static async Task<int> RunAsync(bool keepRunning, bool keep, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        void Step(string markup) => Say($"[grey]{clock.Elapsed.TotalSeconds,7:F2}s[/]  {markup}", StepIndent);

        Heading("[bold]KpNode demo[/]: Kimberley Process certificates exchanged node to node");
        Say("Four participants each run their own node. Certificates travel as signed envelopes over mutual TLS; "
            + "every delivery is answered by the importer's signed receipt. No central server.");
        Output.Line("");

        await using var network = DemoNetwork.Create(Participants, offices: Offices);
        network.Keep = keep;
        Step($"Created a development PKI (root CA, node TLS, document-signing and operator certificates) for ZA, BE, AE and the EU (with a signing key per office) in [link]{Markup.Escape(network.Root)}[/]");
        foreach (var node in network.Nodes)
        {
            await node.StartAsync();
            Step($"Started node [bold]{node.Code}[/]: Peer API {node.Host!.PeerAddress}, Local API {node.Host.LocalAddress}");
        }

        var shipments = new List<Shipment>();
        Heading("[bold]1. Certificates issued and delivered[/]");
        foreach (var (from, to) in new[] { ("ZA", "BE"), ("BE", "AE"), ("AE", "ZA") })
        {
            shipments.Add(await IssueAsync(network, from, to, Step, ct));
        }

        foreach (var s in shipments)
        {
            await AwaitDeliveryAsync(network, s, Step, ct);
        }

        Heading("[bold]2. A draft that breaks KPCS rules is refused[/]");
        var bad = DemoDrafts.Draft("ZA", "BE");
        bad.CaratsHundredths += 3600;
        bad.HsLines[0].HsCode = "7104.10";
        try
        {
            await network["ZA"].Client.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = bad }, cancellationToken: ct);
            Step("[red]ZA's node accepted an invalid draft[/]");
            return 1;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
        {
            Step("ZA's node refused the draft; nothing was stored or sent:");
            foreach (var line in e.Status.Detail.Split('\n'))
            {
                // A listed rule's continuation lines up under its text, after the "- ".
                var body = line.TrimStart(' ');
                Say(new string(' ', StepIndent) + Markup.Escape(line), StepIndent + line.Length - body.Length + (body.StartsWith("- ", StringComparison.Ordinal) ? 2 : 0));
            }
        }

        Heading("[bold]3. Store and forward: AE's node goes down[/]");
        await network["AE"].StopAsync();
        Step("Stopped AE's node.");
        var delayed = new List<Shipment>
        {
            await IssueAsync(network, "ZA", "AE", Step, ct),
            await IssueAsync(network, "BE", "AE", Step, ct),
        };
        foreach (var s in delayed)
        {
            var record = await WaitForAsync(network[s.From], s.Number, r => r.Attempts > 0, ct);
            Step($"{s.Number} waits in {s.From}'s outbox: attempt {record.Attempts} failed ([orange3]{Markup.Escape(record.LastError)}[/]); retrying with backoff");
        }

        await network["AE"].StartAsync();
        Step("Restarted AE's node on its own data.");
        foreach (var s in delayed)
        {
            await AwaitDeliveryAsync(network, s, Step, ct);
        }

        shipments.AddRange(delayed);

        Heading("[bold]4. Import confirmations, a discrepancy, a void and its replacement[/]");
        await ConfirmAsync(network, shipments[0], ImportOutcome.Confirmed, Step, ct);
        await ConfirmAsync(network, shipments[1], ImportOutcome.Discrepancy, Step, ct);
        var voided = await IssueAsync(network, "ZA", "BE", Step, ct);
        await AwaitDeliveryAsync(network, voided, Step, ct);
        await network["ZA"].Client.Api.VoidCertificateAsync(
            new VoidCertificateRequest { CertificateNumber = voided.Number, Reason = "shipment not sent: the seal was found broken" }, cancellationToken: ct);
        Step($"ZA voided {voided.Number} (shipment not sent: the seal was found broken)");
        await WaitForAsync(network["BE"], voided.Number, r => r.Status == CertificateStatus.Voided, ct);
        Step($"BE verified ZA's signed void: {voided.Number} is {Output.StatusMarkup(CertificateStatus.Voided)} on both sides");
        var replacementDraft = DemoDrafts.Draft("ZA", "BE");
        replacementDraft.Replaces = voided.Number;
        var replacement = await IssueAsync(network, "ZA", "BE", Step, ct, replacementDraft);
        await AwaitDeliveryAsync(network, replacement, Step, ct);
        Step($"{replacement.Number} replaces {voided.Number}; both records link to each other");
        shipments[0] = shipments[0] with { Exporter = CertificateStatus.Confirmed, Importer = CertificateStatus.Confirmed };
        shipments[1] = shipments[1] with { Exporter = CertificateStatus.Discrepancy, Importer = CertificateStatus.Discrepancy };
        shipments.Add(voided with { Exporter = CertificateStatus.Voided, Importer = CertificateStatus.Voided });
        shipments.Add(replacement);

        Heading("[bold]5. A new signing key for ZA, the root key offline, no restart[/]");
        var retired = await RotateSigningKeyAsync(network, Step, ct);
        if (retired is null)
            return 1;
        shipments.Add(retired.Value.Shipment);

        Heading("[bold]6. ZA revokes its old signing key; every partner is told[/]");
        if (!await RevokeAsync(network, retired.Value.OldSerial, Step, ct))
            return 1;

        Heading("[bold]7. The EU: one participant, an issuing office per Union authority[/]");
        if (await OfficeAsync(network, Step, ct) is not { } office)
            return 1;
        shipments.Add(office);

        Heading("[bold]8. A printed certificate, its QR code checked offline[/]");
        var printed = await PrintCommands.DemoStepAsync(network["ZA"].Client, shipments[0].Number,
            Path.Combine(network["ZA"].Config.Options.PkiDirectory, PkiFiles.RootCertificate), network.Root, Step, ct);

        var ok = await SummaryAsync(network, shipments, ct) && printed;
        if (keepRunning)
        {
            KeepRunningHelp(network);
            await WaitForCtrlCAsync(ct);
        }

        return ok ? 0 : 1;
    }

    /// <summary>A certificate of the demo and the states it should end in at each side.</summary>
    private sealed record Shipment(string From, string To, string Number)
    {
        public CertificateStatus Exporter { get; init; } = CertificateStatus.Delivered;

        public CertificateStatus Importer { get; init; } = CertificateStatus.Received;
    }

    private static async Task<Shipment> IssueAsync(DemoNetwork network, string from, string to, Action<string> step, CancellationToken ct,
        Certificate? draft = null)
    {
        var response = await network[from].Client.Api.IssueCertificateAsync(
            new IssueCertificateRequest { Draft = draft ?? DemoDrafts.Draft(from, to) }, cancellationToken: ct);
        var c = response.Record.Certificate;
        step($"[bold]{from}[/] issued [bold]{Markup.Escape(c.Number)}[/] to {to}: {c.Parcels} parcel{(c.Parcels == 1 ? "" : "s")}, {Output.Carats(c.CaratsHundredths)}, {Output.Dollars(c.ValueUsdCents)}; signed by {from}'s document-signing key");
        return new Shipment(from, to, c.Number);
    }

    private static async Task ConfirmAsync(DemoNetwork network, Shipment s, ImportOutcome outcome, Action<string> step, CancellationToken ct)
    {
        var held = await WaitForAsync(network[s.To], s.Number, _ => true, ct);
        var c = held.Certificate;
        var short100 = outcome == ImportOutcome.Discrepancy ? 1_250 : 0;
        await network[s.To].Client.Api.ConfirmImportAsync(new ConfirmImportRequest
        {
            CertificateNumber = s.Number,
            Outcome = outcome,
            ParcelsReceived = c.Parcels,
            CaratsReceivedHundredths = c.CaratsHundredths - short100,
            DateOfReceipt = Domain.KpDate.Text(DateTime.UtcNow),
            Remarks = outcome == ImportOutcome.Discrepancy ? "one parcel underweight at the import check" : "",
        }, cancellationToken: ct);
        step(outcome == ImportOutcome.Confirmed
            ? $"{s.To} confirmed the import of {Markup.Escape(s.Number)}: figures match the certificate"
            : $"{s.To} confirmed {Markup.Escape(s.Number)} [orange3]with a discrepancy[/]: {Output.Carats(c.CaratsHundredths - short100)} received, {Output.Carats(c.CaratsHundredths)} certified");
        var status = outcome == ImportOutcome.Confirmed ? CertificateStatus.Confirmed : CertificateStatus.Discrepancy;
        var atExporter = await WaitForAsync(network[s.From], s.Number, r => r.Status == status, ct);
        step($"{s.From} verified {s.To}'s signed import confirmation: {Output.StatusMarkup(atExporter.Status)}"
            + (atExporter.StatusReason.Length > 0 ? $" ({Markup.Escape(atExporter.StatusReason)})" : ""));
    }

    /// <summary>"AE, BE and EU".</summary>
    private static string Listed(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count <= 1 ? string.Concat(list) : string.Join(", ", list[..^1]) + " and " + list[^1];
    }

    private static string Serial(string serial) => serial.Length > 12 ? serial[..12] + "…" : serial;

    private static async Task AwaitDeliveryAsync(DemoNetwork network, Shipment s, Action<string> step, CancellationToken ct)
    {
        await WaitForAsync(network[s.From], s.Number, r => r.Status != CertificateStatus.Issued, ct);
        var atImporter = await WaitForAsync(network[s.To], s.Number, _ => true, ct);
        step($"{s.To} verified {Markup.Escape(s.Number)} against {s.From}'s root and stored it: {Output.StatusMarkup(atImporter.Status)}");
        var atExporter = await WaitForAsync(network[s.From], s.Number, _ => true, ct);
        step($"{s.From} verified {s.To}'s signed receipt for {Markup.Escape(s.Number)}: {Output.StatusMarkup(atExporter.Status)}");
    }

    private static async Task<CertificateRecord> WaitForAsync(DemoNode node, string number, Func<CertificateRecord, bool> done, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StepTimeout;
        while (true)
        {
            try
            {
                var record = (await node.Client.Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = number }, cancellationToken: ct)).Record;
                if (done(record))
                {
                    return record;
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // Not there yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{number} did not reach the expected state at {node.Code} within {StepTimeout.TotalSeconds:F0} s");
            }

            await Task.Delay(50, ct);
        }
    }

    private static async Task<bool> SummaryAsync(DemoNetwork network, List<Shipment> shipments, CancellationToken ct)
    {
        Heading("[bold]Summary[/]");
        var verifier = new EnvelopeVerifier(new TrustChain());
        var table = new Table().Column("Certificate").Column("Route").Column("At exporter").Column("At importer")
            .Column("Receipt checked offline", priority: 1, freeText: true);
        var ok = true;
        foreach (var s in shipments)
        {
            var exporter = (await network[s.From].Client.Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = s.Number }, cancellationToken: ct)).Record;
            var importer = (await network[s.To].Client.Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = s.Number }, cancellationToken: ct)).Record;
            var importerRoot = PkiFiles.LoadRoot(Path.Combine(network.Root, "pki", s.To.ToLowerInvariant(), "root.crt"));
            Cell receipt;
            try
            {
                var verified = verifier.Verify(Envelope.Parser.ParseFrom(exporter.ReceiptEnvelope), [importerRoot], DateTimeOffset.UtcNow);
                var body = Receipt.Parser.ParseFrom(verified.Payload.Span);
                receipt = new Cell($"signed by {verified.SignerParticipant}, {body.Outcome}", "green");
            }
            catch (Exception e) when (e is EnvelopeVerificationException or Google.Protobuf.InvalidProtocolBufferException)
            {
                receipt = new Cell(e.Message, "red");
                ok = false;
            }

            ok &= exporter.Status == s.Exporter && importer.Status == s.Importer;
            table.Row(s.Number, $"{s.From} → {s.To}", Output.Status(exporter.Status), Output.Status(importer.Status), receipt);
        }

        table.Write();
        Say(ok
            ? $"[green]All {shipments.Count} certificates reached their importers and the expected state on both sides, each delivery proven by a signed receipt.[/]"
            : "[red]Some certificates did not reach the expected state.[/]");
        return ok;
    }

    private static void KeepRunningHelp(DemoNetwork network)
    {
        Heading("[bold]The network stays up[/]");
        var za = Path.Combine(network.Root, "za.json");
        Say($"Try the CLI against it (Ctrl+C stops the network; its files stay in {Markup.Escape(network.Root)}):");
        Output.Line($"  kpnode cert list   --config {Markup.Escape(za)}");
        Output.Line($"  kpnode cert show   --config {Markup.Escape(za)} {Markup.Escape("ZA-" + DateTime.UtcNow.Year + "-000001")}");
        Output.Line($"  kpnode cert issue  --config {Markup.Escape(za)} --file node-config/examples/za-to-be.json");
        Output.Line($"  kpnode status      --config {Markup.Escape(za)}");
        Output.Line($"  kpnode cert print  --config {Markup.Escape(za)} {Markup.Escape("ZA-" + DateTime.UtcNow.Year + "-000001")} --out ZA-{DateTime.UtcNow.Year}-000001.pdf");
        Output.Line("[grey](with 'dotnet run --project src/KpNode --' in place of 'kpnode')[/]");
    }

    /// <summary>Prose wrapped on words at the terminal's width, or at 80 columns when piped.</summary>
    private static void Say(string markup, int indent = 0) => Output.Line(Output.Wrap(markup, Output.TerminalWidth ?? 80, indent));

    private static void Heading(string markup)
    {
        var width = Math.Min(Markup.Remove(markup).Length, Output.TerminalWidth ?? 80);
        Output.Line("");
        Say(markup);
        Output.Line(new string(Output.TerminalWidth is null ? '=' : '─', width));
    }

    private static async Task WaitForCtrlCAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the network shuts down.
        }
    }
}
