using System.Text.RegularExpressions;
using KpNode.Cli;
using KpNode.Wire.V1;

namespace KpNode.Tests.Cli;

public sealed class TableTests
{
    private static readonly CertificateStatus[] Statuses =
        [CertificateStatus.Delivered, CertificateStatus.Undeliverable, CertificateStatus.Discrepancy, CertificateStatus.Received];

    private static Table Certificates() => Output.RecordTable(Enumerable.Range(1, 12).Select(i => new CertificateRecord
    {
        Certificate = new Certificate
        {
            Number = $"ZA-2026-{i:000000}",
            DateOfIssue = "2026-11-26",
            DateOfExpiry = "2027-05-26",
            CaratsHundredths = 123_456_789_00L * i,
            ValueUsdCents = 98_765_432_10L * i,
        },
        Status = Statuses[i % Statuses.Length],
        Partner = "BE",
        Direction = CertificateDirection.Outbound,
    }));

    [Theory]
    [InlineData(80)]
    [InlineData(40)]
    public void A_certificate_table_fits_the_width_and_never_breaks_a_number_or_a_status(int width)
    {
        var lines = Certificates().Render(width, markup: false);
        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}"));
        Assert.Equal(13, lines.Count); // one line per certificate, nothing wrapped
        for (var i = 1; i <= 12; i++)
        {
            var row = lines[i];
            Assert.Matches($"^ZA-2026-{i:000000}  {Statuses[i % Statuses.Length]}( |$)", row);
        }
    }

    [Fact]
    public void At_80_columns_the_lowest_priority_columns_are_left_out_first()
    {
        var header = Certificates().Render(80, markup: false)[0];
        Assert.StartsWith("Number", header);
        Assert.Contains("Partner", header);
        Assert.Contains("Issued", header);
        Assert.DoesNotContain("Direction", header); // the least important column goes first
    }

    [Fact]
    public void Redirected_a_table_is_plain_aligned_text_at_full_width_without_box_drawing()
    {
        var lines = Certificates().Render(null, markup: false);
        Assert.Equal(13, lines.Count);
        Assert.Contains("Direction", lines[0]);
        Assert.DoesNotMatch("[│┃─━╭╮╰╯┌┐└┘]", string.Join("\n", lines));
        // Aligned: every row's Status column starts where its header does.
        var at = lines[0].IndexOf("Status", StringComparison.Ordinal);
        Assert.All(lines.Skip(1), line => Assert.Matches("^[A-Z]", line[at..]));
        Assert.All(lines, line => Assert.DoesNotContain("…", line));
    }

    [Fact]
    public void Free_text_is_shortened_with_an_ellipsis_before_a_column_is_dropped()
    {
        var table = new Table().Column("Partner").Column("Reachable").Column("Last error", priority: 1, freeText: true);
        table.Row("BE", "no", "unreachable: BE: Connection refused (the node is down or the address is wrong)");
        var lines = table.Render(40, markup: false);
        Assert.All(lines, line => Assert.True(line.Length <= 40, line));
        Assert.Matches("^BE +no +unreachable.*…$", lines[1]);
        Assert.DoesNotContain("unreachab\n", string.Join("\n", lines));
    }

    [Fact]
    public void Prose_wraps_on_word_boundaries_with_markup_taking_no_width_and_amounts_kept_with_their_units()
    {
        var text = "[grey]   2.42s[/]  [bold]ZA[/] issued [bold]ZA-2026-000001[/] to BE: 2 parcels, 1,083.55 ct, US$ 358,115.50; signed by ZA's document-signing key";
        var wrapped = Spectre.Console.Markup.Remove(Output.Wrap(text, 60, 10)).Split('\n');
        Assert.All(wrapped, line => Assert.True(line.Length <= 60, line));
        Assert.All(wrapped.Skip(1), line => Assert.StartsWith(new string(' ', 10), line));
        var words = Regex.Split(Spectre.Console.Markup.Remove(text), " +").Where(w => w.Length > 0);
        Assert.Equal(words, string.Join(" ", wrapped).Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(wrapped, line => line.Contains("US$ 358,115.50", StringComparison.Ordinal));
        Assert.Contains(wrapped, line => line.Contains("1,083.55 ct", StringComparison.Ordinal));
    }

    [Fact]
    public void An_indented_line_keeps_its_indentation_and_its_continuations_line_up_under_it()
    {
        var wrapped = Output.Wrap("          - caratsHundredths: the HS lines add up to 1,484.20 ct but the certificate says 1,520.20 ct", 60, 12).Split('\n');
        Assert.StartsWith("          - caratsHundredths:", wrapped[0]);
        Assert.All(wrapped, line => Assert.True(line.Length <= 60, line));
        Assert.All(wrapped.Skip(1), line => Assert.Matches("^ {12}[^ ]", line));
    }
}
