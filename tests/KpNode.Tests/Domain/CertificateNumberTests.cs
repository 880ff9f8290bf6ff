using KpNode.Domain;

namespace KpNode.Tests.Domain;

public class CertificateNumberTests
{
    [Theory]
    [InlineData("ZA", 2026, 1, "ZA-2026-000001")]
    [InlineData("BE", 2026, 123456, "BE-2026-123456")]
    [InlineData("BE", 2026, 1234567, "BE-2026-1234567")]
    [InlineData("BEANR", 2027, 42, "BEANR-2027-000042")]
    public void Numbers_are_prefix_year_and_a_zero_padded_sequence(string prefix, int year, long sequence, string expected)
    {
        var number = CertificateNumber.Format(prefix, year, sequence);

        Assert.Equal(expected, number);
        Assert.True(CertificateNumber.IsWellFormed(number));
        Assert.Equal(prefix, CertificateNumber.Prefix(number));
    }

    [Fact]
    public void The_largest_sequence_still_makes_a_well_formed_number()
    {
        Assert.True(CertificateNumber.IsWellFormed(CertificateNumber.Format("ZA", 9999, long.MaxValue)));
    }

    [Theory]
    [InlineData("za")]
    [InlineData("Z")]
    [InlineData("1A")]
    [InlineData("ZA-")]
    [InlineData("ABCDEFGHI")]
    public void A_malformed_prefix_cannot_be_used(string prefix)
    {
        Assert.Throws<ArgumentException>(() => CertificateNumber.Format(prefix, 2026, 1));
    }

    [Theory]
    [InlineData(999, 1)]
    [InlineData(10000, 1)]
    [InlineData(2026, 0)]
    [InlineData(2026, -1)]
    public void Year_and_sequence_must_fit_the_format(int year, long sequence)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CertificateNumber.Format("ZA", year, sequence));
    }

    [Theory]
    [InlineData("ZA-2026-000123", true)]
    [InlineData("BEANR-2026-000123", true)]
    [InlineData("AB12-2026-000123", true)]
    [InlineData("ZA-2026-00012", false)]
    [InlineData("ZA-26-000123", false)]
    [InlineData("za-2026-000123", false)]
    [InlineData("ZA-2026-000123\n", false)]
    [InlineData("ZA-2026-٠٠٠١٢٣", false)]
    [InlineData("ZA2026000123", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Well_formed_numbers(string? number, bool wellFormed)
    {
        Assert.Equal(wellFormed, CertificateNumber.IsWellFormed(number));
    }

    [Fact]
    public void A_malformed_number_has_no_prefix()
    {
        Assert.Null(CertificateNumber.Prefix("not a number"));
    }
}
