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

        DeliverRequest Oversized()
        {
            var message = HostileInputs.Issued("ZA", "BE");
            // Every line valid on its own, so only the count is wrong.
            message.Certificate.HsLines.Clear();
            for (var n = 0; n < lines; n++)
                message.Certificate.HsLines.Add(new KpNode.Wire.V1.HsLine { HsCode = "7102.10", CaratsHundredths = 1, ValueUsdCents = 1 });
            message.Certificate.CaratsHundredths = lines;
            message.Certificate.ValueUsdCents = lines;
            return new DeliverRequest { Envelope = signer.Sign(PayloadTypes.CertificateIssued, message.ToByteArray()) };
        }

        for (var i = 0; i < 50; i++)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => peer.DeliverAsync(Oversized()).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains(field, e.Status.Detail, StringComparison.Ordinal);
        }

        // The other half by a gRPC stack that is not ours, its bytes as built here.
        var answers = await RawDeliveriesAsync(Enumerable.Range(0, 50).Select(_ => Oversized()));
        Assert.Equal(50, answers.Count);
        Assert.All(answers, a =>
        {
            Assert.StartsWith("INVALID_ARGUMENT ", a, StringComparison.Ordinal);
            Assert.Contains(field, a, StringComparison.Ordinal);
        });

        Assert.InRange(store.FileSizeBytes - before, -8192, 8192);
        Assert.Empty(store.ReadAudit(0, 10));
    }

    // Each request's bytes on BE's Peer API as partner ZA, through python3-grpcio, in one run; one answer line each.
    private async Task<IReadOnlyList<string>> RawDeliveriesAsync(IEnumerable<DeliverRequest> requests)
    {
        await ThirdPartyTools.RequirePythonGrpcAsync();
        var file = Path.Combine(_net.Root, $"calls-{Guid.NewGuid():N}.txt");
        await File.WriteAllLinesAsync(file, requests.Select(r => $"/kp.v1.PeerExchangeService/Deliver {Convert.ToHexString(r.ToByteArray())}"));
        string Pki(string code, string name) => Path.Combine(_net.PkiDir(code), name);
        var run = await ThirdPartyTools.RunAsync(ThirdPartyTools.Python,
            [Path.Combine(KpNode.Tests.Cli.KpNodeProcess.RepoRoot(), "tests", "clients", "grpc_raw_calls.py"), $"127.0.0.1:{_net["BE"].Host!.PeerPort}",
             Pki("BE", "root.crt"), Pki("ZA", "node.crt"), Pki("ZA", "node.key"), file], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, $"{run.Stdout}\n{run.Stderr}");
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
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
