using PdfSharp.Fonts;

namespace KpNode.Evidence;

/// <summary>
/// The fonts the PDF is set in: the Segoe WP faces PDFsharp ships in its own package (PdfSharp.WPFonts), so printing
/// needs no font installed on the machine (a fresh Debian or container image has none PDFsharp could find).
/// </summary>
internal sealed class PdfFonts : IFontResolver
{
    public const string Family = "KpNode Print";

    private static readonly Lock Installing = new();

    /// <summary>Sets the process-wide resolver once; PDFsharp reads it on first use and must not see it change.</summary>
    public static void Install()
    {
        lock (Installing)
        {
            if (GlobalFontSettings.FontResolver is not PdfFonts)
                GlobalFontSettings.FontResolver = new PdfFonts();
        }
    }

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? "SegoeWP-Bold" : "SegoeWP", false, italic);

    public byte[]? GetFont(string faceName) =>
        faceName == "SegoeWP-Bold" ? PdfSharp.WPFonts.FontDataHelper.SegoeWPBold : PdfSharp.WPFonts.FontDataHelper.SegoeWP;
}
