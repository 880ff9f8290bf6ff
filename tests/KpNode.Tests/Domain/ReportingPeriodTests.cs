using KpNode.Domain;

namespace KpNode.Tests.Domain;

public sealed class ReportingPeriodTests
{
    [Theory]
    [InlineData("2026Q4", "2026-10-01", "2026-12-31", true)]
    [InlineData("2024Q1", "2024-01-01", "2024-03-31", true)]
    [InlineData("2024-02", "2024-02-01", "2024-02-29", false)]
    [InlineData("2026", "2026-01-01", "2026-12-31", false)]
    [InlineData(" 2026Q3 ", "2026-07-01", "2026-09-30", true)]
    public void A_period_is_the_days_its_name_says(string text, string first, string last, bool quarter)
    {
        var period = ReportingPeriod.Parse(text)!;
        Assert.Equal(DateOnly.Parse(first, System.Globalization.CultureInfo.InvariantCulture), period.First);
        Assert.Equal(DateOnly.Parse(last, System.Globalization.CultureInfo.InvariantCulture), period.Last);
        Assert.Equal(quarter, period.IsQuarter);
    }

    [Theory]
    [InlineData("2026Q5")]
    [InlineData("2026-13")]
    [InlineData("1999Q4")]
    [InlineData("9999")]
    [InlineData("2026q4")]
    [InlineData("")]
    public void Anything_else_is_no_period(string text) => Assert.Null(ReportingPeriod.Parse(text));

    [Fact]
    public void Statistics_take_quarters_only_and_only_those_a_certificate_can_fall_in()
    {
        Assert.Equal((new DateOnly(2026, 10, 1), new DateOnly(2026, 12, 31)), TradeStatistics.ParsePeriod("2026Q4"));
        Assert.Null(TradeStatistics.ParsePeriod("2026-11"));
        Assert.Null(TradeStatistics.ParsePeriod("3000Q1"));
        Assert.Equal("2026Q4", ReportingPeriod.QuarterOf(new DateOnly(2026, 12, 3)).Label);
        Assert.Equal("2027Q1", ReportingPeriod.QuarterOf(new DateOnly(2027, 1, 1)).Label);
    }
}
