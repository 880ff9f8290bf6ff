using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

public sealed class AuthenticityTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE", "AE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private Task<CheckCertificateResponse> CheckAsync(string asker, string number, int parcels = 0, long carats = 0) =>
        _net[asker].Client.Api.CheckCertificateAsync(new CheckCertificateRequest
        {
            Issuer = "ZA",
            CertificateNumber = number,
            Parcels = parcels,
            CaratsHundredths = carats,
        }).ResponseAsync;

    [Fact]
    public async Task The_issuer_confirms_a_genuine_certificate_in_a_signed_statement()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var held = (await _net.FindAsync("BE", number))!.Certificate;
        var answer = await CheckAsync("BE", number, held.Parcels, held.CaratsHundredths);
        Assert.Equal(AuthenticityVerdict.Genuine, answer.Verdict);
        var statement = AuthenticityStatement.Parser.ParseFrom(
            new EnvelopeVerifier(new TrustChain()).Verify(answer.Statement, [_net.RootOf("ZA")], DateTimeOffset.UtcNow).Payload.Span);
        Assert.Equal(number, statement.CertificateNumber);
        Assert.Equal("BE", statement.AskedBy);
    }

    [Fact]
    public async Task Figures_that_differ_from_the_issued_certificate_are_a_mismatch_naming_them()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var held = (await _net.FindAsync("BE", number))!.Certificate;
        var answer = await CheckAsync("BE", number, held.Parcels, held.CaratsHundredths + 10_000);
        Assert.Equal(AuthenticityVerdict.Mismatch, answer.Verdict);
        Assert.Single(answer.Mismatches);
        Assert.StartsWith("carats:", answer.Mismatches[0]);
    }

    [Fact]
    public async Task A_voided_certificate_is_reported_as_voided()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        await _net["ZA"].Client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = number, Reason = "shipment not sent" });
        Assert.Equal(AuthenticityVerdict.Voided, (await CheckAsync("BE", number)).Verdict);
    }

    [Fact]
    public async Task An_unknown_number_is_unknown()
    {
        Assert.Equal(AuthenticityVerdict.Unknown, (await CheckAsync("BE", $"ZA-{DateTime.UtcNow.Year}-999999")).Verdict);
    }

    [Fact]
    public async Task A_stranger_learns_nothing_about_a_certificate_issued_to_another_participant()
    {
        var number = await _net.DeliverAsync("ZA", "BE");
        var held = (await _net.FindAsync("BE", number))!.Certificate;
        var answer = await CheckAsync("AE", number, held.Parcels, held.CaratsHundredths);
        Assert.Equal(AuthenticityVerdict.Unknown, answer.Verdict);
        Assert.Empty(answer.Mismatches);
    }

    [Fact]
    public async Task Asking_an_issuer_that_is_not_a_partner_is_refused_naming_the_field()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _net["BE"].Client.Api.CheckCertificateAsync(new CheckCertificateRequest
        {
            Issuer = "CA",
            CertificateNumber = "CA-2026-000001",
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("issuer:", e.Status.Detail);
    }
}
