using Google.Protobuf;
using Grpc.Core;
using KpNode.Domain;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;

namespace KpNode.Tests.Hostile;

public sealed class SizeBoundsTests : IAsyncLifetime
{
    private TestNetwork _net = null!;

    public async Task InitializeAsync() => _net = await TestNetwork.StartAsync("ZA", "BE");

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Theory]
    [InlineData(2_000, "hsLines")]
    [InlineData(11_000, "envelope")]
    public async Task A_hundred_deliveries_of_an_oversized_certificate_are_refused_and_cost_the_store_nothing(int lines, string field)
    {
        using var za = _net.Credentials("ZA");
        var peer = _net.DialPeer("BE", za.NodeTls, _net.RootOf("BE"));
        using var signer = new EnvelopeSigner(za.DocumentSigning);
        var store = _net.Store("BE");
        var before = store.FileSizeBytes;

        for (var i = 0; i < 100; i++)
        {
            var message = HostileInputs.Issued("ZA", "BE");
            // Every line valid on its own, so only the count is wrong.
            message.Certificate.HsLines.Clear();
            for (var n = 0; n < lines; n++)
                message.Certificate.HsLines.Add(new KpNode.Wire.V1.HsLine { HsCode = "7102.10", CaratsHundredths = 1, ValueUsdCents = 1 });
            message.Certificate.CaratsHundredths = lines;
            message.Certificate.ValueUsdCents = lines;
            var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(new DeliverRequest
            {
                Envelope = signer.Sign(PayloadTypes.CertificateIssued, message.ToByteArray()),
            }).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains(field, e.Status.Detail, StringComparison.Ordinal);
        }

        Assert.InRange(store.FileSizeBytes - before, -8192, 8192);
        Assert.Empty(store.ReadAudit(0, 10));
    }

    [Fact]
    public void A_draft_with_thousands_of_HS_lines_is_refused_by_one_rule_naming_the_bound()
    {
        var draft = new CertificateDraft
        {
            HsLines = [.. Enumerable.Range(0, 11_000).Select(_ => new KpNode.Domain.HsLine("7102.10", new Carats(1), new UsDollars(1)))],
            OriginCountries = [.. Enumerable.Range(0, 300).Select(_ => "BW")],
        };
        var result = CertificateRules.Validate(draft, CertificateRulesContext.ForReceived(new DateOnly(2026, 12, 2), ["ZA"]));
        Assert.Single(result.Violations, v => v.Field == "hsLines" && v.Rule.Contains("11,000 HS lines is more than the 50", StringComparison.Ordinal));
        Assert.Single(result.Violations, v => v.Field == "originCountries" && v.Rule.Contains("300", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Violations, v => v.Field.StartsWith("hsLines[", StringComparison.Ordinal));
    }
}
