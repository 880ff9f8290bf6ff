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
/// partner's server, only that partner's root and a certificate naming that partner.
/// </summary>
internal sealed class PeerChannels(
    IOptions<NodeOptions> node, NodeCredentials credentials, TrustChain trust, TimeProvider time, ILogger<PeerChannels> logger,
    RevokedKeys? revoked = null)
    : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _refusals = new(StringComparer.Ordinal);
    private readonly List<GrpcChannel> _closing = [];
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Why we last refused this partner's TLS certificate, until it presents one we accept; a failed call does not say.</summary>
    public string? LastServerRefusal(string partner) => _refusals.GetValueOrDefault(partner);

    public PeerExchangeService.PeerExchangeServiceClient ClientFor(Partner partner) =>
        new(_channels.GetOrAdd(partner.Code, _ => Create(partner)));

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
                _ = CloseLaterAsync(old, grace);
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
            old.Dispose();
        }
    }

    private async Task CloseLaterAsync(GrpcChannel channel, TimeSpan grace)
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
        channel.Dispose();
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
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        _channels.Clear();
        lock (_closing)
        {
            foreach (var channel in _closing)
                channel.Dispose();
            _closing.Clear();
        }

        _stopping.Dispose();
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
