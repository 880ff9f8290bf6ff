using Grpc.AspNetCore.Server.Model;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Exchange;
using KpNode.Integrity;
using KpNode.LocalApi;
using KpNode.Operations;
using KpNode.Outbox;
using KpNode.PeerApi;
using KpNode.Storage;
using KpNode.Trust;
using KpNode.Workflow;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace KpNode.Hosting;

/// <summary>The node's wiring, one method per area; <see cref="NodeHost"/> composes them.</summary>
internal static class NodeServices
{
    public static IServiceCollection AddStore(this IServiceCollection services, NodeConfig config, TimeProvider time) =>
        services.AddSingleton<INodeStore>(_ => NodeStore.Open(Path.Combine(config.Options.DataDirectory, "kpnode.db"), time));

    /// <summary>Our PKI (its leaves reloadable, see <see cref="NodeCredentials"/>), the partners' roots, and what signs and verifies with them.</summary>
    public static IServiceCollection AddTrust(this IServiceCollection services, NodeCredentials credentials, Partners partners) =>
        services
            // As an instance, which the container does not dispose: a TLS handshake or a signature may still hold one of
            // its certificates while the node stops, and they die with the process.
            .AddSingleton(credentials)
            .AddSingleton(partners)
            .AddSingleton<TrustChain>()
            .AddSingleton(sp => HeldRevocationLists.Load(sp.GetRequiredService<INodeStore>(), credentials, partners,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HeldRevocationLists))))
            .AddSingleton(_ => new EnvelopeSigner(credentials.Current.DocumentSigning, offices: credentials.Current.OfficeSigning))
            .AddSingleton<EnvelopeVerifier>()
            .AddSingleton<StoredEvidence>()
            .AddSingleton<RevokedSignatures>()
            .AddSingleton<StoreIntegrity>()
            .AddHostedService<StoreCheck>();

    public static IServiceCollection AddWorkflow(this IServiceCollection services) =>
        services
            .AddSingleton<MessageIds>()
            .AddSingleton<CertificateWorkflow>()
            .AddHostedService<RevocationNoticeCatchUp>()
            .AddHostedService<ExpiryMonitor>();

    /// <summary>The Peer API and the channels to partners; a partner's call tells its outbox lane it is up.</summary>
    public static IServiceCollection AddExchange(this IServiceCollection services)
    {
        services.AddSingleton(sp => new HandshakeRefusals(sp.GetRequiredService<IOptions<OperationsOptions>>().Value.RefusedHandshakeLogWindow,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<HandshakeRefusals>>()));
        services.AddSingleton<PeerGate>();
        services.AddSingleton(sp =>
        {
            var channels = ActivatorUtilities.CreateInstance<PeerChannels>(sp);
            // A partner's newer revocation list may revoke the certificate its open connection was accepted with.
            if (sp.GetService<RevokedKeys>() is { } revoked)
                revoked.Held += channels.Redial;
            return channels;
        });
        services.AddSingleton<PeerApi.HelloAnswer>();
        services.AddGrpc().AddServiceOptions<PeerExchangeApi>(o => o.Interceptors.Add<PartnerContact>());
        services.AddGrpc().AddServiceOptions<HistoryApi>(o => o.Interceptors.Add<PartnerContact>());
        return services;
    }

    public static IServiceCollection AddOutbox(this IServiceCollection services)
    {
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<IDeliverySignal>(sp => sp.GetRequiredService<OutboxSignal>());
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }

    public static IServiceCollection AddLocalApi(this IServiceCollection services)
    {
        services.AddSingleton<OperatorGate>();
        // Pages of the Local API can be larger than any one message a partner may send.
        services.AddGrpc().AddServiceOptions<LocalApiEndpoint>(o => o.MaxSendMessageSize = 32 * 1024 * 1024);
        // A backup streams the store in chunks of 256 KiB, more than the default limit (a partner's largest message) once framed.
        services.AddGrpc().AddServiceOptions<BackupApi>(o => o.MaxSendMessageSize = 32 * 1024 * 1024);
        services.AddJsonApiDocument();
        return services;
    }

    /// <summary>gRPC with the node's limits, and the one place workflow refusals become statuses.</summary>
    public static IServiceCollection AddNodeGrpc(this IServiceCollection services, NodeConfig config)
    {
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = config.Options.MaxMessageBytes;
            o.MaxSendMessageSize = config.Options.MaxMessageBytes;
            o.Interceptors.Add<WorkflowErrors>();
            o.Interceptors.Add<HealthPerListener>();
            o.Interceptors.Add<RoleCheck>();
        }).AddJsonTranscoding(JsonApi.Configure);
        return services;
    }

    /// <summary>
    /// Callers authenticated from the certificate their handshake admitted (claims: participant, role, operator),
    /// the Partner and Operator policies, and each endpoint kept to its listener.
    /// </summary>
    public static IServiceCollection AddCallers(this IServiceCollection services)
    {
        services.AddSingleton<AdmittedCallers>();
        services.AddSingleton<NodeListeners>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerPolicy>());
        // Not AddCertificate(): its handler always builds an X509Chain again, a second validation of what the handshake checked.
        services.AddAuthentication(Callers.Scheme)
            .AddScheme<AuthenticationSchemeOptions, CallerAuthentication>(Callers.Scheme, _ => { });
        services.AddAuthorizationBuilder()
            .AddPolicy(Callers.PartnerPolicy, p => p.RequireRole(Callers.PartnerNodeRole))
            .AddPolicy(Callers.OperatorPolicy, p => p.RequireRole(Callers.OperatorRole));
        return services;
    }

    /// <summary>
    /// Instead of grpc-dotnet's binder, the same methods with requests that do not parse refused as INVALID_ARGUMENT;
    /// after every AddGrpc(), which adds its binder again.
    /// </summary>
    public static IServiceCollection AddRefusedMessages(this IServiceCollection services)
    {
        var binders = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType?.Name == "BinderServiceMethodProvider`1").ToList();
        if (binders.Count != 1)
            throw new InvalidOperationException($"expected grpc-dotnet's one BinderServiceMethodProvider, found {binders.Count}: check RefusedMessages against this grpc-dotnet version");
        services.Remove(binders[0]);
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(RefusedMessages<>)));
        return services;
    }
}
