using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Trust;
using KpNode.Wire.V1;
using Microsoft.Extensions.Options;

namespace KpNode.Exchange;

/// <summary>
/// One reused gRPC channel per partner, dialling with our node certificate and trusting, for that
/// partner's server, only that partner's roots and a certificate naming that partner. A channel serves the partner as
/// <see cref="Partners"/> has it now: once a reload gives it another address or roots, the next call dials anew.
/// </summary>
internal sealed class PeerChannels(
    IOptions<NodeOptions> node, NodeCredentials credentials, TrustChain trust, TimeProvider time, ILogger<PeerChannels> logger,
    RevokedKeys? revoked = null, Partners? partners = null)
    : IDisposable
{
    private readonly ConcurrentDictionary<string, Link> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _refusals = new(StringComparer.Ordinal);
    private readonly List<Lazy<GrpcChannel>> _closing = [];
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Why we last refused this partner's TLS certificate, until it presents one we accept; a failed call does not say.</summary>
    public string? LastServerRefusal(string partner) => _refusals.GetValueOrDefault(partner);

    public PeerExchangeService.PeerExchangeServiceClient ClientFor(Partner partner) => new(ChannelFor(partner));

    /// <summary>The partner's history service (reconciliation), on the same channel as its exchange.</summary>
    public HistoryService.HistoryServiceClient HistoryClientFor(Partner partner) => new(ChannelFor(partner));

    private GrpcChannel ChannelFor(Partner partner)
    {
        // The partner as the node has it now: a lane or a ping may still hold the record from before a reload.
        var current = partners?.Find(partner.Code) ?? partner;
        while (true)
        {
            var link = _channels.GetOrAdd(current.Code, static (_, s) => new Link(s.Partner, s.Self.Create), (Partner: current, Self: this));
            if (ReferenceEquals(link.Partner, current) || link.Partner.SameLink(current))
                return link.Channel.Value;
            // Another address or other roots: later calls take a new channel; a call on the old one finishes there.
            if (_channels.TryUpdate(current.Code, new Link(current, Create), link))
                Retire(link, Grace);
        }
    }

    /// <summary>Drops the channel to a partner no longer configured, closing it after <paramref name="grace"/>.</summary>
    public void Forget(string code, TimeSpan grace)
    {
        if (_channels.TryRemove(code, out var old))
            Retire(old, grace);
        _refusals.TryRemove(code, out _);
    }

    // A call started on an old channel has at most its attempt timeout; twice that leaves room for its answer.
    private TimeSpan Grace => node.Value.Delivery.AttemptTimeout * 2;

    // Even a channel not dialled yet: a call that took the link just before may still make it.
    private void Retire(Link link, TimeSpan grace) => _ = CloseLaterAsync(link.Channel, grace);

    private GrpcChannel Create(Partner partner)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificates = [credentials.Current.NodeTls],
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => AcceptServer(partner, certificate, errors),
            },
        };
        return GrpcChannel.ForAddress(partner.Address, new GrpcChannelOptions
        {
            HttpHandler = new DialPerCall(handler),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = node.Value.MaxMessageBytes,
            MaxSendMessageSize = node.Value.MaxMessageBytes,
        });
    }

    /// <summary>
    /// After our TLS certificate changed: later calls dial on new channels, which present the current certificate; each
    /// old channel is closed once <paramref name="grace"/> has passed, so a call already on it finishes there.
    /// </summary>
    public void Redial(TimeSpan grace)
    {
        foreach (var code in _channels.Keys)
        {
            if (_channels.TryRemove(code, out var old))
            {
                Retire(old, grace);
            }
        }
    }

    /// <summary>
    /// After <paramref name="partner"/>'s revocation list changed: the next call dials again, so its TLS certificate is
    /// checked against the new list; the open channel is closed at once (a call on it would be refused anyway).
    /// </summary>
    public void Redial(string partner)
    {
        if (_channels.TryRemove(partner, out var old))
        {
            Retire(old, TimeSpan.Zero);
        }
    }

    private async Task CloseLaterAsync(Lazy<GrpcChannel> channel, TimeSpan grace)
    {
        lock (_closing)
            _closing.Add(channel);
        try
        {
            await Task.Delay(grace, time, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // The node is stopping: Dispose closes it.
            return;
        }

        lock (_closing)
            _closing.Remove(channel);
        if (channel.IsValueCreated)
            channel.Value.Dispose();
    }

    private bool AcceptServer(Partner partner, X509Certificate? certificate, SslPolicyErrors errors)
    {
        string reason;
        if (certificate is null)
        {
            reason = "the partner presented no certificate";
        }
        else if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            reason = $"its certificate does not name the host of {partner.Address}";
        }
        else
        {
            var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            var result = trust.Validate(leaf, [], KeyPurpose.ServerAuth, time.GetUtcNow(), partner.Anchors, $"{partner.Code}'s server certificate");
            var named = ParticipantIdentity.FromCertificate(leaf);
            var revocation = result.IsTrusted ? revoked?.At(partner.Code, leaf, time.GetUtcNow()) : null;
            if (result.IsTrusted && named == partner.Code && revocation is null)
            {
                _refusals.TryRemove(partner.Code, out _);
                return true;
            }

            reason = revocation is not null ? $"its certificate is revoked: {revocation.Describe()}"
                : result.IsTrusted ? $"its certificate names {named ?? "no participant"}, not {partner.Code}" : result.Message;
        }

        _refusals[partner.Code] = reason;
        Log.PartnerServerCertificateRefused(logger, partner.Code, reason);
        return false;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        foreach (var link in _channels.Values.Where(l => l.Channel.IsValueCreated))
        {
            link.Channel.Value.Dispose();
        }

        _channels.Clear();
        lock (_closing)
        {
            foreach (var channel in _closing.Where(c => c.IsValueCreated))
                channel.Value.Dispose();
            _closing.Clear();
        }

        _stopping.Dispose();
    }

    /// <summary>A channel and the partner it was made for; made on first use, so a lost race to add one dials nothing.</summary>
    private sealed class Link
    {
        public Link(Partner partner, Func<Partner, GrpcChannel> create)
        {
            Partner = partner;
            Channel = new Lazy<GrpcChannel>(() => create(partner));
        }

        public Partner Partner { get; }

        public Lazy<GrpcChannel> Channel { get; }
    }

    /// <summary>
    /// Hides the SocketsHttpHandler from the gRPC channel, which would otherwise manage the connection itself: after a
    /// failed connection it fails every call at once with the last error until its own redial backoff ends (1 s growing
    /// to 2 minutes), so a partner back from an outage would look down to the outbox's probes and retries for as long.
    /// Through this handler every call dials when no connection is open; the outbox decides when to call.
    /// </summary>
    private sealed class DialPerCall(SocketsHttpHandler inner) : HttpMessageHandler
    {
        private readonly HttpMessageInvoker _invoker = new(inner, disposeHandler: true);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            _invoker.SendAsync(request, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _invoker.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
