using System.Text;
using Spectre.Console;

namespace KpNode.Cli;

/// <summary>
/// The CLI's one table renderer. Numbers, codes and statuses are never broken: on a narrow terminal free-text
/// columns are shortened with "…" first, then whole columns are left out, lowest priority first. Written to a pipe
/// or file the table is plain aligned text at its full width, without colour or box drawing.
/// </summary>
internal sealed class Table
{
    private const string Gap = "  ";
    private const char Ellipsis = '…';
    // A free-text column is never shortened below this (or its header), so what is left still says something.
    private const int FreeTextMinimum = 10;

    private readonly List<TableColumn> _columns = [];
    private readonly List<Cell[]> _rows = [];

    /// <summary>A column; <paramref name="priority"/> 0 is never dropped, higher numbers are dropped first.</summary>
    public Table Column(string header, int priority = 0, bool freeText = false, bool right = false)
    {
        _columns.Add(new TableColumn(header, priority, freeText, right));
        return this;
    }

    public Table Row(params Cell[] cells)
    {
        if (cells.Length != _columns.Count)
            throw new ArgumentException($"a row of {cells.Length} cells for {_columns.Count} columns", nameof(cells));
        // Escaped before widths are measured, so a partner's text can neither drive the terminal nor stretch a column without bound.
        _rows.Add([.. cells.Select(c => c with { Text = Domain.Printable.Of(c.Text) })]);
        return this;
    }

    public int RowCount => _rows.Count;

    /// <summary>The lines of the table: fitted to <paramref name="width"/> when given, full width when null; markup (colour) only when <paramref name="markup"/>.</summary>
    public IReadOnlyList<string> Render(int? width, bool markup, bool header = true)
    {
        var widths = _columns.Select((c, i) => Math.Max(c.Header.Length, _rows.Select(r => r[i].Text.Length).DefaultIfEmpty(0).Max())).ToArray();
        var shown = Enumerable.Range(0, _columns.Count).ToList();
        if (width is { } max)
            Fit(max, widths, shown);

        var lines = new List<string>();
        if (header)
            lines.Add(Line(shown, widths, i => new Cell(_columns[i].Header, markup ? "bold" : null), markup));
        lines.AddRange(_rows.Select(row => Line(shown, widths, i => row[i], markup)));
        return lines;
    }

    /// <summary>Writes the table to stdout, fitted to the terminal when stdout is one.</summary>
    public void Write(bool header = true)
    {
        var terminal = Output.TerminalWidth;
        foreach (var line in Render(terminal, markup: terminal is not null, header))
        {
            if (terminal is null)
                Console.Out.WriteLine(line);
            else
                AnsiConsole.MarkupLine(line);
        }
    }

    private void Fit(int max, int[] widths, List<int> shown)
    {
        int Total() => shown.Sum(i => widths[i]) + Gap.Length * Math.Max(0, shown.Count - 1);

        // Shorten free text first, widest first, down to its minimum.
        foreach (var i in shown.Where(i => _columns[i].FreeText).OrderByDescending(i => widths[i]).ToList())
        {
            var over = Total() - max;
            if (over <= 0)
                return;
            var minimum = Math.Max(_columns[i].Header.Length, FreeTextMinimum);
            widths[i] = Math.Max(minimum, widths[i] - over);
        }

        // Then leave out whole columns, lowest priority (highest number) first, the rightmost of equals first.
        foreach (var i in shown.Where(i => _columns[i].Priority > 0).OrderByDescending(i => _columns[i].Priority).ThenByDescending(i => i).ToList())
        {
            if (Total() <= max)
                return;
            shown.Remove(i);
        }
    }

    private string Line(List<int> shown, int[] widths, Func<int, Cell> cell, bool markup)
    {
        var line = new StringBuilder();
        foreach (var (i, n) in shown.Select((i, n) => (i, n)))
        {
            var c = cell(i);
            var text = c.Text.Length > widths[i] ? c.Text[..(widths[i] - 1)] + Ellipsis : c.Text;
            var last = n == shown.Count - 1;
            var padding = new string(' ', widths[i] - text.Length);
            var shownText = markup ? Markup.Escape(text) : text;
            if (markup && c.Colour is not null)
                shownText = $"[{c.Colour}]{shownText}[/]";
            if (n > 0)
                line.Append(Gap);
            line.Append(_columns[i].Right ? padding + shownText : last ? shownText : shownText + padding);
        }

        return line.ToString().TrimEnd();
    }

    private sealed record TableColumn(string Header, int Priority, bool FreeText, bool Right);
}

/// <summary>One table cell: its text and, on a terminal, its colour (a Spectre style such as "green").</summary>
internal readonly record struct Cell(string Text, string? Colour = null)
{
    public static implicit operator Cell(string text) => new(text);
}
