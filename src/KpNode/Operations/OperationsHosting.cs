using System.Net;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Outbox;
using KpNode.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace KpNode.Operations;

/// <summary>
/// Wires the operators' side into a node: grpc.health.v1, reflection, the OperationsService, and the plain-HTTP
/// operations endpoint with the Prometheus metrics and the status page. The host maps each on its listener.
/// </summary>
internal static class OperationsHosting
{
    /// <summary>Health service names a client may ask for besides "" (the whole node); all report the store check.</summary>
    public static readonly string[] HealthServices = ["kp.v1.PeerExchangeService", "kp.v1.LocalApiService", "kp.v1.OperationsService"];

    public static void AddOperations(this WebApplicationBuilder builder, NodeConfig config)
    {
        var endpoint = new OperationsEndpoint(config.OperationsListen);
        var services = builder.Services;
        services.AddSingleton(endpoint);
        builder.WebHost.ConfigureKestrel(endpoint.Listen);

        services.AddSingleton<NodeClock>();
        services.AddMetrics();
        services.AddSingleton<NodeMetrics>();
        services.AddSingleton<IDeliveryMetrics>(sp => sp.GetRequiredService<NodeMetrics>());
        services.AddSingleton<ExpiryCheck>();
        services.AddHostedService<ExpiryWatch>();
        services.AddSingleton<NodeStatusReport>();
        services.AddSingleton<PeerPing>();
        services.AddSingleton<OutboxRepair>();
        services.AddSingleton<CredentialReload>();
        services.AddSingleton<PartnerReload>();
        services.AddSingleton<PartnerPreflight>();
        services.AddHostedService(sp => sp.GetRequiredService<PartnerPreflight>());
        services.AddSingleton<HistoryReconciliation>();
        services.AddSingleton<HeldAuditHeads>();
        services.AddHostedService(sp => sp.GetRequiredService<HistoryReconciliation>());

        services.AddGrpcHealthChecks(o =>
        {
            foreach (var name in HealthServices)
            {
                o.Services.Map(name, _ => true);
            }
        }).AddCheck<StoreHealthCheck>("store").AddCheck<Integrity.IntegrityHealthCheck>("integrity");
        services.AddGrpcReflection();
        var ours = new NodeMeter();
        services.AddSingleton(ours);
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("kpnode", serviceVersion: NodeVersion.Current)
                .AddAttributes([new("kp.participant", config.Participant)]))
            .WithMetrics(metrics => metrics
                .AddMeter(NodeMetrics.MeterName)
                // OpenTelemetry listens to every Meter of that name in the process; several nodes share one
                // process in the demo and the tests, so each node exports only the instruments of its own Meter.
                .AddView(instrument => ReferenceEquals(instrument.Meter, ours.Meter) ? null : MetricStreamConfiguration.Drop)
                .AddPrometheusExporter());
    }

    /// <summary>The plain-HTTP side of the operations endpoint: the status page at / and the Prometheus metrics.</summary>
    public static IEndpointConventionBuilder[] MapOperationsPages(this WebApplication app)
    {
        var endpoint = app.Services.GetRequiredService<OperationsEndpoint>();
        var logger = app.Services.GetRequiredService<ILogger<OperationsEndpoint>>();
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
        var page = app.MapGet("/", async (HttpContext context, NodeStatusReport report, IOptions<OperationsOptions> options) =>
        {
            var status = await report.BuildAsync(NodeStatusReport.DefaultRecent, context.RequestAborted);
            context.Response.Headers.CacheControl = "no-store";
            return Results.Content(StatusPage.Render(status, options.Value.StatusPageRefreshSeconds), "text/html; charset=utf-8");
        });

        app.Services.GetRequiredService<NodeMetrics>().Observe(app.Services.GetRequiredService<INodeStore>(),
            app.Services.GetRequiredService<OutboxDispatcher>(), app.Services.GetRequiredService<ExpiryCheck>(),
            app.Services.GetRequiredService<Integrity.StoreIntegrity>(), app.Services.GetRequiredService<TimeProvider>());
        app.Services.GetRequiredService<NodeMetrics>().ObserveRevocations(app.Services.GetRequiredService<Integrity.RevokedSignatures>());
        app.Services.GetRequiredService<NodeMetrics>().ObserveHistory(app.Services.GetRequiredService<INodeStore>(), app.Services.GetRequiredService<Trust.Partners>());
        app.Services.GetRequiredService<NodeMetrics>().ObservePreflight(app.Services.GetRequiredService<PartnerPreflight>(), app.Services.GetRequiredService<Trust.Partners>());
        app.Lifetime.ApplicationStarted.Register(() => Log.OperationsListening(logger, endpoint.Url));
        return [metrics, page];
    }

    /// <summary>Console logs as configured: one line per event, or one JSON object per line for log shippers.</summary>
    public static void AddNodeConsole(this ILoggingBuilder logging, OperationsOptions options)
    {
        if (options.LogFormat == LogFormat.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
            return;
        }

        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.UseUtcTimestamp = true;
        });
    }
}

/// <summary>This node's Meter, once <see cref="NodeMetrics"/> has created it: what its metrics pipeline exports.</summary>
internal sealed class NodeMeter
{
    public System.Diagnostics.Metrics.Meter? Meter { get; set; }
}

/// <summary>The plain-HTTP operations listener: where it is bound, and its address once started (port 0 resolved).</summary>
internal sealed class OperationsEndpoint(ListenAddress address)
{
    private ListenOptions? _listen;

    public int Port => _listen?.IPEndPoint?.Port ?? address.Port;

    public string Url => $"http://{(address.DialHost.Contains(':') ? $"[{address.DialHost}]" : address.DialHost)}:{Port}";

    internal void Listen(KestrelServerOptions kestrel) =>
        // HTTP/1.1 only: browsers and Prometheus speak it in clear text, and gRPC (HTTP/2) cannot be reached here.
        kestrel.Listen(address.Ip ?? IPAddress.Loopback, address.Port, listen =>
        {
            _listen = listen;
            listen.Protocols = HttpProtocols.Http1;
        });
}
