using System.Collections.Concurrent;
using Grpc.Core;
using KpNode.Cli;
using KpNode.Wire.V1;

namespace KpNode.Tests.Exchange;

public sealed class CrashSafetyTests
{
    private const int Certificates = 200;

    [Fact]
    public async Task Sender_killed_in_the_middle_of_200_certificates_delivers_each_exactly_once_after_restart()
    {
        await using var net = await NetworkAsync(inProcess: "BE");
        // A caller killed in the middle of a call can break BE's handler of it before gRPC sees the request aborted, and
        // gRPC then logs that as an error; what BE stored is checked below.
        net["BE"].Logs.ExpectErrors(e => e.Category == "Grpc.AspNetCore.Server.ServerCallHandler"
            && e.Message.Contains("'Deliver'", StringComparison.Ordinal));
        var acked = new ConcurrentBag<string>();
        using (var za = await StartChildAsync(net, "ZA"))
        {
            await IssueUntilAsync(net, acked, stopAfter: 60, onStop: za.Kill);
        }

        using (await StartChildAsync(net, "ZA"))
        {
            await IssueUntilAsync(net, acked, stopAfter: Certificates - acked.Count, onStop: () => { });
            await AssertEachDeliveredOnceAsync(net, acked);
        }
    }

    [Fact]
    public async Task Receiver_killed_in_the_middle_of_200_certificates_gets_each_exactly_once_after_restart()
    {
        await using var net = await NetworkAsync(inProcess: "ZA");
        var acked = new ConcurrentBag<string>();
        using (var be = await StartChildAsync(net, "BE"))
        {
            await IssueUntilAsync(net, acked, stopAfter: 80, onStop: be.Kill);
        }

        await IssueUntilAsync(net, acked, stopAfter: Certificates - acked.Count, onStop: () => { });
        using (await StartChildAsync(net, "BE"))
        {
            await AssertEachDeliveredOnceAsync(net, acked);
        }
    }

    private static async Task<TestNetwork> NetworkAsync(string inProcess)
    {
        var net = await TestNetwork.StartAsync("ZA", "BE");
        foreach (var code in new[] { "ZA", "BE" }.Where(c => c != inProcess))
        {
            await net[code].StopAsync();
        }

        return net;
    }

    private static Task<ChildNode> StartChildAsync(TestNetwork net, string code) => ChildNode.StartAsync(net[code]);

    /// <summary>Issues ZA -> BE from 8 concurrent callers; after <paramref name="stopAfter"/> acknowledged, runs onStop (a crash) and ends.</summary>
    private static async Task IssueUntilAsync(TestNetwork net, ConcurrentBag<string> acked, int stopAfter, Action onStop)
    {
        var target = acked.Count + stopAfter;
        var stopped = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 8), async (_, _) =>
        {
            while (Volatile.Read(ref stopped) == 0)
            {
                try
                {
                    var record = (await net["ZA"].Client.Api.IssueCertificateAsync(
                        new IssueCertificateRequest { Draft = DemoDrafts.Draft("ZA", "BE") })).Record;
                    acked.Add(record.Certificate.Number);
                    if (acked.Count >= target && Interlocked.Exchange(ref stopped, 1) == 0)
                    {
                        onStop();
                    }
                }
                catch (RpcException) when (Volatile.Read(ref stopped) == 1)
                {
                    return; // the node was killed under this call
                }
            }
        });
    }

    private static async Task AssertEachDeliveredOnceAsync(TestNetwork net, ConcurrentBag<string> acked)
    {
        Assert.True(acked.Count >= Certificates, $"only {acked.Count} certificates were acknowledged");
        var (atZa, atBe) = await Eventually.WaitAsync(async () => (await ListAsync(net, "ZA"), await ListAsync(net, "BE")),
            both => both.Item1.All(r => r.Status == CertificateStatus.Delivered) && both.Item2.Count == both.Item1.Count,
            TimeSpan.FromSeconds(90),
            last => $"not all delivered in time: ZA {last.Item1?.Count(r => r.Status == CertificateStatus.Delivered)}/{last.Item1?.Count} delivered, BE holds {last.Item2?.Count}");

        // Everything acknowledged to the issuer survived the crash; what was committed unacknowledged is delivered too.
        var issued = atZa.Select(r => r.Certificate.Number).ToHashSet();
        Assert.Subset(issued, acked.ToHashSet());
        Assert.Equal(issued.Order(), atBe.Select(r => r.Certificate.Number).Order());
        Assert.All(atBe, r => Assert.Equal(CertificateStatus.Received, r.Status));
        // Exactly once: each certificate arrived as one message, and each receipt ZA holds is the one BE stored.
        foreach (var number in issued)
        {
            var atExporter = await net.FindAsync("ZA", number);
            var atImporter = await net.FindAsync("BE", number);
            Assert.False(atExporter!.ReceiptEnvelope.IsEmpty);
            Assert.Equal(atImporter!.ReceiptEnvelope, atExporter.ReceiptEnvelope);
            Assert.Equal(atExporter.CertificateEnvelope, atImporter.CertificateEnvelope);
        }
    }

    private static async Task<List<CertificateRecord>> ListAsync(TestNetwork net, string code)
    {
        var all = new List<CertificateRecord>();
        var token = "";
        do
        {
            var page = await net[code].Client.Api.ListCertificatesAsync(new ListCertificatesRequest { PageSize = 1000, PageToken = token });
            all.AddRange(page.Records);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return all;
    }
}
