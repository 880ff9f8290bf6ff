using System.Net;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.LocalApi;
using KpNode.Outbox;
using KpNode.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace KpNode.Operations;

/// <summary>
/// Wires the operators' side into a node: grpc.health.v1 (Peer and Local endpoints), reflection and the
/// OperationsService (Local endpoint, operators only), and the plain-HTTP operations endpoint with the
/// Prometheus metrics and the status page. NodeHost calls <see cref="AddOperations"/> and <see cref="MapOperations"/>.
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

        services.AddMetrics();
        services.AddSingleton<NodeMetrics>();
        services.AddSingleton<IDeliveryMetrics>(sp => sp.GetRequiredService<NodeMetrics>());
        services.AddSingleton<ExpiryCheck>();
        services.AddHostedService<ExpiryWatch>();
        services.AddSingleton<NodeStatusReport>();
        services.AddSingleton<PeerPing>();

        services.AddGrpcHealthChecks(o =>
        {
            foreach (var name in HealthServices)
            {
                o.Services.Map(name, _ => true);
            }
        }).AddCheck<StoreHealthCheck>("store");
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

    public static void MapOperations(this WebApplication app)
    {
        var endpoint = app.Services.GetRequiredService<OperationsEndpoint>();
        var gate = app.Services.GetRequiredService<OperatorGate>();
        var logger = app.Services.GetRequiredService<ILogger<OperationsEndpoint>>();
        app.Use((context, next) => Guard(context, next, endpoint, gate, logger));

        app.MapGrpcService<OperationsApi>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService().WithMetadata(OperatorsOnly.Instance);
        app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(OperationsHttpOnly.Instance);
        app.MapGet("/", async (HttpContext context, NodeStatusReport report, NodeConfig config) =>
        {
            var status = await report.BuildAsync(NodeStatusReport.DefaultRecent, context.RequestAborted);
            context.Response.Headers.CacheControl = "no-store";
            return Results.Content(StatusPage.Render(status, config.Options.Operations.StatusPageRefreshSeconds), "text/html; charset=utf-8");
        }).WithMetadata(OperationsHttpOnly.Instance);

        app.Services.GetRequiredService<NodeMetrics>().Observe(app.Services.GetRequiredService<INodeStore>(),
            app.Services.GetRequiredService<OutboxDispatcher>(), app.Services.GetRequiredService<ExpiryCheck>(),
            app.Services.GetRequiredService<TimeProvider>());
        app.Lifetime.ApplicationStarted.Register(() => Log.OperationsListening(logger, endpoint.Url));
    }

    /// <summary>
    /// Every endpoint is mapped on every listener, so this keeps each where it belongs: the page and metrics only on
    /// the operations endpoint (never to partners on the Peer port), reflection only to our operators.
    /// </summary>
    private static Task Guard(HttpContext context, RequestDelegate next, OperationsEndpoint endpoint, OperatorGate gate, ILogger logger)
    {
        var metadata = context.GetEndpoint()?.Metadata;
        var onOperations = context.Connection.LocalPort == endpoint.Port;
        if (metadata?.GetMetadata<OperationsHttpOnly>() is not null && !onOperations)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        if (metadata?.GetMetadata<OperatorsOnly>() is not null
            && (context.Connection.ClientCertificate is not { } certificate || gate.Identify(certificate).Operator is null))
        {
            Log.OperationsRequestRefused(logger, context.Request.Path, onOperations ? "operations" : "Peer", "reflection is for our own operators only");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }

        return next(context);
    }

    /// <summary>Console logs as configured: one line per event, or one JSON object per line for log shippers.</summary>
    public static void AddNodeConsole(this ILoggingBuilder logging, OperationsOptions options)
    {
        if (options.LogFormat == "json")
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

    private sealed class OperationsHttpOnly
    {
        public static readonly OperationsHttpOnly Instance = new();
    }

    private sealed class OperatorsOnly
    {
        public static readonly OperatorsOnly Instance = new();
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
