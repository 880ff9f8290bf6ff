using System.Net;
using System.Security.Authentication;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using KpNode.Tests.Cli;
using KpNode.Tests.Exchange;
using KpNode.Trust;
using KpNode.Wire;
using KpNode.Wire.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace KpNode.Tests.Operations;

/// <summary>
/// The pre-flight hello: before the first certificate, each node greets its partners with a signed hello and shows in
/// status every way they disagree, with its cause and what to do.
/// </summary>
public sealed class PreflightTests
{
    [Fact]
    public async Task Two_nodes_that_agree_show_a_preflight_hello_with_no_problem()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1733 && r.Message.Contains("BE", StringComparison.Ordinal));

        var link = await LinkAsync(net, "ZA", "BE");

        Assert.NotNull(link["preflightAt"]);
        Assert.Empty(link["preflightProblems"]!.AsArray());
        Assert.Equal("", link["preflightError"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_partner_whose_clock_is_10_minutes_off_shows_in_status_json_before_any_certificate()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net.RestartAsync("BE", [], new ShiftedTime { Offset = TimeSpan.FromMinutes(10) });
        await net.RestartAsync("ZA", []);
        await net["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1734 && r.Message.Contains("clocks differ", StringComparison.Ordinal));

        var problem = Assert.Single((await LinkAsync(net, "ZA", "BE"))["preflightProblems"]!.AsArray());

        Assert.Equal("clock", problem!["kind"]!.GetValue<string>());
        Assert.Equal("clocks differ by 10 minutes (BE is ahead)", problem["cause"]!.GetValue<string>());
        Assert.Contains("NTP", problem["advice"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await net["ZA"].Client.Api.ListCertificatesAsync(new ListCertificatesRequest())).Records);
    }

    [Fact]
    public async Task A_partner_holding_our_revocation_of_our_signing_key_says_so_in_status_json()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        var dir = net.PkiDir("ZA");
        using var signing = PkiFiles.LoadCertificate(Path.Combine(dir, PkiFiles.SigningCertificate));
        RevocationList list;
        using (var root = PkiFiles.LoadRootWithKey(Path.Combine(dir, PkiFiles.RootCertificate), Path.Combine(dir, PkiFiles.RootKey)))
        {
            list = RevocationListIssuer.Revoke(root, null, "crl.pem", RevocationListIssuer.ParseSerial(signing.SerialNumber),
                System.Security.Cryptography.X509Certificates.X509RevocationReason.KeyCompromise, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        }

        await net["ZA"].Client.Api.PublishRevocationListAsync(new PublishRevocationListRequest { Crl = ByteString.CopyFrom(list.Der) });
        await Eventually.WaitAsync(() => net["ZA"].Client.Operations.ListOutboxAsync(new ListOutboxRequest()).ResponseAsync, r => r.Messages.Count == 0,
            TimeSpan.FromSeconds(30), r => $"ZA's revocation notices wait: {string.Join("; ", r!.Messages.Select(m => m.ToString()))}");
        await net["BE"].Logs.WaitForAsync(r => r.Id.Id == 1711);
        await net.RestartAsync("ZA", []);
        await net["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1734 && r.Message.Contains("revoked our signing certificate", StringComparison.Ordinal));

        var problem = Assert.Single((await LinkAsync(net, "ZA", "BE"))["preflightProblems"]!.AsArray());

        Assert.Equal("revoked-signing", problem!["kind"]!.GetValue<string>());
        Assert.Equal($"BE has revoked our signing certificate {signing.SerialNumber} (our revocation list 1)", problem["cause"]!.GetValue<string>());
        Assert.Contains("kpnode pki request --purpose signing", problem["advice"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partner_that_does_not_accept_one_of_our_payload_types_shows_it_in_status_json()
    {
        await using var net = await TestNetwork.StartAsync("ZA", "BE");
        await net["BE"].StopAsync();
        // BE's node as an older release would answer: the same hello, signed by BE, without the revocation notice.
        await using var older = await OlderPartnerAsync(net, "BE", "ZA", hello => hello.AcceptedPayloadTypes.Remove(PayloadTypes.RevocationNotice));
        await net.RestartAsync("ZA", []);
        await net["ZA"].Logs.WaitForAsync(r => r.Id.Id == 1734 && r.Message.Contains("does not accept", StringComparison.Ordinal));

        var problem = Assert.Single((await LinkAsync(net, "ZA", "BE"))["preflightProblems"]!.AsArray());

        Assert.Equal("payload-type", problem!["kind"]!.GetValue<string>());
        Assert.Equal($"BE does not accept payload type {PayloadTypes.RevocationNotice}", problem["cause"]!.GetValue<string>());
    }

    /// <summary><paramref name="from"/>'s partner link as <c>kpnode status --json</c> prints it.</summary>
    private static async Task<JsonNode> LinkAsync(TestNetwork net, string from, string partner)
    {
        var status = await KpNodeProcess.RunAsync("status", "--config", net[from].Config.FilePath, "--json");
        Assert.True(status.ExitCode is 0 or 1, status.Stderr);
        return JsonNode.Parse(status.Stdout)!["partners"]!.AsArray().Single(p => p!["participant"]!.GetValue<string>() == partner)!;
    }

    /// <summary>A Peer API on <paramref name="code"/>'s port, with its real certificates, answering only the hello, changed by <paramref name="change"/>.</summary>
    private static async Task<WebApplication> OlderPartnerAsync(TestNetwork net, string code, string caller, Action<Hello> change)
    {
        var credentials = net.Credentials(code);
        var callerRoot = net.RootOf(caller);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new OlderPeer(credentials, code, caller, change));
        var trust = new TrustChain();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, net[code].Config.PeerListen.Port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = credentials.NodeTls,
                SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (certificate, _, _) =>
                    trust.Validate(certificate, [], KeyPurpose.ClientAuth, DateTimeOffset.UtcNow, [callerRoot], "the client certificate").IsTrusted,
            });
        }));
        var app = builder.Build();
        app.MapGrpcService<OlderPeer>();
        await app.StartAsync();
        return app;
    }

    private sealed class OlderPeer(ParticipantCredentials credentials, string code, string caller, Action<Hello> change)
        : PeerExchangeService.PeerExchangeServiceBase
    {
        private readonly EnvelopeSigner _signer = new(credentials.DocumentSigning);

        public override Task<HelloResponse> Hello(HelloRequest request, ServerCallContext context)
        {
            var hello = new Hello
            {
                Nonce = request.Nonce,
                Responder = code,
                Caller = caller,
                Clock = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                NodeVersion = "0.9.0",
                CallerStanding = CallerStanding.Active,
            };
            hello.ProtocolVersions.AddRange(KpNode.Operations.PartnerPreflight.ProtocolVersions);
            hello.AcceptedPayloadTypes.AddRange(Workflow.CertificateWorkflow.DeliverablePayloadTypes);
            change(hello);
            return Task.FromResult(new HelloResponse { Hello = _signer.Sign(PayloadTypes.Hello, hello.ToByteArray()) });
        }
    }
}
