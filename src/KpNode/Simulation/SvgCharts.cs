using System.Globalization;
using System.Net;
using System.Text;

namespace KpNode.Simulation;

/// <summary>Small charts drawn as inline SVG on the server, so the report is one file that needs no script or network.</summary>
internal static class SvgCharts
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

    private static string N(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static StringBuilder Open(string id, int width, int height, string title) => new StringBuilder()
        .Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\">")
        .Append(CultureInfo.InvariantCulture, $"<title>{E(title)}</title>");

    /// <summary>Vertical bars, one per label, with the value over each bar.</summary>
    public static string Bars(string id, string title, IReadOnlyList<(string Label, double Value)> bars, string unit)
    {
        const int width = 860, height = 300, left = 60, bottom = 40, top = 20;
        var svg = Open(id, width, height, title);
        var max = Math.Max(1, bars.Select(b => b.Value).DefaultIfEmpty(0).Max());
        var slot = (width - left - 10.0) / Math.Max(1, bars.Count);
        Axis(svg, left, top, width - 10, height - bottom, max, unit);
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, value) = bars[i];
            var h = (height - bottom - top) * value / max;
            var x = left + i * slot + slot * 0.15;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(height - bottom - h)}\" width=\"{N(slot * 0.7)}\" height=\"{N(h)}\" fill=\"{Palette[0]}\"><title>{E(label)}: {N(value)} {E(unit)}</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + slot * 0.35)}\" y=\"{N(height - bottom - h - 4)}\" font-size=\"10\" text-anchor=\"middle\">{N(value)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + slot * 0.35)}\" y=\"{height - bottom + 14}\" font-size=\"10\" text-anchor=\"middle\">{E(label)}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>One line per series over a shared x axis (simulated days).</summary>
    public static string Lines(string id, string title, IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series, string xUnit, string yUnit)
    {
        const int width = 860, height = 300, left = 60, bottom = 40, top = 20, right = 110;
        var svg = Open(id, width, height, title);
        var all = series.SelectMany(s => s.Points).ToList();
        var (minX, maxX) = all.Count == 0 ? (0.0, 1.0) : (all.Min(p => p.X), Math.Max(all.Max(p => p.X), all.Min(p => p.X) + 1));
        var maxY = Math.Max(1, all.Select(p => p.Y).DefaultIfEmpty(0).Max());
        Axis(svg, left, top, width - right, height - bottom, maxY, yUnit);
        double X(double x) => left + (width - right - left) * (x - minX) / (maxX - minX);
        double Y(double y) => height - bottom - (height - bottom - top) * y / maxY;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 8}\" font-size=\"10\">{E(xUnit)} {N(minX)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width - right}\" y=\"{height - 8}\" font-size=\"10\" text-anchor=\"end\">{N(maxX)}</text>");
        for (var i = 0; i < series.Count; i++)
        {
            var colour = Palette[i % Palette.Length];
            var points = string.Join(' ', series[i].Points.Select(p => $"{N(X(p.X))},{N(Y(p.Y))}"));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{points}\"><title>{E(series[i].Name)}</title></polyline>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width - right + 8}\" y=\"{top + 14 * (i + 1)}\" font-size=\"11\" fill=\"{colour}\">{E(series[i].Name)}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>A matrix of counts, rows exporting to columns, shaded by the logarithm of the count.</summary>
    public static string Matrix(string id, string title, IReadOnlyList<string> codes, Func<string, string, int> count)
    {
        const int cell = 34, left = 50, top = 40;
        var width = left + cell * codes.Count + 10;
        var height = top + cell * codes.Count + 10;
        var svg = Open(id, width, height, title);
        var max = Math.Max(1, codes.SelectMany(r => codes.Select(c => count(r, c))).Max());
        for (var j = 0; j < codes.Count; j++)
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + j * cell + cell / 2}\" y=\"{top - 8}\" font-size=\"11\" text-anchor=\"middle\">{E(codes[j])}</text>");
        for (var i = 0; i < codes.Count; i++)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{top + i * cell + cell / 2 + 4}\" font-size=\"11\" text-anchor=\"end\">{E(codes[i])}</text>");
            for (var j = 0; j < codes.Count; j++)
            {
                var n = count(codes[i], codes[j]);
                var shade = n == 0 ? 0 : 0.15 + 0.85 * Math.Log(1 + n) / Math.Log(1 + max);
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + j * cell}\" y=\"{top + i * cell}\" width=\"{cell - 2}\" height=\"{cell - 2}\" fill=\"{Palette[0]}\" fill-opacity=\"{N(shade)}\" stroke=\"#ddd\">"
                    + $"<title>{E(codes[i])} to {E(codes[j])}: {n} certificates</title></rect>");
                if (n > 0)
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + j * cell + cell / 2 - 1}\" y=\"{top + i * cell + cell / 2 + 3}\" font-size=\"9\" text-anchor=\"middle\" fill=\"{(shade > 0.6 ? "#fff" : "#000")}\">{Short(n)}</text>");
            }
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>Horizontal spans on the simulated calendar, one row per item.</summary>
    public static string Timeline(string id, string title, IReadOnlyList<(string Row, double From, double To, string Text)> spans, double days)
    {
        const int width = 860, left = 60, rowHeight = 22, top = 20;
        var rows = spans.Select(s => s.Row).Distinct().ToList();
        var height = top + rowHeight * Math.Max(1, rows.Count) + 30;
        var svg = Open(id, width, height, title);
        double X(double d) => left + (width - left - 10) * d / days;
        for (var m = 0; m <= days; m += 30)
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(X(m))}\" y1=\"{top}\" x2=\"{N(X(m))}\" y2=\"{height - 25}\" stroke=\"#eee\"/><text x=\"{N(X(m))}\" y=\"{height - 10}\" font-size=\"10\" text-anchor=\"middle\">day {m}</text>");
        foreach (var (row, from, to, text) in spans)
        {
            var y = top + rows.IndexOf(row) * rowHeight;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{y + 15}\" font-size=\"11\" text-anchor=\"end\">{E(row)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(X(from))}\" y=\"{y + 3}\" width=\"{N(Math.Max(3, X(to) - X(from)))}\" height=\"{rowHeight - 6}\" fill=\"{Palette[1]}\"><title>{E(text)}</title></rect>");
        }

        return svg.Append("</svg>").ToString();
    }

    private static void Axis(StringBuilder svg, int left, int top, int right, int bottom, double max, string unit)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{bottom}\" stroke=\"#333\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{bottom}\" stroke=\"#333\"/>");
        foreach (var f in new[] { 0.0, 0.5, 1.0 })
        {
            var y = bottom - (bottom - top) * f;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{N(y + 4)}\" font-size=\"10\" text-anchor=\"end\">{N(max * f)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 50}\" y=\"{top - 6}\" font-size=\"10\">{E(unit)}</text>");
    }

    private static string Short(int n) => n >= 10_000 ? $"{n / 1000}k" : n >= 1_000 ? $"{n / 1000.0:0.#}k" : n.ToString(CultureInfo.InvariantCulture);
}
