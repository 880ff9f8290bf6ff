using KpNode.Domain;

namespace KpNode.Tests.Domain;

public class HsCodesTests
{
    [Fact]
    public void Exactly_three_subheadings_are_in_kp_scope()
    {
        Assert.Equal(["7102.10", "7102.21", "7102.31"], HsCodes.Valid);
        Assert.All(HsCodes.Valid, code => Assert.True(HsCodes.IsValid(code)));
        Assert.All(HsCodes.Valid, code => Assert.Null(HsCodes.RefusalReason(code)));
    }

    [Theory]
    [InlineData("7102.10", "unsorted")]
    [InlineData("7102.21", "industrial")]
    [InlineData("7102.31", "non-industrial")]
    [InlineData("7102.39", "worked")]
    [InlineData("7104.20", "synthetic")]
    public void Codes_are_described_in_words(string code, string word)
    {
        Assert.Contains(word, HsCodes.Describe(code));
    }

    [Theory]
    [InlineData("7104", true)]
    [InlineData("7104.10", true)]
    [InlineData("7104.21", true)]
    [InlineData("7104 91", true)]
    [InlineData("710490", true)]
    [InlineData("7102.31", false)]
    [InlineData("7103.10", false)]
    public void Synthetic_stones_are_recognised_however_written(string code, bool synthetic)
    {
        Assert.Equal(synthetic, HsCodes.IsSynthetic(code));
    }

    [Theory]
    [InlineData("710231")]
    [InlineData("7102.31.00")]
    [InlineData("7102 31")]
    [InlineData(" 7102.31")]
    public void Near_misses_are_invalid_but_answered_with_the_right_spelling(string code)
    {
        Assert.False(HsCodes.IsValid(code));
        Assert.Contains("7102.31", HsCodes.RefusalReason(code));
    }

    [Fact]
    public void The_heading_alone_asks_for_a_subheading()
    {
        Assert.Contains("subheading", HsCodes.RefusalReason("7102"));
    }

    [Fact]
    public void Unknown_codes_have_no_description()
    {
        Assert.Null(HsCodes.Describe("7103.10"));
        Assert.Null(HsCodes.Describe(null));
    }
}
