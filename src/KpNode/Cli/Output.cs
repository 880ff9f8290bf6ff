using System.Globalization;
using Google.Protobuf;
using KpNode.Domain;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>How the CLI shows things: tables for people, protobuf JSON for scripts.</summary>
internal static class Output
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false).WithIndentation());

    public static void Json(IMessage message) => Console.Out.WriteLine(Formatter.Format(message));

    public static string StatusName(Wire.V1.CertificateStatus status) => Wire.StatusMapping.Name(status);

    public static string StatusMarkup(Wire.V1.CertificateStatus status)
    {
        var name = StatusName(status);
        var colour = status switch
        {
            Wire.V1.CertificateStatus.Delivered or Wire.V1.CertificateStatus.Received or Wire.V1.CertificateStatus.Confirmed => "green",
            Wire.V1.CertificateStatus.Issued => "yellow",
            Wire.V1.CertificateStatus.Rejected or Wire.V1.CertificateStatus.Undeliverable or Wire.V1.CertificateStatus.Detained => "red",
            Wire.V1.CertificateStatus.Discrepancy or Wire.V1.CertificateStatus.Voided or Wire.V1.CertificateStatus.Expired => "orange3",
            _ => "grey",
        };
        return $"[{colour}]{name}[/]";
    }

    public static string Carats(long hundredths) => new Carats(hundredths).ToString();

    public static string Dollars(long cents) => new UsDollars(cents).ToString();

    public static string Time(Google.Protobuf.WellKnownTypes.Timestamp? t) =>
        t is null ? "-" : t.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static void RecordTable(IEnumerable<CertificateRecord> records)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Number").AddColumn("Direction").AddColumn("Partner").AddColumn("Status")
            .AddColumn("Issued").AddColumn("Expires").AddColumn(new TableColumn("Carats").RightAligned())
            .AddColumn(new TableColumn("Value").RightAligned());
        var any = false;
        foreach (var r in records)
        {
            any = true;
            var c = r.Certificate;
            table.AddRow(
                Markup.Escape(c.Number),
                r.Direction == Wire.V1.CertificateDirection.Outbound ? "out" : "in",
                Markup.Escape(r.Partner),
                StatusMarkup(r.Status),
                Markup.Escape(c.DateOfIssue),
                Markup.Escape(c.DateOfExpiry),
                Carats(c.CaratsHundredths),
                Dollars(c.ValueUsdCents));
        }

        if (!any)
        {
            AnsiConsole.MarkupLine("[grey]No certificates match.[/]");
            return;
        }

        AnsiConsole.Write(table);
    }

    public static void RecordDetail(CertificateRecord r)
    {
        var c = r.Certificate;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        void Row(string k, string v) => grid.AddRow($"[grey]{k}[/]", v);
        Row("Certificate", $"[bold]{Markup.Escape(c.Number)}[/]");
        Row("Status", StatusMarkup(r.Status) + (r.Direction == Wire.V1.CertificateDirection.Outbound ? $"  (issued by us to {r.Partner})" : $"  (received from {r.Partner})"));
        if (r.StatusReason.Length > 0) Row("Reason", Markup.Escape(r.StatusReason));
        Row("Exporter", Markup.Escape($"{c.Exporter?.Name}, {c.Exporter?.Address} ({c.Exporter?.Country})"));
        Row("Importer", Markup.Escape($"{c.Importer?.Name}, {c.Importer?.Address} ({c.Importer?.Country})"));
        Row("Exporting authority", Markup.Escape($"{c.ExportingAuthority} ({c.ExportingParticipant})"));
        Row("Origin", Markup.Escape(c.MixedOrigin ? "mixed origin" : string.Join(", ", c.OriginCountries)));
        if (c.ProvenanceCountry.Length > 0) Row("Provenance", Markup.Escape(c.ProvenanceCountry));
        Row("Parcels", c.Parcels.ToString(CultureInfo.InvariantCulture));
        Row("Carats", Carats(c.CaratsHundredths));
        Row("Value", Dollars(c.ValueUsdCents));
        foreach (var line in c.HsLines)
        {
            Row("  HS " + Markup.Escape(line.HsCode), $"{Carats(line.CaratsHundredths)}  {Dollars(line.ValueUsdCents)}");
        }

        Row("Issued / expires", $"{Markup.Escape(c.DateOfIssue)} / {Markup.Escape(c.DateOfExpiry)}");
        if (c.SealNumber.Length > 0) Row("Seal", Markup.Escape(c.SealNumber));
        if (c.Replaces.Length > 0) Row("Replaces", Markup.Escape(c.Replaces));
        if (r.ReplacedBy.Length > 0) Row("Replaced by", Markup.Escape(r.ReplacedBy));
        if (r.DeliveryState.Length > 0)
        {
            Row("Delivery", $"{Markup.Escape(r.DeliveryState)}, {r.Attempts} failed attempt(s)"
                + (r.NextAttemptAt is null ? "" : $", next {Time(r.NextAttemptAt)}"));
        }

        if (r.LastError.Length > 0) Row("Last error", $"[red]{Markup.Escape(r.LastError)}[/]");
        Row("Evidence", $"certificate envelope {r.CertificateEnvelope.Length} bytes"
            + (r.ReceiptEnvelope.Length > 0 ? $", signed receipt {r.ReceiptEnvelope.Length} bytes" : ", no receipt yet")
            + (r.ConfirmationEnvelope.Length > 0 ? $", signed import confirmation {r.ConfirmationEnvelope.Length} bytes" : "")
            + (r.VoidEnvelope.Length > 0 ? $", signed void {r.VoidEnvelope.Length} bytes" : "")
            + " [grey](--json shows them in base64)[/]");
        AnsiConsole.Write(new Panel(grid).Header("KP certificate").Border(BoxBorder.Rounded));

        var history = new Table().Border(TableBorder.Simple).AddColumn("When").AddColumn("Status").AddColumn("What happened");
        foreach (var e in r.History)
        {
            history.AddRow(Time(e.At), StatusMarkup(e.Status), Markup.Escape(e.Text));
        }

        AnsiConsole.Write(history);
    }
}
