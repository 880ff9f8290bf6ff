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

    [Fact]
    public void The_status_page_shows_a_partners_text_escaped_where_HTML_encoding_alone_would_leave_it_raw()
    {
        var now = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        var status = new KpNode.Wire.V1.GetNodeStatusResponse { Participant = "BE", StartedAt = now, Now = now, HealthDetail = PartnerText.Hostile };
        status.Partners.Add(new KpNode.Wire.V1.PartnerLink { Participant = "ZA", LastError = PartnerText.Hostile });
        var html = KpNode.Operations.StatusPage.Render(status, 5);
        Assert.Contains("\\u001B[2J", html, StringComparison.Ordinal);
        PartnerText.AssertPrintable(html);
    }

    [Fact]
    public void A_table_shows_a_partners_text_escaped_and_bounded()
    {
        var table = new Table().Column("Partner").Column("What happened", freeText: true);
        table.Row("ZA", PartnerText.Hostile + new string('x', 5_000));
        var lines = table.Render(width: null, markup: false);
        PartnerText.AssertPrintable(string.Join('\n', lines));
        Assert.True(lines[1].Length < 1_100, $"a row of {lines[1].Length} characters");
    }

    [Fact]
    public void A_refused_TLS_certificate_is_logged_with_its_subject_escaped()
    {
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger();
        KpNode.Diagnostics.Log.PeerCertificateRefused(logger, "CN=" + PartnerText.Hostile, "AB12", "not a configured partner");
        Assert.Contains("\\u202E", logger.LatestRecord.Message, StringComparison.Ordinal);
        PartnerText.AssertPrintable(logger.LatestRecord.Message);
        Assert.Equal("PeerCertificateRefused", logger.LatestRecord.Id.Name);
    }
}
