using KpNode.Cli;
using KpNode.Evidence;
using KpNode.Tests.Trust;

namespace KpNode.Tests.Evidence;

public sealed class PrintTokenTests
{
    private static readonly DateTimeOffset Now = TrustTestData.Now;

    [Fact]
    public void A_token_signed_by_the_exporters_document_signer_verifies_against_its_root_alone()
    {
        using var za = TrustTestData.Pki("ZA");
        var verdict = CertificateToken.Verify(Token(za.DocumentSigning, Now), [za.Root]);
        Assert.True(verdict.IsValid, verdict.Reason);
        Assert.Equal("ZA-2026-000123", verdict.Claims!.Number);
        Assert.Equal("1204.50", verdict.Claims.Carats);
        Assert.Equal("KP ZA Document Signer", za.DocumentSigning.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false));
    }

    [Fact]
    public void A_partner_cannot_sign_a_token_for_another_exporter_even_with_both_roots_trusted()
    {
        using var za = TrustTestData.Pki("ZA");
        using var be = TrustTestData.Pki("BE");
        // BE's own signer puts exporter=ZA in the figures: the leaf names BE.
        var verdict = CertificateToken.Verify(Token(be.DocumentSigning, Now), [za.Root, be.Root]);
        Assert.False(verdict.IsValid);
        Assert.Contains("signed for participant BE, but names exporter ZA", verdict.Reason);
    }

    [Fact]
    public void A_token_signed_by_a_certificate_that_is_not_for_document_signing_is_refused()
    {
        using var za = TrustTestData.Pki("ZA");
        var verdict = CertificateToken.Verify(Token(za.Operator, Now), [za.Root]);
        Assert.False(verdict.IsValid);
    }

    [Fact]
    public void A_token_signed_after_its_signers_certificate_expired_is_refused()
    {
        using var za = TrustTestData.Pki("ZA");
        var verdict = CertificateToken.Verify(Token(za.DocumentSigning, za.DocumentSigning.NotAfter.ToUniversalTime().AddDays(1)), [za.Root]);
        Assert.False(verdict.IsValid);
        Assert.Contains("expired", verdict.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("")]
    [InlineData("KP2:ABC")]
    [InlineData("KP1:not base45!")]
    [InlineData("KP1:0000")]
    public void Text_that_is_not_a_token_is_refused_in_words(string text)
    {
        using var za = TrustTestData.Pki("ZA");
        var verdict = CertificateToken.Verify(text, [za.Root]);
        Assert.False(verdict.IsValid);
        Assert.NotEmpty(verdict.Reason);
        Assert.Null(verdict.Claims);
    }

    [Fact]
    public void Every_byte_of_a_token_is_covered_a_flipped_byte_never_verifies()
    {
        using var za = TrustTestData.Pki("ZA");
        var token = Token(za.DocumentSigning, Now);
        var binary = Base45.Decode(token[CertificateToken.Prefix.Length..])!;
        // Stepping through the whole token: claims, the leaf's DER and the signature.
        for (var i = 0; i < binary.Length; i += 7)
        {
            var changed = (byte[])binary.Clone();
            changed[i] ^= 0x01;
            Assert.False(CertificateToken.Verify(CertificateToken.Prefix + Base45.Encode(changed), [za.Root]).IsValid, $"byte {i} changed and still valid");
        }
    }

    [Fact]
    public void The_printed_pdf_has_a_qr_code_of_4_cm_at_ecc_level_m()
    {
        using var za = TrustTestData.Pki("ZA");
        var record = new Wire.V1.CertificateRecord { Certificate = Certificate() };
        var (pdf, qr) = CertificatePdf.Render(record, new PrintedEvidence(Token(za.DocumentSigning, Now), za.DocumentSigning.Subject, Now, new string('a', 64)));
        Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString(pdf, 0, 5));
        Assert.Equal(40, qr.SideMillimetres);
        Assert.InRange(qr.Version, 15, 30);
        Assert.True(qr.ModuleMillimetres >= 0.3, $"{qr.ModuleMillimetres} mm modules");
    }

    private static string Token(System.Security.Cryptography.X509Certificates.X509Certificate2 signer, DateTimeOffset at) =>
        CertificateToken.Sign(Certificate(), TrustTestData.Payload, at, signer);

    private static Wire.V1.Certificate Certificate()
    {
        var c = DemoDrafts.Draft("ZA", "BE");
        c.Number = "ZA-2026-000123";
        c.ExportingParticipant = "ZA";
        c.CaratsHundredths = 120450;
        return c;
    }
}
