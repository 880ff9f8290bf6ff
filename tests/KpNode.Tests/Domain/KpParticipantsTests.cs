using KpNode.Domain;

namespace KpNode.Tests.Domain;

public class KpParticipantsTests
{
    [Fact]
    public void There_are_60_participants_one_trading_entity_and_7_union_authorities()
    {
        Assert.Equal(60, KpParticipants.All.Count(p => p.Kind == ParticipantKind.Participant));
        Assert.Single(KpParticipants.All, p => p.Kind == ParticipantKind.TradingEntity);
        Assert.Equal(
            ["BE", "CZ", "DE", "IE", "IT", "PT", "RO"],
            KpParticipants.All.Where(p => p.Kind == ParticipantKind.UnionAuthority).Select(p => p.Code).Order());
        Assert.Equal(KpParticipants.All.Count, KpParticipants.All.Select(p => p.Code).Distinct().Count());
    }

    [Fact]
    public void Every_code_but_the_eu_is_an_assigned_iso_code()
    {
        Assert.All(KpParticipants.All.Where(p => p.Code != KpParticipants.EuropeanUnion),
            p => Assert.True(Iso3166.IsAssigned(p.Code), p.Code));
    }

    [Fact]
    public void The_eu_is_one_participant()
    {
        var eu = KpParticipants.Find("EU");

        Assert.NotNull(eu);
        Assert.Equal(ParticipantKind.Participant, eu.Kind);
        Assert.True(KpParticipants.IsEuropeanUnion("EU"));
        Assert.True(KpParticipants.IsEuropeanUnion("BE"));
        Assert.False(KpParticipants.IsEuropeanUnion("FR"));
        Assert.False(KpParticipants.IsEuropeanUnion("ZA"));
    }

    [Fact]
    public void Chinese_taipei_is_a_trading_entity()
    {
        Assert.Equal(ParticipantKind.TradingEntity, KpParticipants.Find("TW")?.Kind);
    }

    [Fact]
    public void Antwerp_is_a_union_authority()
    {
        var antwerp = KpParticipants.Find("BE");

        Assert.Equal(ParticipantKind.UnionAuthority, antwerp?.Kind);
        Assert.Contains("Antwerp", antwerp?.Name);
    }

    [Theory]
    [InlineData("ZA", true)]
    [InlineData("AE", true)]
    [InlineData("GB", true)]
    [InlineData("UZ", true)]
    [InlineData("KE", false)]
    [InlineData("FR", false)]
    [InlineData("za", false)]
    [InlineData(null, false)]
    public void Known_codes(string? code, bool known)
    {
        Assert.Equal(known, KpParticipants.IsKnown(code));
    }

    [Fact]
    public void The_eu_has_27_member_states()
    {
        Assert.Equal(27, KpParticipants.EuMemberStates.Count);
        Assert.All(KpParticipants.EuMemberStates, code => Assert.True(Iso3166.IsAssigned(code), code));
        Assert.Contains("HR", KpParticipants.EuMemberStates);
        Assert.DoesNotContain("GB", KpParticipants.EuMemberStates);
        Assert.All(KpParticipants.All.Where(p => p.Kind == ParticipantKind.UnionAuthority),
            p => Assert.Contains(p.Code, KpParticipants.EuMemberStates));
    }
}
