using System.Diagnostics;
using System.Net;
using System.Security.Authentication;
using Grpc.Core;
using KpNode.Bench.Common;
using KpNode.Configuration;
using KpNode.Exchange;
using KpNode.Trust;
using KpNode.Wire.V1;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpNode.Bench.Exchange;

/// <summary>Calls per second and latency of the raw baseline at one concurrency.</summary>
internal sealed record RawFigures(
    int Concurrency, int RequestBytes, int ResponseBytes, double Seconds, long Calls, double CallsPerSecond, LatencySummary Latency,
    double CpuMicrosecondsPerCall);

/// <summary>
/// The baseline the exchange is judged against: a unary Peer API call over the same mutual TLS (Kestrel,
/// HTTP/2, TLS 1.2/1.3, client certificate required and checked against the partner's root; the node's own
/// <see cref="PeerChannels"/> on the client side), carrying a real certificate envelope and answering with
/// a real receipt of the same size, but doing nothing else: no signature, no verification, no store.
/// </summary>
internal sealed class RawBaseline : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly PeerChannels _channels;
    private readonly Partner _partner;
    private readonly DeliverRequest _request;

    private RawBaseline(WebApplication app, PeerChannels channels, Partner partner, DeliverRequest request)
    {
        _app = app;
        _channels = channels;
        _partner = partner;
        _request = request;
    }

    public int RequestBytes => _request.CalculateSize();

    public int ResponseBytes { get; private init; }

    /// <summary>
    /// Starts an echo Peer API as <paramref name="server"/> that accepts only <paramref name="client"/>'s
    /// node certificate, and a client channel dialling it as <paramref name="clientConfig"/>'s node.
    /// </summary>
    public static async Task<RawBaseline> StartAsync(
        NodeConfig clientConfig, ParticipantCredentials client, ParticipantCredentials server, byte[] envelope, byte[] receipt)
    {
        var response = new DeliverResponse { Receipt = Envelope.Parser.ParseFrom(receipt) };
        var trust = new TrustChain();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = clientConfig.Options.MaxMessageBytes;
            o.MaxSendMessageSize = clientConfig.Options.MaxMessageBytes;
        });
        builder.Services.AddSingleton(new EchoPeer(response));
        ListenOptions? listen = null;
        var serverCertificate = server.NodeTlsForKestrel();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, l =>
            {
                listen = l;
                l.Protocols = HttpProtocols.Http2;
                l.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = serverCertificate,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                    CheckCertificateRevocation = false,
                    // As the node's PeerGate does: the partner's root only, and the partner named in the certificate.
                    ClientCertificateValidation = (certificate, _, _) =>
                        trust.Validate(certificate, [], KeyPurpose.ClientAuth, DateTimeOffset.UtcNow, [client.Root], "the client certificate").IsTrusted
                        && ParticipantIdentity.FromCertificate(certificate) == client.Participant,
                });
            });
        });
        var app = builder.Build();
        app.MapGrpcService<EchoPeer>();
        await app.StartAsync();

        var address = new Uri($"https://localhost:{listen!.IPEndPoint!.Port}");
        var partner = new Partner(server.Participant, address, server.Root, [server.Participant],
            new KpNode.Domain.PartnerPolicy(server.Participant, KpNode.Domain.PartnerStanding.Active, [], []));
        var channels = new PeerChannels(Microsoft.Extensions.Options.Options.Create(clientConfig.Options), new NodeCredentials(client, clientConfig.Options.PkiDirectory), new TrustChain(), TimeProvider.System, NullLogger<PeerChannels>.Instance);
        var request = new DeliverRequest { Envelope = Envelope.Parser.ParseFrom(envelope) };
        return new RawBaseline(app, channels, partner, request) { ResponseBytes = response.CalculateSize() };
    }

    /// <summary>Closed loop: <paramref name="concurrency"/> callers, each sending its next call when the last one answered.</summary>
    public async Task<RawFigures> RunAsync(int concurrency, TimeSpan warmUp, TimeSpan duration)
    {
        var client = _channels.ClientFor(_partner);
        await Loop(client, concurrency, warmUp, null);
        var latencies = new Latencies();
        var cpu = CpuTime.Start();
        var started = Stopwatch.GetTimestamp();
        var calls = await Loop(client, concurrency, duration, latencies);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new RawFigures(concurrency, RequestBytes, ResponseBytes, seconds, calls, calls / seconds, latencies.Summary(),
            cpu.Elapsed.TotalMicroseconds / calls);
    }

    private async Task<long> Loop(PeerExchangeService.PeerExchangeServiceClient client, int concurrency, TimeSpan duration, Latencies? latencies)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long calls = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                var t0 = Stopwatch.GetTimestamp();
                await client.DeliverAsync(_request);
                latencies?.AddTicks(Stopwatch.GetTimestamp() - t0);
                Interlocked.Increment(ref calls);
            }
        }));
        return calls;
    }

    public async ValueTask DisposeAsync()
    {
        _channels.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Answers every delivery with the same receipt: gRPC, TLS and protobuf only.</summary>
    private sealed class EchoPeer(DeliverResponse response) : PeerExchangeService.PeerExchangeServiceBase
    {
        public override Task<DeliverResponse> Deliver(DeliverRequest request, ServerCallContext context) => Task.FromResult(response);
    }
}
