using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using KpNode.Cli;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Tests.Operations;
using KpNode.Wire.V1;
using LiteDB;

namespace KpNode.Tests.Hostile;

/// <summary>
/// A stopped node's store edited by someone with the file: a carat figure, a byte of an envelope, a receipt, an
/// audit entry. The node must notice at start (health NOT_SERVING naming the record) and must neither serve, sign an
/// answer about, nor count what no longer verifies; everything else goes on.
/// </summary>
public sealed class TamperedStoreTests : IAsyncLifetime
{
    private const long AddedCarats = 870_000; // 1,204.50 ct becomes 9,904.50 ct
    private TestNetwork _net = null!;
    private string _tampered = "";
    private string _intact = "";

    public async Task InitializeAsync()
    {
        _net = await TestNetwork.StartAsync("ZA", "BE");
        _tampered = await _net.DeliverAsync("ZA", "BE");
        _intact = await _net.DeliverAsync("ZA", "BE");
    }

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Fact]
    public async Task An_untouched_store_passes_the_check_at_start_and_serves()
    {
        await RestartAsync("ZA", _ => { });

        await _net["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1700);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await Health("ZA")).Status);
        Assert.NotNull(await _net.FindAsync("ZA", _tampered));
    }

    [Fact]
    public async Task A_changed_carat_figure_is_named_at_start_and_is_neither_served_nor_answered_for_nor_counted()
    {
        var signed = (await _net.FindAsync("ZA", _tampered))!.Certificate;
        _net["ZA"].Logs.ExpectErrors(r => r.Id.Id is 1701 or 1702);
        await RestartAsync("ZA", db =>
        {
            var certificates = db.GetCollection(KpNode.Storage.NodeStore.CertificatesCollection);
            var document = certificates.FindById(_tampered);
            document["CaratsHundredths"] = document["CaratsHundredths"].AsInt64 + AddedCarats;
            Assert.True(certificates.Update(document));
        });

        var damage = await DamageNamedAsync("ZA", $"certificate {_tampered}");
        Assert.Contains("carats", damage, StringComparison.Ordinal);

        // The Local API: the record is refused, the others served.
        var get = await Assert.ThrowsAsync<RpcException>(() => Client("ZA").Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = _tampered }).ResponseAsync);
        Assert.Equal(StatusCode.DataLoss, get.StatusCode);
        Assert.Contains(_tampered, get.Status.Detail, StringComparison.Ordinal);
        Assert.NotNull(await _net.FindAsync("ZA", _intact));
        var list = await Client("ZA").Api.ListCertificatesAsync(new ListCertificatesRequest());
        Assert.Equal($"certificate {_tampered}", Assert.Single(list.SkippedDamagedRecords));
        Assert.Contains(list.Records, r => r.Certificate.Number == _intact);
        Assert.DoesNotContain(list.Records, r => r.Certificate.Number == _tampered);

        // Statistics are not computed from it.
        var quarter = $"{DateTime.UtcNow.Year}Q{(DateTime.UtcNow.Month - 1) / 3 + 1}";
        var stats = await Assert.ThrowsAsync<RpcException>(() => Client("ZA").Api.GetStatisticsAsync(new GetStatisticsRequest { Period = quarter }).ResponseAsync);
        Assert.Equal(StatusCode.DataLoss, stats.StatusCode);
        Assert.Contains(_tampered, stats.Status.Detail, StringComparison.Ordinal);

        // The importer's question with the paper's true figure, by a gRPC stack that is not ours: no signed GENUINE.
        var question = new CheckAuthenticityRequest { CertificateNumber = _tampered, CaratsHundredths = signed.CaratsHundredths + AddedCarats };
        var answer = await RawPeerCallAsync("/kp.v1.PeerExchangeService/CheckAuthenticity", question);
        Assert.StartsWith("DATA_LOSS ", answer, StringComparison.Ordinal);
        Assert.Contains(_tampered, answer, StringComparison.Ordinal);

        // Asked through the importer's own node, its officer is told the issuer could not answer.
        var check = await Assert.ThrowsAsync<RpcException>(() => Client("BE").Api.CheckCertificateAsync(new CheckCertificateRequest
        {
            Issuer = "ZA",
            CertificateNumber = _tampered,
            CaratsHundredths = signed.CaratsHundredths,
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, check.StatusCode);
        Assert.Contains("DataLoss", check.Status.Detail, StringComparison.Ordinal);

        // The intact certificate is still answered for, and new trade still flows.
        var intact = (await _net.FindAsync("ZA", _intact))!.Certificate;
        var genuine = await Client("BE").Api.CheckCertificateAsync(new CheckCertificateRequest
        {
            Issuer = "ZA",
            CertificateNumber = _intact,
            CaratsHundredths = intact.CaratsHundredths,
        });
        Assert.Equal(AuthenticityVerdict.Genuine, genuine.Verdict);
        await _net.DeliverAsync("ZA", "BE");
    }

    [Fact]
    public async Task A_changed_byte_in_a_received_envelope_is_named_and_the_certificate_is_not_served()
    {
        _net["BE"].Logs.ExpectErrors(r => r.Id.Id is 1701 or 1702);
        var message = (await _net.FindAsync("BE", _tampered))!.Certificate.Importer.Name;
        await RestartAsync("BE", db =>
        {
            var messages = db.GetCollection(KpNode.Storage.NodeStore.MessagesCollection);
            var document = messages.FindOne(Query.EQ("CertificateNumber", _tampered));
            var envelope = document["Envelope"].AsBinary;
            var at = envelope.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(message));
            Assert.True(at > 0, "the importer's name is in the stored envelope");
            envelope[at] ^= 0x01;
            document["Envelope"] = envelope;
            Assert.True(messages.Update(document));
        });

        var damage = await DamageNamedAsync("BE", "message ");
        Assert.Contains(_tampered, damage, StringComparison.Ordinal);
        Assert.Contains("does not verify", damage, StringComparison.Ordinal);
        var get = await Assert.ThrowsAsync<RpcException>(() => Client("BE").Api.GetCertificateAsync(new GetCertificateRequest { CertificateNumber = _tampered }).ResponseAsync);
        Assert.Equal(StatusCode.DataLoss, get.StatusCode);
        Assert.NotNull(await _net.FindAsync("BE", _intact));
    }

    [Fact]
    public async Task A_changed_byte_in_a_sent_envelope_is_neither_signed_into_a_history_digest_nor_served_to_the_partner()
    {
        var agreed = await KpNodeProcess.RunAsync("reconcile", "--config", _net["ZA"].Config.FilePath, "BE");
        Assert.True(agreed.ExitCode == 0, agreed.Stdout + agreed.Stderr);
        var held = _net.Store("BE").FindPartnerHistory("ZA")!.HeldDigest;
        _net["ZA"].Logs.ExpectErrors(r => r.Id.Id is 1701 or 1702);
        var name = (await _net.FindAsync("ZA", _tampered))!.Certificate.Importer.Name;
        string tampered = "", intact = "";
        await RestartAsync("ZA", db =>
        {
            var messages = db.GetCollection(KpNode.Storage.NodeStore.MessagesCollection);
            var document = messages.FindOne(Query.EQ("CertificateNumber", _tampered));
            tampered = document["_id"].AsString;
            intact = messages.FindOne(Query.EQ("CertificateNumber", _intact))["_id"].AsString;
            // The stored hash and fields stay as they were: only a digest from the signed bytes sees the change.
            var envelope = document["Envelope"].AsBinary;
            var at = envelope.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(name));
            Assert.True(at > 0, "the importer's name is in the stored envelope");
            envelope[at] ^= 0x01;
            document["Envelope"] = envelope;
            Assert.True(messages.Update(document));
        });

        // Our own reconciliation: refused naming the record, before any digest is signed or sent.
        var ours = await KpNodeProcess.RunAsync("reconcile", "--config", _net["ZA"].Config.FilePath, "BE");
        Assert.True(ours.ExitCode != 0, ours.Stdout + ours.Stderr);
        Assert.Contains($"message {tampered}", ours.Stderr + ours.Stdout, StringComparison.Ordinal);
        // The partner's: BE's digest reaches ZA, and ZA answers DATA_LOSS instead of a digest of its own.
        var theirs = await KpNodeProcess.RunAsync("reconcile", "--config", _net["BE"].Config.FilePath, "ZA");
        Assert.True(theirs.ExitCode != 0, theirs.Stdout + theirs.Stderr);
        Assert.Contains($"message {tampered}", theirs.Stderr + theirs.Stdout, StringComparison.Ordinal);
        Assert.Equal(held, _net.Store("BE").FindPartnerHistory("ZA")!.HeldDigest);

        // The partner fetching the message to restore it, by a gRPC stack that is not ours: DATA_LOSS, the other one served.
        var fetched = await RawPeerCallAsync("/kp.v1.HistoryService/FetchMessage", new FetchMessageRequest { MessageId = tampered });
        Assert.StartsWith("DATA_LOSS ", fetched, StringComparison.Ordinal);
        Assert.Contains(tampered, fetched, StringComparison.Ordinal);
        Assert.StartsWith("OK ", await RawPeerCallAsync("/kp.v1.HistoryService/FetchMessage", new FetchMessageRequest { MessageId = intact }), StringComparison.Ordinal);

        // Named once, however many calls touched it.
        var damage = await DamageNamedAsync("ZA", $"message {tampered}");
        Assert.Contains("does not verify", damage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_payload_hash_in_a_partners_receipt_is_named_at_start()
    {
        _net["ZA"].Logs.ExpectErrors(r => r.Id.Id is 1701 or 1702);
        await RestartAsync("ZA", db =>
        {
            var messages = db.GetCollection(KpNode.Storage.NodeStore.MessagesCollection);
            var document = messages.FindOne(Query.EQ("CertificateNumber", _tampered));
            var receipt = document["ReceiptEnvelope"].AsBinary;
            var at = receipt.AsSpan().IndexOf(document["PayloadSha256"].AsBinary);
            Assert.True(at > 0, "the receipt carries the payload's hash");
            receipt[at + 5] ^= 0x80;
            document["ReceiptEnvelope"] = receipt;
            Assert.True(messages.Update(document));
        });

        var damage = await DamageNamedAsync("ZA", "message ");
        Assert.Contains("receipt", damage, StringComparison.Ordinal);
        Assert.Contains(_tampered, damage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_audit_entry_is_named_at_start()
    {
        _net["ZA"].Logs.ExpectErrors(r => r.Id.Id is 1701 or 1702);
        await RestartAsync("ZA", db =>
        {
            var audit = db.GetCollection(KpNode.Storage.NodeStore.AuditCollection);
            var entry = audit.FindById(2);
            entry["Detail"] = entry["Detail"].AsString + " ";
            Assert.True(audit.Update(entry));
        });

        var damage = await DamageNamedAsync("ZA", "audit entry 2");
        Assert.Contains("changed after it was written", damage, StringComparison.Ordinal);
        Assert.NotNull(await _net.FindAsync("ZA", _intact));
    }

    // Stops the node, edits its store file as someone with the file would, and starts it again.
    private async Task RestartAsync(string code, Action<LiteDatabase> edit)
    {
        await _net[code].StopAsync();
        using (var db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(_net[code].Config.Options.DataDirectory, "kpnode.db"), Connection = ConnectionType.Direct }))
            edit(db);
        await _net[code].StartAsync();
        _clients.Remove(code);
    }

    // Health turns NOT_SERVING once the check at start reaches the record, on both endpoints; the status names it.
    private async Task<string> DamageNamedAsync(string code, string record)
    {
        await Eventually.WaitAsync(() => Health(code), h => h.Status == HealthCheckResponse.Types.ServingStatus.NotServing,
            TimeSpan.FromSeconds(30), h => $"health stayed {h?.Status}");
        var status = await Client(code).Operations.GetNodeStatusAsync(new GetNodeStatusRequest());
        Assert.False(status.Healthy);
        Assert.Contains(record, status.HealthDetail, StringComparison.Ordinal);
        var logged = Assert.Single(_net[code].Logs.Entries, r => r.Id.Id == 1702);
        Assert.Contains(record, logged.Message, StringComparison.Ordinal);
        using var http = new HttpClient();
        Assert.Equal(1, MetricsTests.Sample(await http.GetStringAsync(status.MetricsUrl), "kpnode_store_damaged_records"));
        return status.HealthDetail;
    }

    private Task<HealthCheckResponse> Health(string code) => Client(code).Health.CheckAsync(new HealthCheckRequest()).ResponseAsync;

    private readonly Dictionary<string, LocalApiClient> _clients = [];

    private LocalApiClient Client(string code)
    {
        if (!_clients.TryGetValue(code, out var client))
            _clients[code] = client = LocalApiClient.Connect(_net[code].Config, _net[code].Host!.LocalPort);
        return client;
    }

    // One call on ZA's Peer API as partner BE, through python3-grpcio; its one-line answer.
    private async Task<string> RawPeerCallAsync(string method, IMessage request)
    {
        await ThirdPartyTools.RequirePythonGrpcAsync();
        var file = Path.Combine(_net.Root, $"calls-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, $"{method} {Convert.ToHexString(request.ToByteArray())}\n");
        string Pki(string code, string name) => Path.Combine(_net.PkiDir(code), name);
        var run = await ThirdPartyTools.RunAsync(ThirdPartyTools.Python,
            [Path.Combine(KpNodeProcess.RepoRoot(), "tests", "clients", "grpc_raw_calls.py"), $"127.0.0.1:{_net["ZA"].Host!.PeerPort}",
             Pki("ZA", "root.crt"), Pki("BE", "node.crt"), Pki("BE", "node.key"), file], TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, $"{run.Stdout}\n{run.Stderr}");
        return run.Stdout.Trim();
    }
}
