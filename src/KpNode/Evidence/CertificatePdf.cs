using System.Globalization;
using KpNode.Wire.V1;
using PdfSharp.Drawing;
using PdfSharp.Drawing.Layout;
using PdfSharp.Pdf;
using QRCoder;

namespace KpNode.Evidence;

/// <summary>What a printed certificate shows besides its fields: the QR token, who signed it, and the signed payload's hash.</summary>
internal sealed record PrintedEvidence(string Token, string SignerSubject, DateTimeOffset SignedAt, string PayloadSha256);

/// <summary>The size the QR code came out at, for the operator and the tests.</summary>
internal sealed record QrLayout(int Version, int Modules, double ModuleMillimetres, double SideMillimetres);

/// <summary>
/// Renders a KP certificate as a one-page A4 PDF: title and KP statement, every Annex I field and HS line, the exporting
/// authority, the signer, and the QR code with its token (vector modules, so it prints sharp at any resolution).
/// </summary>
internal static class CertificatePdf
{
    public const string Title = "Kimberley Process Certificate";

    public const string Statement =
        "The rough diamonds in this shipment have been handled in accordance with the provisions of the Kimberley Process "
        + "Certification Scheme for rough diamonds.";

    /// <summary>The QR symbol's side on paper (quiet zone outside it): legible from a phone or a desk scanner at ECC level M.</summary>
    public const double QrSideMillimetres = 40;

    private const double Margin = 42; // points, ~15 mm
    private static readonly XBrush Ink = XBrushes.Black;

