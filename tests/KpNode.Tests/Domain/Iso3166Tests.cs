using KpNode.Domain;

namespace KpNode.Tests.Domain;

public class Iso3166Tests
{
    [Fact]
    public void The_table_holds_all_249_officially_assigned_codes_once()
    {
        Assert.Equal(249, Iso3166.Codes.Count);
        Assert.Equal(249, Iso3166.Codes.Distinct().Count());
        Assert.All(Iso3166.Codes, code => Assert.Matches("^[A-Z]{2}$", code));
        Assert.All(Iso3166.Codes, code => Assert.False(string.IsNullOrWhiteSpace(Iso3166.NameOf(code))));
    }

    [Theory]
    [InlineData("SS", "South Sudan")]
    [InlineData("AQ", "Antarctica")]
    [InlineData("BQ", "Bonaire, Sint Eustatius and Saba")]
    [InlineData("CW", "Curaçao")]
    [InlineData("ZA", "South Africa")]
    [InlineData("BW", "Botswana")]
    [InlineData("TW", "Taiwan, Province of China")]
    public void Assigned_codes_are_known_with_their_english_short_name(string code, string name)
    {
        Assert.True(Iso3166.IsAssigned(code));
        Assert.Equal(name, Iso3166.NameOf(code));
    }

    [Theory]
    [InlineData("XK")] // Kosovo: user-assigned, not an ISO code
    [InlineData("EU")] // exceptionally reserved
    [InlineData("UK")] // exceptionally reserved; the code is GB
    [InlineData("AN")] // Netherlands Antilles, withdrawn 2010
    [InlineData("YU")]
    [InlineData("AA")]
    [InlineData("")]
    [InlineData(null)]
    public void Reserved_withdrawn_and_made_up_codes_are_not_assigned(string? code)
    {
        Assert.False(Iso3166.IsAssigned(code));
        Assert.Null(Iso3166.NameOf(code));
    }

    [Theory]
    [InlineData("za")]
    [InlineData("Za")]
    [InlineData(" ZA")]
    [InlineData("ZAF")]
    public void Only_the_two_capital_letters_count(string code)
    {
        Assert.False(Iso3166.IsAssigned(code));
    }
}
