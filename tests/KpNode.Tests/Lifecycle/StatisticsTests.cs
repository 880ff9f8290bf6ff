using Grpc.Core;
using KpNode.Tests.Exchange;
using KpNode.Wire.V1;

namespace KpNode.Tests.Lifecycle;

public sealed class StatisticsTests
{
    private static readonly string Quarter = $"{DateTime.UtcNow.Year}Q{(DateTime.UtcNow.Month - 1) / 3 + 1}";

    /// <summary>A draft with exactly these HS lines: (code, hundredths of a carat, US cents).</summary>
    private static Action<Certificate> Lines(params (string Code, long Carats, long Cents)[] lines) => d =>
    {
        d.HsLines.Clear();
        foreach (var (code, carats, cents) in lines)
        {
            d.HsLines.Add(new HsLine { HsCode = code, CaratsHundredths = carats, ValueUsdCents = cents });
        }

        d.CaratsHundredths = lines.Sum(l => l.Carats);
        d.ValueUsdCents = lines.Sum(l => l.Cents);
    };

    [Fact]
    public async Task Quarterly_statistics_match_hand_computed_totals()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE", "AE");
        // Exports ZA -> BE: two counted, one voided (not trade).
        var a = await net.DeliverAsync("ZA", "BE", Lines(("7102.31", 100_050, 4_000_000_00), ("7102.21", 20_000, 30_000_00)));
        var b = await net.DeliverAsync("ZA", "BE", Lines(("7102.31", 50_025, 2_500_000_50)));
        var voided = await net.DeliverAsync("ZA", "BE", Lines(("7102.10", 999_999, 1_00)));
        await net["ZA"].Client.Api.VoidCertificateAsync(new VoidCertificateRequest { CertificateNumber = voided, Reason = "shipment not sent" });
        // Export ZA -> AE, and an import BE -> ZA.
        var c = await net.DeliverAsync("ZA", "AE", Lines(("7102.10", 12_345, 67_890_12)));
        var d = await net.DeliverAsync("BE", "ZA", Lines(("7102.21", 7_500, 1_234_56)));
        await net.ConfirmAsync("BE", b);
        await net.WaitForAsync("ZA", b, r => r.Status == CertificateStatus.Confirmed);

        var s = await net["ZA"].Client.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = Quarter });

        TradeRow Row(TradeFlow f, string p, string code) => s.Rows.Single(r => r.Flow == f && r.Partner == p && r.HsCode == code);
        Assert.Equal((2L, 150_075L, 6_500_000_50L), Tuple(Row(TradeFlow.Export, "BE", "7102.31")));
        Assert.Equal((1L, 20_000L, 30_000_00L), Tuple(Row(TradeFlow.Export, "BE", "7102.21")));
        Assert.DoesNotContain(s.Rows, r => r.Partner == "BE" && r.HsCode == "7102.10");
        Assert.Equal((1L, 12_345L, 67_890_12L), Tuple(Row(TradeFlow.Export, "AE", "7102.10")));
        Assert.Equal((1L, 7_500L, 1_234_56L), Tuple(Row(TradeFlow.Import, "BE", "7102.21")));

        var exportsToBe = s.PartnerTotals.Single(t => t.Flow == TradeFlow.Export && t.Partner == "BE");
        Assert.Equal((2L, 170_075L, 6_530_000_50L), Tuple(exportsToBe));
        var allExports = s.FlowTotals.Single(t => t.Flow == TradeFlow.Export);
        Assert.Equal((3L, 182_420L, 6_597_890_62L), Tuple(allExports));

        // Issued but never confirmed: a and c (b is confirmed, the voided one is not trade).
        Assert.Equal(new[] { a, c }.Order(), s.Unconfirmed.Select(u => u.Number).Order());
        Assert.DoesNotContain(s.Unconfirmed, u => u.Number == d);

        var csv = KpNode.Wire.StatisticsMapping.ToCsv(s);
        Assert.Contains($"ZA,{Quarter},export,BE,7102.31,2,1500.75,6500000.50", csv);
        Assert.Contains($"ZA,{Quarter},export,all,all,3,1824.20,6597890.62", csv);
    }

    [Fact]
    public async Task A_period_that_is_not_a_quarter_is_refused_naming_the_field()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            net["ZA"].Client.Api.GetStatisticsAsync(new GetStatisticsRequest { Period = "2026-Q3" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.StartsWith("period:", e.Status.Detail);
    }

    private static (long, long, long) Tuple(TradeRow r) => (r.Certificates, r.CaratsHundredths, r.ValueUsdCents);
}