    public static (byte[] Pdf, QrLayout Qr) Render(CertificateRecord record, PrintedEvidence evidence)
    {
        PdfFonts.Install();
        var c = record.Certificate;
        using var document = new PdfDocument();
        document.Info.Title = $"{Title} {c.Number}";
        document.Info.Creator = "KpNode";
        var page = document.AddPage();
        page.Size = PdfSharp.PageSize.A4;
        using var gfx = XGraphics.FromPdfPage(page);
        var text = new XTextFormatter(gfx);
        var width = page.Width.Point - 2 * Margin;

        var title = new XFont(PdfFonts.Family, 20, XFontStyleEx.Bold);
        var heading = new XFont(PdfFonts.Family, 11, XFontStyleEx.Bold);
        var body = new XFont(PdfFonts.Family, 9.5, XFontStyleEx.Regular);
        var label = new XFont(PdfFonts.Family, 8, XFontStyleEx.Regular);
        var small = new XFont(PdfFonts.Family, 7, XFontStyleEx.Regular);

        var y = Margin;
        gfx.DrawString(Title, title, Ink, new XRect(Margin, y, width, 26), XStringFormats.TopCenter);
        y += 28;
        gfx.DrawString($"Certificate number {c.Number}", heading, Ink, new XRect(Margin, y, width, 16), XStringFormats.TopCenter);
        y += 22;
        text.DrawString(Statement, body, Ink, new XRect(Margin, y, width, 28));
        y += 34;

        var origin = c.MixedOrigin ? "Mixed origin" : string.Join(", ", c.OriginCountries);
        if (c.OriginZone.Length > 0)
            origin += $" (zone: {c.OriginZone})";
        var fields = new List<(string Label, string Value)>
        {
            ("Exporting (issuing) authority", c.IssuingOffice.Length > 0
                ? $"{c.ExportingAuthority} ({c.ExportingParticipant}, office {c.IssuingOffice})"
                : $"{c.ExportingAuthority} ({c.ExportingParticipant})"),
            ("Importing participant", c.ImportingParticipant),
            ("Country of origin", origin),
            ("Country of provenance", Or(c.ProvenanceCountry)),
            ("Exporter", PartyText(c.Exporter)),
            ("Importer", PartyText(c.Importer)),
            ("Number of parcels", c.Parcels.ToString(CultureInfo.InvariantCulture)),
            ("Carat weight", $"{Domain.ExactAmount.Format(c.CaratsHundredths)} ct"),
            ("Value", $"US$ {Domain.ExactAmount.Format(c.ValueUsdCents)}"),
            ("Date of issue", c.DateOfIssue),
            ("Date of expiry", c.DateOfExpiry),
            ("Container / seal number", Or(c.SealNumber)),
            ("In transit", c.InTransit ? "Yes, goods in transit" : "No"),
            ("Quality characteristics", Or(c.QualityCharacteristics)),
            ("Remarks", Or(c.Remarks)),
        };
        if (c.Replaces.Length > 0)
            fields.Add(("Replaces certificate", c.Replaces));

        const double labelWidth = 150;
        foreach (var (name, value) in fields)
        {
            var lines = Math.Max(1, (int)Math.Ceiling(gfx.MeasureString(value, body).Width / (width - labelWidth)) + value.Count(ch => ch == '\n'));
            var height = Math.Min(lines, 4) * 12;
            gfx.DrawString(name, label, Ink, new XRect(Margin, y + 1, labelWidth, 12), XStringFormats.TopLeft);
            text.DrawString(value, body, Ink, new XRect(Margin + labelWidth, y, width - labelWidth, height));
            y += height + 4;
        }

        y += 6;
        gfx.DrawString("HS subheadings", heading, Ink, new XPoint(Margin, y + 10));
        y += 16;
        var columns = new[] { Margin, Margin + 120, Margin + 260 };
        string[] header = ["HS code", "Carats", "Value (US$)"];
        for (var i = 0; i < 3; i++)
            gfx.DrawString(header[i], label, Ink, new XPoint(columns[i], y + 9));
        y += 13;
        gfx.DrawLine(XPens.Black, Margin, y - 2, Margin + 360, y - 2);
        foreach (var line in c.HsLines)
        {
            gfx.DrawString(line.HsCode, body, Ink, new XPoint(columns[0], y + 9));
            gfx.DrawString(Domain.ExactAmount.Format(line.CaratsHundredths), body, Ink, new XPoint(columns[1], y + 9));
            gfx.DrawString(Domain.ExactAmount.Format(line.ValueUsdCents), body, Ink, new XPoint(columns[2], y + 9));
            y += 13;
        }

        y += 10;
        gfx.DrawString("Validation by the exporting authority", heading, Ink, new XPoint(Margin, y + 10));
        y += 16;
        var validation =
            $"Signed digitally by {evidence.SignerSubject}. The signed certificate's SHA-256 is {evidence.PayloadSha256}. "
            + $"The QR code was signed {evidence.SignedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC; "
            + $"it verifies offline against the root certificate of participant {c.ExportingParticipant} alone "
            + "('kpnode verify --qr TOKEN --root ROOT.crt' or the offline verifier page).";
        text.DrawString(validation, body, Ink, new XRect(Margin, y, width - 130, 80));

        var qr = DrawQr(gfx, evidence.Token, page.Width.Point - Margin - Millimetres(QrSideMillimetres), y);
        y += Math.Max(84, Millimetres(QrSideMillimetres) + 8);
        var claims = CertificateToken.Parse(evidence.Token).Claims;
        if (claims is not null)
            text.DrawString("QR figures: " + claims.Summary, small, Ink, new XRect(Margin, y, width, 20));

        using var stream = new MemoryStream();
        document.Save(stream, false);
        return (stream.ToArray(), qr);
    }

    private static QrLayout DrawQr(XGraphics gfx, string token, double left, double top)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(token, QRCodeGenerator.ECCLevel.M);
        var modules = data.Version * 4 + 17;
        // QRCoder's matrix has a 4-module quiet zone around the symbol; the paper around the symbol is that zone.
        var quiet = (data.ModuleMatrix.Count - modules) / 2;
        var side = Millimetres(QrSideMillimetres);
        var module = side / modules;
        for (var row = 0; row < modules; row++)
        {
            var bits = data.ModuleMatrix[row + quiet];
            for (var col = 0; col < modules; col++)
            {
                if (bits[col + quiet])
                    gfx.DrawRectangle(XBrushes.Black, left + col * module, top + row * module, module + 0.01, module + 0.01);
            }
        }

        return new QrLayout(data.Version, modules, QrSideMillimetres / modules, QrSideMillimetres);
    }

    private static double Millimetres(double mm) => mm / 25.4 * 72;

    private static string Or(string value) => value.Length > 0 ? value : "-";

    private static string PartyText(Party? party) =>
        party is null ? "-" : string.Join(", ", new[] { party.Name, party.Address, party.Country }.Where(s => s.Length > 0));
}
