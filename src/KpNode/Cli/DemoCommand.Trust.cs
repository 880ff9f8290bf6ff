using KpNode.Trust;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>The demo's trust steps: a new signing key installed live, then the old one revoked, each claim checked before it is printed.</summary>
internal static partial class DemoCommand
{
    /// <summary>
    /// pki request, sign, install and reload, as an operator runs them, then a certificate signed with the new key;
    /// null (a red line said why) when BE does not hold it signed with the new key.
    /// </summary>
    private static async Task<(Shipment Shipment, string OldSerial)?> RotateSigningKeyAsync(DemoNetwork network, Action<string> step, CancellationToken ct)
    {
        var dir = network["ZA"].Config.Options.PkiDirectory;
        using var before = PkiFiles.LoadCertificate(Path.Combine(dir, PkiFiles.SigningCertificate));
        var request = PkiRotation.Request(dir, new LeafProfile("ZA", LeafKind.DocumentSigning, []), null);
        step($"ZA made a new signing key on its node and a request for it ({PkiRotation.PendingFolder}/{Markup.Escape(Path.GetFileName(request))}); the key never leaves the node");
        var rootPath = Path.Combine(dir, PkiFiles.RootCertificate);
        using (var root = PkiFiles.LoadRootWithKey(rootPath, Path.Combine(dir, PkiFiles.RootKey)))
        {
            var signed = PkiRotation.Sign(await File.ReadAllBytesAsync(request, ct), request, root, rootPath, DateTimeOffset.UtcNow, null);
            using var certificate = signed.Certificate;
            await File.WriteAllTextAsync(Path.ChangeExtension(request, ".crt"), certificate.ExportCertificatePem(), ct);
        }

        step("ZA's root signed it where the root key is kept (in a real deployment another machine, or a USB key)");
        var installed = PkiRotation.Install(dir, Path.ChangeExtension(request, ".crt"), DateTimeOffset.UtcNow);
        step($"ZA installed it (the previous pair is kept in {Markup.Escape(Path.GetFileName(Path.GetDirectoryName(installed.RetiredCertificatePath)!))}/) and reloaded its running node:");
        var reload = await network["ZA"].Client.Operations.ReloadCredentialsAsync(new ReloadCredentialsRequest(), cancellationToken: ct);
        var signing = reload.Credentials.Single(c => c.Kind == CredentialKind.DocumentSigning);
        if (signing.PreviousSerial != before.SerialNumber || signing.Serial == before.SerialNumber)
        {
            step($"[red]ZA's node reports signing certificate {Markup.Escape(Serial(signing.PreviousSerial))} -> {Markup.Escape(Serial(signing.Serial))}, not a new one in place of {Markup.Escape(Serial(before.SerialNumber))}[/]");
            return null;
        }

        step($"  signing certificate {Markup.Escape(Serial(signing.PreviousSerial))} -> [bold]{Markup.Escape(Serial(signing.Serial))}[/], without a restart; BE changes nothing");
        var shipment = await IssueAsync(network, "ZA", "BE", step, ct);
        await AwaitDeliveryAsync(network, shipment, step, ct);
        var held = await WaitForAsync(network["BE"], shipment.Number, _ => true, ct);
        var signer = Envelope.Parser.ParseFrom(held.CertificateEnvelope).Signatures[0].X5C[0];
        using var used = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(signer.Span);
        if (used.SerialNumber != signing.Serial)
        {
            step($"[red]BE holds {Markup.Escape(shipment.Number)} signed by {Markup.Escape(used.SerialNumber)}, not the new key[/]");
            return null;
        }

        step($"BE verified {Markup.Escape(shipment.Number)}, signed with the new key");
        return (shipment, before.SerialNumber);
    }

    /// <summary>
    /// pki revoke (the root's CRL) and pki publish, then checked on both sides of each partner: ZA's notice delivered
    /// with the partner's accepting receipt, and the partner holding the list. False (a red line said why) otherwise.
    /// </summary>
    private static async Task<bool> RevokeAsync(DemoNetwork network, string serial, Action<string> step, CancellationToken ct)
    {
        var dir = network["ZA"].Config.Options.PkiDirectory;
        RevocationList list;
        using (var root = PkiFiles.LoadRootWithKey(Path.Combine(dir, PkiFiles.RootCertificate), Path.Combine(dir, PkiFiles.RootKey)))
        {
            var now = DateTimeOffset.UtcNow;
            list = RevocationListIssuer.Revoke(root, null, "crl.pem", RevocationListIssuer.ParseSerial(serial),
                System.Security.Cryptography.X509Certificates.X509RevocationReason.Superseded, now, now);
        }

        var number = (long)list.Number;
        step($"ZA's root signed revocation list {number} (an X.509 CRL): the old signing key {Markup.Escape(Serial(serial))} is superseded from now");
        var published = await network["ZA"].Client.Api.PublishRevocationListAsync(
            new PublishRevocationListRequest { Crl = Google.Protobuf.ByteString.CopyFrom(list.Der) }, cancellationToken: ct);
        var partners = network.Nodes.Select(n => n.Code).Where(c => c != "ZA").Order(StringComparer.Ordinal).ToList();
        if (!published.NotifiedPartners.Order(StringComparer.Ordinal).SequenceEqual(partners))
        {
            step($"[red]ZA's node queued its notice for {Markup.Escape(string.Join(", ", published.NotifiedPartners))}, not for {string.Join(" and ", partners)}[/]");
            return false;
        }

        step($"ZA's node enforces it and queued a signed revocation notice for {Markup.Escape(Listed(published.NotifiedPartners))}");
        foreach (var partner in partners)
        {
            var notice = await NoticeSettledAsync(network, partner, number, ct);
            if (notice.RevocationNoticeState != RevocationNoticeState.Delivered)
            {
                step($"[red]ZA's notice of list {number} to {partner} was {Markup.Escape(notice.RevocationNoticeState.ToString())}, not delivered: {Markup.Escape(notice.LastError)}[/]");
                return false;
            }

            var status = await network[partner].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest(), cancellationToken: ct);
            var held = status.Partners.Single(p => p.Participant == "ZA").HeldCrlNumber;
            if (held != number)
            {
                step($"[red]{partner} signed a receipt for the notice but holds ZA's revocation list {held}, not {number}[/]");
                return false;
            }

            if (status.RecordsSignedByRevokedKeys != 0)
            {
                step($"[red]{partner} marks {status.RecordsSignedByRevokedKeys} record(s) as signed by a revoked key, though the old key signed them before the revocation[/]");
                return false;
            }

            step($"{partner} verified the notice against ZA's root and holds list {number}; ZA verified {partner}'s signed receipt. "
                + $"{partner} refuses what the old key signs from now on, and what it signed before still verifies (none marked revoked)");
        }

        return true;
    }

    /// <summary>ZA's status row for <paramref name="partner"/> once its notice of list <paramref name="number"/> is no longer waiting.</summary>
    private static async Task<PartnerLink> NoticeSettledAsync(DemoNetwork network, string partner, long number, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StepTimeout;
        while (true)
        {
            var status = await network["ZA"].Client.Operations.GetNodeStatusAsync(new GetNodeStatusRequest(), cancellationToken: ct);
            var link = status.Partners.Single(p => p.Participant == partner);
            if (link.RevocationNoticeCrlNumber == number && link.RevocationNoticeState != RevocationNoticeState.Pending)
                return link;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"ZA's revocation notice to {partner} was not delivered within {StepTimeout.TotalSeconds:F0} s");
            await Task.Delay(50, ct);
        }
    }
}
