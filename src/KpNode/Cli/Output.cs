using System.Globalization;
using Google.Protobuf;
using KpNode.Domain;
using KpNode.Wire.V1;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>How the CLI shows things: tables and prose for people (see <see cref="Table"/>), protobuf JSON for scripts, every field printed even when zero.</summary>
internal static class Output
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithIndentation());

    // Printable's \uXXXX is a JSON escape too, so a bidi override in a partner's string stays valid JSON, only visible.
    public static void Json(IMessage message) => Console.Out.WriteLine(Printable.Of(Formatter.Format(message), int.MaxValue, keepLineBreaks: true));

    private static readonly System.Text.Json.JsonSerializerOptions Records = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>A report that is not a protobuf message (what an offline command found), as camelCase JSON like the protobuf ones.</summary>
    public static void JsonRecord<T>(T report) => Console.Out.WriteLine(Printable.Of(System.Text.Json.JsonSerializer.Serialize(report, Records), int.MaxValue, keepLineBreaks: true));

    /// <summary>Text from outside (a partner, the node) as markup: control and bidi characters escaped visibly, cut to a bound, markup escaped.</summary>
    public static string Text(string? text) => Markup.Escape(Printable.Of(text));

    public static string StatusName(Wire.V1.CertificateStatus status) => Wire.StatusMapping.Name(status);

    public static string StatusMarkup(Wire.V1.CertificateStatus status) => $"[{StatusColour(status)}]{StatusName(status)}[/]";

    private static string StatusColour(Wire.V1.CertificateStatus status) => status switch
    {
        Wire.V1.CertificateStatus.Delivered or Wire.V1.CertificateStatus.Received or Wire.V1.CertificateStatus.Confirmed => "green",
        Wire.V1.CertificateStatus.Issued => "yellow",
        Wire.V1.CertificateStatus.Rejected or Wire.V1.CertificateStatus.Undeliverable or Wire.V1.CertificateStatus.Detained => "red",
        Wire.V1.CertificateStatus.Discrepancy or Wire.V1.CertificateStatus.Voided or Wire.V1.CertificateStatus.Expired => "orange3",
        _ => "grey",
    };

    public static string Carats(long hundredths) => new Carats(hundredths).ToString();

    public static string Dollars(long cents) => new UsDollars(cents).ToString();

    public static string Time(Google.Protobuf.WellKnownTypes.Timestamp? t) =>
        t is null ? "-" : t.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Width to fit output to: the terminal's when stdout is one, null (no fitting, no colour) when redirected.</summary>
    public static int? TerminalWidth
    {
        get
        {
            if (Console.IsOutputRedirected)
                return null;
            try
            {
                return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
            }
            catch (IOException)
            {
                return 80;
            }
        }
    }

    /// <summary>One line of prose to stdout: in colour on a terminal (wrapped on words), plain and unwrapped when redirected.</summary>
    public static void Line(string markup)
    {
        // The last guard before the terminal: whatever a caller forgot to escape cannot drive the terminal.
        markup = Printable.Of(markup, int.MaxValue, keepLineBreaks: true);
        if (TerminalWidth is null)
            Console.Out.WriteLine(Markup.Remove(markup));
        else
            AnsiConsole.MarkupLine(markup);
    }

    /// <summary>Prose wrapped on word boundaries at <paramref name="width"/>, continuation lines indented by <paramref name="indent"/>; markup tags take no width.</summary>
    public static string Wrap(string markup, int width, int indent = 0)
    {
        // Leading spaces are the first line's own indentation: kept, not taken for empty words.
        var body = markup.TrimStart(' ');
        var result = new System.Text.StringBuilder().Append(' ', markup.Length - body.Length);
        var column = result.Length;
        var first = true;
        foreach (var word in Words(body))
        {
            var length = VisibleLength(word);
            if (column > indent && column + 1 + length > width)
            {
                result.Append('\n').Append(' ', indent);
                column = indent;
            }
            else if (!first)
            {
                result.Append(' ');
                column++;
            }

            first = false;
            result.Append(word);
            column += length;
        }

        return result.ToString();
    }

    // Words to wrap between; an amount stays with its unit ("US$ 358,115.50", "1,083.55 ct").
    private static List<string> Words(string markup)
    {
        var words = new List<string>();
        foreach (var word in markup.Split(' '))
        {
            var visible = word.TrimStart('[');
            if (words.Count > 0 && (words[^1].EndsWith("US$", StringComparison.Ordinal) || visible.StartsWith("ct", StringComparison.Ordinal)))
                words[^1] += " " + word;
            else
                words.Add(word);
        }

        return words;
    }

    // Length on screen of a piece of markup, which may hold half of a span ("[grey]12.3s[/]" split at its space).
    private static int VisibleLength(string markup)
    {
        var length = 0;
        for (var i = 0; i < markup.Length; i++)
        {
            if (markup[i] is '[' or ']' && i + 1 < markup.Length && markup[i + 1] == markup[i])
                i++;
            else if (markup[i] == '[' && markup.IndexOf(']', i) is var end and > 0)
            {
                i = end;
                continue;
            }

            length++;
        }

        return length;
    }

    public static Cell Status(Wire.V1.CertificateStatus status) => new(StatusName(status), StatusColour(status));

    public static Table RecordTable(IEnumerable<CertificateRecord> records)
    {
        var table = new Table().Column("Number").Column("Status").Column("Partner", priority: 1).Column("Issued", priority: 2)
            .Column("Carats", priority: 3, right: true).Column("Value", priority: 4, right: true)
            .Column("Expires", priority: 5).Column("Direction", priority: 6);
        foreach (var r in records)
        {
            var c = r.Certificate;
            table.Row(c.Number, Status(r.Status), r.Partner, c.DateOfIssue, Carats(c.CaratsHundredths), Dollars(c.ValueUsdCents), c.DateOfExpiry,
                r.Direction == Wire.V1.CertificateDirection.Outbound ? "out" : "in");
        }

        return table;
    }

    public static void RecordDetail(CertificateRecord r)
    {
        var c = r.Certificate;
        var rows = new List<(string Key, string Value)>();
        void Row(string k, string v) => rows.Add((k, v));
        Row("Certificate", $"[bold]{Text(c.Number)}[/]");
        Row("Status", StatusMarkup(r.Status) + Text(r.Direction == Wire.V1.CertificateDirection.Outbound ? $"  (issued by us to {r.Partner})" : $"  (received from {r.Partner})"));
        if (r.StatusReason.Length > 0) Row("Reason", Text(r.StatusReason));
        Row("Exporter", Text($"{c.Exporter?.Name}, {c.Exporter?.Address.Replace('\n', ' ')} ({c.Exporter?.Country})"));
        Row("Importer", Text($"{c.Importer?.Name}, {c.Importer?.Address.Replace('\n', ' ')} ({c.Importer?.Country})"));
        Row("Exporting authority", Text($"{c.ExportingAuthority} ({c.ExportingParticipant})"));
        if (c.IssuingOffice.Length > 0) Row("Issuing office", Text($"{c.IssuingOffice} (its own signing key, under {c.ExportingParticipant}'s root)"));
        Row("Origin", Text(c.MixedOrigin ? "mixed origin" : string.Join(", ", c.OriginCountries)));
        if (c.ProvenanceCountry.Length > 0) Row("Provenance", Text(c.ProvenanceCountry));
        Row("Parcels", c.Parcels.ToString(CultureInfo.InvariantCulture));
        Row("Carats", Carats(c.CaratsHundredths));
        Row("Value", Dollars(c.ValueUsdCents));
        foreach (var line in c.HsLines)
        {
            Row("  HS " + Markup.Escape(line.HsCode), $"{Carats(line.CaratsHundredths)}  {Dollars(line.ValueUsdCents)}");
        }

        Row("Issued / expires", $"{Markup.Escape(c.DateOfIssue)} / {Markup.Escape(c.DateOfExpiry)}");
        if (c.SealNumber.Length > 0) Row("Seal", Text(c.SealNumber));
        if (c.Replaces.Length > 0) Row("Replaces", Markup.Escape(c.Replaces));
        if (r.ReplacedBy.Length > 0) Row("Replaced by", Markup.Escape(r.ReplacedBy));
        if (r.DeliveryState.Length > 0)
        {
            Row("Delivery", Markup.Escape($"{r.DeliveryState}, {r.Attempts} failed attempt(s)"
                + (r.NextAttemptAt is null ? "" : $", next {Time(r.NextAttemptAt)}")));
        }

        if (r.LastError.Length > 0) Row("Last error", $"[red]{Text(r.LastError)}[/]");
        Row("Evidence", $"certificate envelope {r.CertificateEnvelope.Length} bytes"
            + (r.ReceiptEnvelope.Length > 0 ? $", signed receipt {r.ReceiptEnvelope.Length} bytes" : ", no receipt yet")
            + (r.ConfirmationEnvelope.Length > 0 ? $", signed import confirmation {r.ConfirmationEnvelope.Length} bytes" : "")
            + (r.VoidEnvelope.Length > 0 ? $", signed void {r.VoidEnvelope.Length} bytes" : "")
            + " [grey](--json shows them in base64)[/]");
        if (r.SignedByRevokedKey.Length > 0) Row("Revoked key", $"[red]{Text(r.SignedByRevokedKey)}[/]");

        // Key and value lines rather than a boxed panel: values wrap on words under their column on a terminal, and a pipe gets them whole.
        var keyWidth = rows.Max(x => Markup.Remove(x.Key).Length) + 2;
        var width = TerminalWidth;
        foreach (var (key, value) in rows)
        {
            var line = $"[grey]{key}[/]{new string(' ', keyWidth - Markup.Remove(key).Length)}{value}";
            Line(width is { } w ? Wrap(line, w, keyWidth) : line);
        }

        Line("");
        var history = new Table().Column("When").Column("Status").Column("What happened", freeText: true);
        foreach (var e in r.History)
        {
            history.Row(Time(e.At), Status(e.Status), e.Text);
        }

        history.Write();
    }
}
