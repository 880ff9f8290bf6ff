using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using KpNode.Cli;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using Microsoft.Extensions.DependencyInjection;

namespace KpNode.Tests.Storage;

/// <summary>
/// A store file damaged on disk, as a failing disk or a stray write leaves it: the damaged record is refused by name,
/// the rest is served, partners hear the node is not serving, and <c>kpnode store check --rebuild</c> mends it.
/// </summary>
public sealed class DamagedStoreTests
{
    private const int PageSize = 8192;

    [Fact]
    public async Task A_certificate_with_a_damaged_BSON_type_byte_is_refused_by_name_while_the_rest_is_served()
    {
        await using var network = await TestNetwork.StartAsync("ZA", "BE");
        var numbers = new List<string>();
        for (var i = 0; i < 3; i++)
            numbers.Add(await network.DeliverAsync("ZA", "BE"));
        var victim = numbers[1];
        // A string type where an Int64 was: LiteDB reads a length far past the document and closes its engine on it.
        await DamageAsync(network, victim, (bytes, document) => bytes[FieldType(bytes, document, "CaratsHundredths")] = 0x02);

        // A client of its own: the network's was connected to the node before its restart.
        using var client = LocalApiClient.Connect(network["ZA"].Config);
        var api = client.Api;
        var refused = await Assert.ThrowsAsync<RpcException>(() => api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = victim }).ResponseAsync);
        Assert.True(refused.StatusCode == StatusCode.DataLoss, $"{refused.StatusCode}: {refused.Status.Detail} {refused.Status.DebugException}");
        Assert.Contains($"certificate {victim}", refused.Status.Detail);
        foreach (var intact in numbers.Where(n => n != victim))
            Assert.Equal(CertificateStatus.Delivered, (await network.FindAsync("ZA", intact))!.Status);

        var listed = await api.ListCertificatesAsync(new ListCertificatesRequest());
        Assert.Equal(numbers.Where(n => n != victim).Order(), listed.Records.Select(r => r.Certificate.Number).Order());

        var issued = await network.DeliverAsync("ZA", "BE");
        Assert.NotEqual(victim, issued);
        var received = await network.DeliverAsync("BE", "ZA");
        Assert.Equal(CertificateStatus.Received, (await network.FindAsync("ZA", received))!.Status);

        Assert.Equal(PeerHealth.NotServing, (await SignedPingAsync(network, from: "BE", to: "ZA")).Health);
        Assert.Equal(PeerHealth.NotServing, (await PythonPingAsync(network, from: "BE", to: "ZA")).Health);
        var ping = await network["BE"].Client.Operations.PingPeerAsync(new PingPeerRequest { Partner = "ZA" });
        Assert.Equal(PeerHealth.NotServing, ping.PartnerHealth);
        Assert.Equal(PeerHealth.Serving, (await SignedPingAsync(network, from: "ZA", to: "BE")).Health);

        await network["ZA"].StopAsync();
        var check = await KpNodeProcess.RunAsync("store", "check", "--config", network["ZA"].Config.FilePath);
        Assert.Equal(3, check.ExitCode);
        Assert.Contains($"certificate {victim}", check.Stdout);

        var rebuild = await KpNodeProcess.RunAsync("store", "check", "--config", network["ZA"].Config.FilePath, "--rebuild", "--json");
        Assert.True(rebuild.ExitCode == 4, rebuild.Stdout + rebuild.Stderr);
        Assert.Contains(victim, rebuild.Stdout);
        Assert.Single(Directory.GetFiles(network["ZA"].Config.Options.DataDirectory, "kpnode.db.damaged-*"));

        var again = await KpNodeProcess.RunAsync("store", "check", "--config", network["ZA"].Config.FilePath);
        Assert.True(again.ExitCode == 0, again.Stdout + again.Stderr);

        await network["ZA"].StartAsync();
        Assert.Equal(PeerHealth.Serving, (await SignedPingAsync(network, from: "BE", to: "ZA")).Health);
        Assert.Equal(PeerHealth.Serving, (await PythonPingAsync(network, from: "BE", to: "ZA")).Health);
        foreach (var intact in numbers.Where(n => n != victim).Append(issued))
            Assert.Equal(CertificateStatus.Delivered, (await network.FindAsync("ZA", intact))!.Status);
        // The damaged one is rebuilt from the signed message that carried it, with BE's receipt.
        var restored = (await network.FindAsync("ZA", victim))!;
        Assert.Equal(CertificateStatus.Delivered, restored.Status);
        Assert.Equal((await network.FindAsync("BE", victim))!.Certificate.CaratsHundredths, restored.Certificate.CaratsHundredths);
        Assert.Equal(CertificateStatus.Received, (await network.FindAsync("ZA", received))!.Status);
        Assert.True(network.Store("ZA").VerifyAuditChain().IsIntact);
        var next = await network.DeliverAsync("ZA", "BE");
        Assert.True(string.CompareOrdinal(next, issued) > 0, $"{next} was issued after {issued}: a number must never be reused");
    }

    [Fact]
    public async Task A_damaged_page_header_refuses_the_certificates_on_that_page_and_the_rest_is_served()
    {
        await using var network = await TestNetwork.StartAsync("ZA", "BE");
        var numbers = new List<string>();
        for (var i = 0; i < 3; i++)
            numbers.Add(await network.DeliverAsync("ZA", "BE"));
        var inbound = await network.DeliverAsync("BE", "ZA");
        // The page type byte of the data page holding the certificate (LiteDB's BasePage: byte 4 of the page).
        await DamageAsync(network, numbers[1], (bytes, document) => bytes[document / PageSize * PageSize + 4] = 0x09);

        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            network["ZA"].Client.Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = numbers[1] }).ResponseAsync);
        Assert.Equal(StatusCode.DataLoss, refused.StatusCode);
        Assert.Contains($"certificate {numbers[1]}", refused.Status.Detail);
        Assert.Equal(PeerHealth.NotServing, (await SignedPingAsync(network, from: "BE", to: "ZA")).Health);
        // The damaged page is where LiteDB writes the next certificate: issuing is refused by name, not with UNKNOWN.
        var write = await Assert.ThrowsAsync<RpcException>(() => network.IssueAsync("ZA", "BE"));
        Assert.Equal(StatusCode.DataLoss, write.StatusCode);
        Assert.Contains("a page of the store this write needed", write.Status.Detail);
        // The node still answers what is not on that page: its messages, its audit log, its counts.
        Assert.Equal(PeerHealth.NotServing, (await PythonPingAsync(network, from: "BE", to: "ZA")).Health);
        var status = await network["ZA"].Client.Api.GetStatusAsync(new GetStatusRequest());
        Assert.NotNull(status);

        await network["ZA"].StopAsync();
        var check = await KpNodeProcess.RunAsync("store", "check", "--config", network["ZA"].Config.FilePath, "--rebuild");
        Assert.True(check.ExitCode == 4, check.Stdout + check.Stderr);
        Assert.Contains($"certificate {numbers[1]}", check.Stdout);

        await network["ZA"].StartAsync();
        Assert.Equal(PeerHealth.Serving, (await SignedPingAsync(network, from: "BE", to: "ZA")).Health);
        Assert.True(network.Store("ZA").VerifyAuditChain().IsIntact);
        // Every certificate of the page is rebuilt from the signed message that carried it (nothing followed those).
        foreach (var number in numbers)
            Assert.Equal(CertificateStatus.Delivered, (await network.FindAsync("ZA", number))!.Status);
        Assert.Equal(CertificateStatus.Received, (await network.FindAsync("ZA", inbound))!.Status);
        var issued = await network.DeliverAsync("ZA", "BE");
        Assert.DoesNotContain(issued, numbers);
    }

    [Fact]
    public async Task A_partner_whose_store_is_damaged_says_so_in_its_preflight_hello_and_our_status_shows_it()
    {
        await using var network = await TestNetwork.StartAsync("ZA", "BE");
        var victim = await network.DeliverAsync("ZA", "BE");
        await network["BE"].Logs.WaitForAsync(r => r.Id.Id == 1733 && r.Message.Contains("ZA", StringComparison.Ordinal));
        Assert.Empty((await LinkAsync(network, "BE", "ZA"))["preflightProblems"]!.AsArray());

        await DamageAsync(network, victim, (bytes, document) => bytes[FieldType(bytes, document, "CaratsHundredths")] = 0x02);
        // BE greets ZA again at its start: ZA's hello now carries ZA's own health checks.
        await network.RestartAsync("BE", []);
        await network["BE"].Logs.WaitForAsync(r => r.Id.Id == 1734 && r.Message.Contains("ZA's node says it is not serving", StringComparison.Ordinal));

        var problem = Assert.Single((await LinkAsync(network, "BE", "ZA"))["preflightProblems"]!.AsArray());
        Assert.Equal("health", problem!["kind"]!.GetValue<string>());
        Assert.Equal("ZA's node says it is not serving: its own health checks fail (a damaged or unreadable store)", problem["cause"]!.GetValue<string>());
        Assert.Contains("kpnode store check", problem["advice"]!.GetValue<string>(), StringComparison.Ordinal);
        using var http = new HttpClient();
        var page = await http.GetStringAsync(OperationsUrl(network["BE"]) + "/");
        Assert.Contains("node says it is not serving", page, StringComparison.Ordinal);
        var metrics = await http.GetStringAsync(OperationsUrl(network["BE"]) + "/metrics");
        Assert.Matches("kpnode_partner_preflight_problems\\{[^}]*partner=\"ZA\"[^}]*\\} 1", metrics);
        // ZA, damaged, still greets BE: a healthy partner shows no problem.
        await network["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1733 && r.Message.Contains("BE", StringComparison.Ordinal));
        Assert.Empty((await LinkAsync(network, "ZA", "BE"))["preflightProblems"]!.AsArray());
    }

    // <paramref name="from"/>'s partner link as 'kpnode status --json' prints it.
    private static async Task<JsonNode> LinkAsync(TestNetwork network, string from, string partner)
    {
        var status = await KpNodeProcess.RunAsync("status", "--config", network[from].Config.FilePath, "--json");
        Assert.True(status.ExitCode is 0 or 1, status.Stderr);
        return JsonNode.Parse(status.Stdout)!["partners"]!.AsArray().Single(p => p!["participant"]!.GetValue<string>() == partner)!;
    }

    private static string OperationsUrl(TestNode node) => node.Host!.Services.GetRequiredService<KpNode.Operations.OperationsEndpoint>().Url;

    // Stops the node, damages its file where the certificate's document is, and starts it again.
    private static async Task DamageAsync(TestNetwork network, string number, Action<byte[], int> damage)
    {
        await network["ZA"].StopAsync();
        var file = Path.Combine(network["ZA"].Config.Options.DataDirectory, "kpnode.db");
        var bytes = await File.ReadAllBytesAsync(file);
        damage(bytes, Document(bytes, number));
        await File.WriteAllBytesAsync(file, bytes);
        // The node logs what it found: that is the point.
        network["ZA"].Logs.ExpectErrors(_ => true);
        await network["ZA"].StartAsync();
    }

    // Where the certificate document's "_id" element (then "Direction", as CertificateDocument orders them) begins.
    private static int Document(byte[] bytes, string number)
    {
        var element = new byte[] { 0x02 }.Concat(Encoding.UTF8.GetBytes("_id\0")).Concat(BitConverter.GetBytes(number.Length + 1))
            .Concat(Encoding.UTF8.GetBytes(number + "\0")).Concat(new byte[] { 0x02 }).Concat(Encoding.UTF8.GetBytes("Direction\0")).ToArray();
        var at = bytes.AsSpan().IndexOf(element);
        Assert.True(at > 0, $"the document of {number} is not in the file");
        Assert.Equal(4, bytes[at / PageSize * PageSize + 4]); // a data page
        return at;
    }

    // The type byte of a field of the document: the byte before its name.
    private static int FieldType(byte[] bytes, int document, string field)
    {
        var at = bytes.AsSpan(document).IndexOf(Encoding.UTF8.GetBytes(field + "\0"));
        Assert.True(at > 0 && at < 4000, $"{field} is not in the document");
        return document + at - 1;
    }

    // A raw Peer API Ping from one node to another, its signed answer verified against the responder's root.
    private static async Task<PingAnswer> SignedPingAsync(TestNetwork network, string from, string to)
    {
        using var credentials = network.Credentials(from);
        var client = network.DialPeer(to, credentials.NodeTls, network.RootOf(to));
        var nonce = ByteString.CopyFrom(Guid.NewGuid().ToByteArray());
        return Verified(network, to, nonce, await client.PingAsync(new PingRequest { Nonce = nonce }));
    }

    // The same Ping made by python3-grpcio, a gRPC stack that is not ours.
    private static async Task<PingAnswer> PythonPingAsync(TestNetwork network, string from, string to)
    {
        await ThirdPartyTools.RequirePythonGrpcAsync();
        var nonce = ByteString.CopyFrom(Guid.NewGuid().ToByteArray());
        var script = Path.Combine(KpNodeProcess.RepoRoot(), "tests", "clients", "grpc_ping.py");
        var pki = network.PkiDir(from);
        var run = await ThirdPartyTools.RunAsync(ThirdPartyTools.Python,
            [script, $"localhost:{network[to].Host!.PeerPort}", Path.Combine(network.PkiDir(to), "root.crt"), Path.Combine(pki, "node.crt"),
                Path.Combine(pki, "node.key"), Convert.ToHexString(nonce.Span)], TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return Verified(network, to, nonce, PingResponse.Parser.ParseFrom(Convert.FromHexString(run.Stdout.Trim())));
    }

    private static PingAnswer Verified(TestNetwork network, string to, ByteString nonce, PingResponse response)
    {
        var verified = new EnvelopeVerifier(new TrustChain()).Verify(response.Answer, [network.RootOf(to)], DateTimeOffset.UtcNow);
        Assert.Equal(PayloadTypes.PingAnswer, verified.PayloadType);
        var answer = PingAnswer.Parser.ParseFrom(verified.Payload.Span);
        Assert.Equal(nonce, answer.Nonce);
        return answer;
    }
}
