using System.Security.Cryptography.X509Certificates;
using KpNode.Trust;

namespace KpNode.Tests.Trust;

/// <summary>The CRL reader and the rules of the next list, without processes or nodes.</summary>
public sealed class RevocationListTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void A_serial_is_found_however_it_is_written_and_a_certificate_with_a_high_first_byte_matches_its_entry()
    {
        using var root = CertificateAuthority.CreateRoot("ZA", Now.AddDays(-1), Now.AddYears(1));
        var list = RevocationListIssuer.Revoke(root, null, "crl.pem", RevocationListIssuer.ParseSerial("8a:0b:0c"), X509RevocationReason.Superseded, Now, Now);

        Assert.NotNull(list.Find("008A0B0C"));
        Assert.NotNull(list.Find("8a0b0c"));
        Assert.Null(list.Find("8A0B0D"));
        Assert.True(list.IsSignedBy(root));
        Assert.Equal(1, (int)list.Number);
        Assert.True(list.NextUpdate - list.ThisUpdate == RevocationListIssuer.DefaultValidity);
    }

    [Fact]
    public void A_list_is_not_signed_by_a_look_alike_root_with_the_same_name_and_garbage_is_not_a_list()
    {
        using var root = CertificateAuthority.CreateRoot("ZA", Now.AddDays(-1), Now.AddYears(1));
        using var lookalike = CertificateAuthority.CreateRoot("ZA", Now.AddDays(-1), Now.AddYears(1));
        var list = RevocationListIssuer.Revoke(root, null, "crl.pem", RevocationListIssuer.ParseSerial("01"), X509RevocationReason.KeyCompromise, Now, Now);

        Assert.Equal(root.Subject, lookalike.Subject);
        Assert.False(list.IsSignedBy(lookalike));
        var e = Assert.Throws<RevocationListException>(() => RevocationList.Verified(list.Der, lookalike, "ZA"));
        Assert.Contains("not signed by ZA's root", e.Message);
        Assert.Throws<RevocationListException>(() => RevocationList.Parse([0x30, 0x03, 0x02, 0x01, 0x01]));
        Assert.Throws<RevocationListException>(() => RevocationList.Parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"u8));
    }

    [Fact]
    public void An_effective_time_between_seconds_is_rounded_up_so_nothing_signed_before_it_falls_after()
    {
        using var root = CertificateAuthority.CreateRoot("ZA", Now.AddDays(-1), Now.AddYears(1));
        var at = DateTimeOffset.FromUnixTimeSeconds(Now.ToUnixTimeSeconds() - 10).AddMilliseconds(300);
        var list = RevocationListIssuer.Revoke(root, null, "crl.pem", RevocationListIssuer.ParseSerial("01"), X509RevocationReason.KeyCompromise, at, Now);

        Assert.Equal(at.ToUnixTimeSeconds() + 1, list.Entries.Single().EffectiveAt.ToUnixTimeSeconds());
    }
}
