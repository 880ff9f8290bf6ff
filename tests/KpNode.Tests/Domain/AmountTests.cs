using KpNode.Domain;

namespace KpNode.Tests.Domain;

public class AmountTests
{
    [Theory]
    [InlineData(120450, "1,204.50 ct")]
    [InlineData(1, "0.01 ct")]
    [InlineData(0, "0.00 ct")]
    [InlineData(-100, "-1.00 ct")]
    [InlineData(33_000_000_000, "330,000,000.00 ct")]
    public void Carats_are_written_with_thousands_separators_and_two_decimals(long hundredths, string expected)
    {
        Assert.Equal(expected, new Carats(hundredths).ToString());
    }

    [Theory]
    [InlineData(123_456_789, "US$ 1,234,567.89")]
    [InlineData(5, "US$ 0.05")]
    [InlineData(long.MaxValue, "US$ 92,233,720,368,547,758.07")]
    [InlineData(long.MinValue, "US$ -92,233,720,368,547,758.08")]
    public void Dollars_are_written_with_the_currency_and_cents(long cents, string expected)
    {
        Assert.Equal(expected, new UsDollars(cents).ToString());
    }

    [Theory]
    [InlineData("1204.5", 120450)]
    [InlineData("1204.50", 120450)]
    [InlineData("1204", 120400)]
    [InlineData("0.01", 1)]
    [InlineData("1,204.50", 120450)]
    [InlineData(" 1204.50 ct", 120450)]
    [InlineData("1,204.50 ct", 120450)]
    [InlineData("-3", -300)]
    public void Carats_are_read_exactly(string text, long hundredths)
    {
        Assert.Equal(new Carats(hundredths), Carats.Parse(text));
        Assert.True(Carats.TryParse(text, out var carats));
        Assert.Equal(hundredths, carats.Hundredths);
    }

    [Theory]
    [InlineData("1204.505", "more than 2 decimals")]
    [InlineData("0.001", "more than 2 decimals")]
    [InlineData("1,5", "point for decimals")]
    [InlineData("12,04.50", "point for decimals")]
    [InlineData("1e3", "not a number")]
    [InlineData("1204.", "not a number")]
    [InlineData(".5", "not a number")]
    [InlineData("NaN", "not a number")]
    [InlineData("", "empty")]
    [InlineData("99999999999999999999", "too large")]
    public void Carats_that_are_not_exact_to_the_hundredth_are_refused(string text, string reason)
    {
        Assert.False(Carats.TryParse(text, out _));
        Assert.False(Carats.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
        var thrown = Assert.Throws<FormatException>(() => Carats.Parse(text));
        Assert.Contains(reason, thrown.Message);
    }

    [Theory]
    [InlineData("1234567.89", 123_456_789)]
    [InlineData("1,234,567.89", 123_456_789)]
    [InlineData("US$ 1,234,567.89", 123_456_789)]
    [InlineData("US$1000", 100_000)]
    [InlineData("0", 0)]
    public void Dollars_are_read_exactly(string text, long cents)
    {
        Assert.True(UsDollars.TryParse(text, out var dollars));
        Assert.Equal(new UsDollars(cents), dollars);
        Assert.Equal(dollars, UsDollars.Parse(text));
    }

    [Theory]
    [InlineData("1234567.891")]
    [InlineData("€ 12")]
    [InlineData("12.3.4")]
    [InlineData(null)]
    public void Dollars_that_are_not_exact_to_the_cent_are_refused(string? text)
    {
        Assert.False(UsDollars.TryParse(text, out _));
    }

    [Theory]
    [InlineData(120450)]
    [InlineData(-7)]
    [InlineData(long.MaxValue)]
    public void What_is_written_reads_back_the_same(long amount)
    {
        Assert.Equal(new Carats(amount), Carats.Parse(new Carats(amount).ToString()));
        Assert.Equal(new UsDollars(amount), UsDollars.Parse(new UsDollars(amount).ToString()));
    }
}
