using System.Text;
using KpNode.Cli;
using KpNode.Domain;

namespace KpNode.Tests.Hostile;

public sealed class PartnerTextUnitTests
{
    [Theory]
    [InlineData("\u001b[2Jcleared", "\\u001B[2Jcleared")]
    [InlineData("7102.31\u202E13.2017", "7102.31\\u202E13.2017")]
    [InlineData("line\nbreak", "line\\u000Abreak")]
    [InlineData("Antwerpen – 💎 ok", "Antwerpen – 💎 ok")]
    public void Printable_text_shows_control_bidi_and_broken_characters_as_visible_escapes(string text, string shown) =>
        Assert.Equal(shown, Printable.Of(text));

    [Fact]
    public void Printable_text_shows_a_lone_surrogate_as_an_escape() =>
        Assert.Equal("broken \\uD800 half", Printable.Of("broken " + (char)0xD800 + " half"));

    [Fact]
    public void Printable_text_is_cut_to_its_bound_and_says_how_long_it_was() =>
        Assert.Equal("xxx… (100,044 characters)", Printable.Of(new string('x', 100_044), 3));

    [Fact]
    public void A_draft_file_that_is_not_UTF_8_is_refused_naming_the_file_and_the_byte()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"remarks\": \"caf").Concat(new byte[] { 0xE9 }).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
        var (draft, problem) = DraftFile.Read("/drafts/za.json", bytes);
        Assert.Null(draft);
        Assert.StartsWith("/drafts/za.json: byte 16 (0xE9) is not UTF-8", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_draft_file_in_UTF_8_with_a_byte_order_mark_is_read()
    {
        var bytes = Encoding.UTF8.Preamble.ToArray().Concat(Encoding.UTF8.GetBytes("{\"remarks\": \"café\"}")).ToArray();
        var (draft, problem) = DraftFile.Read("za.json", bytes);
        Assert.Equal("", problem);
        Assert.Equal("café", draft!.Remarks);
    }
}
