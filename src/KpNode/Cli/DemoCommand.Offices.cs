using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using KpNode.Configuration;
using KpNode.Trust;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>The demo's EU step: one participant with several issuing offices, each signing with its own key under the EU's root.</summary>
internal static partial class DemoCommand
{
    private const string IssuingOffice = "DE-IDAR-OBERSTEIN";

    /// <summary>The EU's two offices in the demo: each numbers with its member state's code and signs with its own key.</summary>
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<OfficeOptions>> Offices = new Dictionary<string, IReadOnlyList<OfficeOptions>>
    {
        ["EU"] =
        [
            new() { Code = IssuingOffice, ExportingAuthority = "Hauptzollamt Koblenz, Zollamt Idar-Oberstein (EU Union authority)", NumberPrefix = "DE" },
            new() { Code = "CZ-PRAGUE", ExportingAuthority = "Generální ředitelství cel, Prague (EU Union authority)", NumberPrefix = "CZ" },
        ],
    };

    /// <summary>
    /// An office's operator issues for their office only; ZA verifies that an office of the EU signed, shows the office and
    /// confirms the import. Null (a red line said why) when a claim does not hold on the node that would know.
    /// </summary>
    private static async Task<Shipment?> OfficeAsync(DemoNetwork network, Action<string> step, CancellationToken ct)
    {
        var officerDir = network.OfficeOperator("EU", IssuingOffice, "k.weber", "K. Weber");
        using var officer = network["EU"].ClientAs(officerDir);
        step($"The EU runs one node for its Union authorities ({string.Join(", ", Offices["EU"].Select(o => o.Code))}). "
             + $"K. Weber's operator certificate names the office {IssuingOffice}.");
        var wrongOffice = DemoDrafts.Draft("EU", "ZA");
        wrongOffice.IssuingOffice = "CZ-PRAGUE";
        try
        {
            await officer.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = wrongOffice }, cancellationToken: ct);
            step("[red]EU's node let an operator of one office issue for another[/]");
            return null;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument && e.Status.Detail.Contains("issuingOffice", StringComparison.Ordinal))
        {
            step($"K. Weber cannot issue for CZ-PRAGUE: [orange3]{Markup.Escape(e.Status.Detail.Split('\n').First(l => l.Contains("issuingOffice", StringComparison.Ordinal)).Trim(' ', '-'))}[/]");
        }

        var issued = (await officer.Api.IssueCertificateAsync(new IssueCertificateRequest { Draft = DemoDrafts.Draft("EU", "ZA") }, cancellationToken: ct)).Record.Certificate;
        step($"[bold]EU[/] office {IssuingOffice} issued [bold]{Markup.Escape(issued.Number)}[/] to ZA in the name of {Markup.Escape(issued.ExportingAuthority)}, "
             + "signed with the office's own key");
        var shipment = new Shipment("EU", "ZA", issued.Number);
        await AwaitDeliveryAsync(network, shipment, step, ct);
        var atZa = await WaitForAsync(network["ZA"], issued.Number, _ => true, ct);
        using var signer = X509CertificateLoader.LoadCertificate(Envelope.Parser.ParseFrom(atZa.CertificateEnvelope).Signatures[0].X5C[0].Span);
        if (atZa.Certificate.IssuingOffice != IssuingOffice || ParticipantIdentity.OfficeFromCertificate(signer) != IssuingOffice)
        {
            step($"[red]ZA holds {Markup.Escape(issued.Number)} as issued by office '{Markup.Escape(atZa.Certificate.IssuingOffice)}', signed by '{Markup.Escape(signer.Subject)}'[/]");
            return null;
        }

        step($"ZA checked that the signer is an office of the EU (its certificate names {ParticipantIdentity.OfficeUri(IssuingOffice)} under the EU's root) "
             + "and that the certificate names that office's authority and prefix; 'kpnode cert show' shows the office");
        await ConfirmAsync(network, shipment, ImportOutcome.Confirmed, step, ct);
        var status = await network["EU"].Client.Api.GetStatusAsync(new GetStatusRequest(), cancellationToken: ct);
        var byOffice = status.Offices.ToDictionary(o => o.Office, o => o.CertificateCounts.Sum(c => c.Count));
        if (byOffice.GetValueOrDefault(IssuingOffice) != 1 || byOffice.GetValueOrDefault("CZ-PRAGUE") != 0)
        {
            step($"[red]EU's status counts {string.Join(", ", byOffice.Select(kv => $"{kv.Key} {kv.Value}"))}[/]");
            return null;
        }

        step($"EU's status by office: {IssuingOffice} issued 1 (Confirmed), CZ-PRAGUE none yet");
        return shipment with { Exporter = CertificateStatus.Confirmed, Importer = CertificateStatus.Confirmed };
    }
}
